//! One truck's measurements over time: TSBS-style bounded random walks, plus a driving/stopped
//! state so the "stationary trucks" and "driving sessions" queries have answers (TSBS's pure
//! random walk never stops a truck).
//!
//! Every value is rounded to its column's decimals here, so CSV, JSON and Parquet carry the same
//! f64 and the text forms stay short.

use super::fleet::{Model, STREAM_WALK};
use super::record::{Diagnostic, READING_MEASURES, Reading};
use crate::prng::Prng;
use crate::schema::{Column, ColumnType, DIAGNOSTICS, READINGS};

/// Each truck has its own driving style: the mean time it drives before it stops is drawn from
/// this range (long-haul trucks drive for hours, city trucks stop often), and so is the mean
/// length of its stops (some park for long enough to count as "stationary").
const DRIVING_SECONDS_MEAN_RANGE: (f64, f64) = (20.0 * 60.0, 240.0 * 60.0);
const STOPPED_SECONDS_MEAN_RANGE: (f64, f64) = (5.0 * 60.0, 40.0 * 60.0);
/// Mean time between load changes while stopped.
const LOAD_CHANGE_SECONDS_MEAN: f64 = 5.0 * 60.0;
/// Status 0 is healthy; a fault (status 1..=5) starts about every three hours and lasts about
/// twenty minutes, so "breakdown" queries see transitions every day.
const HEALTHY_SECONDS_MEAN: f64 = 3.0 * 3600.0;
const FAULT_SECONDS_MEAN: f64 = 20.0 * 60.0;
/// Fuel burns this many times faster than the nominal consumption alone would (a full tank
/// lasts about a working day), so trucks run low and refuel within the data's span.
const FUEL_BURN_FACTOR: f64 = 3.0;
/// A stopped truck below this fuel state refuels (within a few minutes); any truck below the
/// second refuels at once.
const REFUEL_STOPPED_BELOW: f64 = 0.1;
const REFUEL_STOPPED_SECONDS_MEAN: f64 = 5.0 * 60.0;
const REFUEL_ALWAYS_BELOW: f64 = 0.01;
const KILOMETRES_PER_DEGREE: f64 = 111.0;

/// How often rows are missing or have null cells.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Defects {
    pub gap_probability: f64,
    pub null_probability: f64,
}

impl Defects {
    pub const REALISTIC: Defects = Defects {
        gap_probability: 0.01,
        null_probability: 0.005,
    };
    pub const NONE: Defects = Defects {
        gap_probability: 0.0,
        null_probability: 0.0,
    };
}

#[derive(Debug, Clone)]
pub struct TruckWalk {
    prng: Prng,
    model: Model,
    driving_seconds_mean: f64,
    stopped_seconds_mean: f64,
    driving: bool,
    latitude: f64,
    longitude: f64,
    elevation: f64,
    velocity: f64,
    heading: f64,
    grade: f64,
    fuel_consumption: f64,
    fuel_state: f64,
    current_load: f64,
    status: i64,
    /// Each reading measure's decimals, in column order; then the diagnostics' two reals.
    reading_decimals: [u32; READING_MEASURES],
    fuel_state_decimals: u32,
    current_load_decimals: u32,
}

fn decimals_of(columns: &[Column], name: &str) -> u32 {
    columns
        .iter()
        .find(|column| column.name == name)
        .and_then(|column| match column.column_type {
            ColumnType::Real { decimals } => Some(decimals),
            _ => None,
        })
        .unwrap_or(6)
}

/// `value` rounded to `decimals` places: the nearest f64 to a short decimal, which every text
/// form prints exactly.
pub fn quantize(value: f64, decimals: u32) -> f64 {
    let scale = 10f64.powi(decimals as i32);
    (value * scale).round() / scale
}

impl TruckWalk {
    /// The walk of truck `index`, from its own stream of `seed`.
    pub fn new(seed: u64, index: u64, model: Model) -> TruckWalk {
        TruckWalk::from_prng(Prng::derive(seed, &[STREAM_WALK, index]), model)
    }

    pub fn from_prng(mut prng: Prng, model: Model) -> TruckWalk {
        let driving_seconds_mean =
            prng.range_f64(DRIVING_SECONDS_MEAN_RANGE.0, DRIVING_SECONDS_MEAN_RANGE.1);
        let stopped_seconds_mean =
            prng.range_f64(STOPPED_SECONDS_MEAN_RANGE.0, STOPPED_SECONDS_MEAN_RANGE.1);
        let driving =
            prng.chance(driving_seconds_mean / (driving_seconds_mean + stopped_seconds_mean));
        TruckWalk {
            driving_seconds_mean,
            stopped_seconds_mean,
            driving,
            latitude: prng.range_f64(25.0, 48.0),
            longitude: prng.range_f64(-124.0, -70.0),
            elevation: prng.range_f64(0.0, 2000.0),
            velocity: if driving {
                prng.range_f64(30.0, 80.0)
            } else {
                0.0
            },
            heading: prng.range_f64(0.0, 360.0),
            grade: prng.range_f64(0.0, 10.0),
            fuel_consumption: model.nominal_fuel_consumption,
            fuel_state: prng.range_f64(0.05, 1.0),
            current_load: prng.range_f64(0.0, model.load_capacity),
            status: 0,
            model,
            prng,
            reading_decimals: std::array::from_fn(|measure| {
                READINGS.columns.get(6 + measure).map_or(6, |column| {
                    decimals_of(std::slice::from_ref(column), column.name)
                })
            }),
            fuel_state_decimals: decimals_of(DIAGNOSTICS.columns, "fuel_state"),
            current_load_decimals: decimals_of(DIAGNOSTICS.columns, "current_load"),
        }
    }

    /// Advances the walk by `seconds`.
    pub fn advance(&mut self, seconds: f64) {
        let prng = &mut self.prng;
        if self.driving && prng.chance(seconds / self.driving_seconds_mean) {
            self.driving = false;
        } else if !self.driving && prng.chance(seconds / self.stopped_seconds_mean) {
            self.driving = true;
            self.velocity = prng.range_f64(5.0, 20.0);
        }
        if self.driving {
            self.velocity = (self.velocity + prng.range_f64(-4.0, 4.5)).clamp(5.0, 100.0);
            self.heading = (self.heading + prng.range_f64(-8.0, 8.0)).rem_euclid(360.0);
            self.grade = (self.grade + prng.range_f64(-1.0, 1.0)).clamp(0.0, 100.0);
            self.elevation = (self.elevation + prng.range_f64(-5.0, 5.0)).clamp(0.0, 5000.0);
            let kilometres = self.velocity * seconds / 3600.0;
            let radians = self.heading.to_radians();
            self.latitude = (self.latitude + kilometres * radians.cos() / KILOMETRES_PER_DEGREE)
                .clamp(-89.0, 89.0);
            let longitude_scale = KILOMETRES_PER_DEGREE * self.latitude.to_radians().cos().max(0.1);
            self.longitude =
                (self.longitude + kilometres * radians.sin() / longitude_scale + 180.0)
                    .rem_euclid(360.0)
                    - 180.0;
            let nominal = self.model.nominal_fuel_consumption;
            self.fuel_consumption = (self.fuel_consumption + prng.range_f64(-0.5, 0.5))
                .clamp(nominal * 0.6, (nominal * 1.6).min(50.0));
            let litres = self.fuel_consumption * kilometres / 100.0 * FUEL_BURN_FACTOR;
            self.fuel_state = (self.fuel_state - litres / self.model.fuel_capacity).max(0.0);
        } else {
            self.velocity = 0.0;
            if prng.chance(seconds / LOAD_CHANGE_SECONDS_MEAN) {
                self.current_load = prng.range_f64(0.0, self.model.load_capacity);
            }
            if self.fuel_state < REFUEL_STOPPED_BELOW
                && prng.chance(seconds / REFUEL_STOPPED_SECONDS_MEAN)
            {
                self.fuel_state = 1.0;
            }
        }
        if self.fuel_state < REFUEL_ALWAYS_BELOW {
            self.fuel_state = 1.0;
        }
        if self.status == 0 && prng.chance(seconds / HEALTHY_SECONDS_MEAN) {
            self.status = 1 + prng.below(5) as i64;
        } else if self.status != 0 && prng.chance(seconds / FAULT_SECONDS_MEAN) {
            self.status = 0;
        }
    }

    /// The current readings of truck number `truck` (in the caller's list) at `ts`, or `None`
    /// for a gap.
    pub fn reading(&mut self, ts: i64, truck: usize, defects: Defects) -> Option<Reading> {
        if self.prng.chance(defects.gap_probability) {
            return None;
        }
        let raw = [
            self.latitude,
            self.longitude,
            self.elevation,
            self.velocity,
            self.heading,
            self.grade,
            if self.driving {
                self.fuel_consumption
            } else {
                0.0
            },
        ];
        let mut measures = [None; READING_MEASURES];
        for ((measure, value), decimals) in measures.iter_mut().zip(raw).zip(self.reading_decimals)
        {
            *measure = Some(quantize(value, decimals));
        }
        if self.prng.chance(defects.null_probability) {
            let nulls = 1 + self.prng.below(3);
            for _ in 0..nulls {
                let index = self.prng.below(READING_MEASURES as u64) as usize;
                if let Some(measure) = measures.get_mut(index) {
                    *measure = None;
                }
            }
        }
        Some(Reading {
            ts,
            truck,
            measures,
        })
    }

    /// The current diagnostics of truck number `truck` at `ts`, or `None` for a gap.
    pub fn diagnostic(&mut self, ts: i64, truck: usize, defects: Defects) -> Option<Diagnostic> {
        if self.prng.chance(defects.gap_probability) {
            return None;
        }
        let mut row = Diagnostic {
            ts,
            truck,
            fuel_state: Some(quantize(self.fuel_state, self.fuel_state_decimals)),
            current_load: Some(quantize(self.current_load, self.current_load_decimals)),
            status: Some(self.status),
        };
        if self.prng.chance(defects.null_probability) {
            match self.prng.below(3) {
                0 => row.fuel_state = None,
                1 => row.current_load = None,
                _ => row.status = None,
            }
        }
        Some(row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::fleet::MODELS;

    // Proves the walks stay in TSBS's ranges, and that over a day trucks both drive and stand
    // still, run low on fuel, and have faults: the TSBS queries need all of these to answer.
    #[test]
    fn values_stay_in_range_and_trucks_stop() {
        let mut stopped_readings = 0;
        let mut driving_readings = 0;
        let mut low_fuel_diagnostics = 0;
        let mut fault_diagnostics = 0;
        for truck in 0..20u64 {
            let model = MODELS[truck as usize % MODELS.len()];
            let mut walk = TruckWalk::new(9, truck, model);
            for step in 0..8640 {
                walk.advance(10.0);
                let Some(reading) = walk.reading(step, 0, Defects::NONE) else {
                    continue;
                };
                let [
                    latitude,
                    longitude,
                    elevation,
                    velocity,
                    heading,
                    grade,
                    fuel,
                ] = reading.measures.map(|measure| measure.unwrap_or(f64::NAN));
                assert!((-90.0..=90.0).contains(&latitude));
                assert!((-180.0..=180.0).contains(&longitude));
                assert!((0.0..=5000.0).contains(&elevation));
                assert!((0.0..=100.0).contains(&velocity));
                assert!((0.0..=360.0).contains(&heading));
                assert!((0.0..=100.0).contains(&grade));
                assert!((0.0..=50.0).contains(&fuel));
                if velocity == 0.0 {
                    stopped_readings += 1;
                } else {
                    driving_readings += 1;
                }
                let Some(diagnostic) = walk.diagnostic(step, 0, Defects::NONE) else {
                    continue;
                };
                let fuel_state = diagnostic.fuel_state.unwrap_or(f64::NAN);
                assert!((0.0..=1.0).contains(&fuel_state));
                let load = diagnostic.current_load.unwrap_or(f64::NAN);
                assert!((0.0..=model.load_capacity).contains(&load));
                let status = diagnostic.status.unwrap_or(-1);
                assert!((0..=5).contains(&status));
                low_fuel_diagnostics += usize::from(fuel_state < 0.1);
                fault_diagnostics += usize::from(status > 0);
            }
        }
        let total = 20 * 8640;
        assert!(
            stopped_readings > total / 20,
            "{stopped_readings} stopped readings"
        );
        assert!(
            driving_readings > total / 2,
            "{driving_readings} driving readings"
        );
        assert!(
            low_fuel_diagnostics > total / 100,
            "{low_fuel_diagnostics} low-fuel diagnostics"
        );
        assert!(
            fault_diagnostics > total / 50 && fault_diagnostics < total / 3,
            "{fault_diagnostics} faults"
        );
    }

    // Proves quantized values print as their short decimal.
    #[test]
    fn quantize_rounds_to_decimals() {
        assert_eq!(quantize(52.123_456_7, 5), 52.123_46);
        assert_eq!(quantize(0.0004, 3), 0.0);
        assert_eq!(quantize(1999.96, 1), 2000.0);
    }
}
