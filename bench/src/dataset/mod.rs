//! The IoT fleet data set, shaped like TSBS's IoT use case: `readings` and `diagnostics` every
//! interval for every truck, and one `tags` row per truck.
//!
//! Deterministic: the bytes are a function of the [`Spec`] alone (seed, truck count, start, span,
//! interval). Rows are produced time step by time step and streamed to the sinks; nothing but the
//! trucks' state and the few rows held back for reordering is in memory, whatever the size.
//!
//! Realism, per table: ~1% of rows missing (gaps), ~0.5% with null cells, ~1% out of order
//! within three intervals and ~0.1% an hour's worth of rows late ([`reorder`]).
//!
//! - [`fleet`]: trucks and their fixed attributes.
//! - [`walk`]: one truck's measurements over time.
//! - [`record`]: rows and cells.
//! - [`reorder`]: out-of-order and late rows.
//! - [`sink`], [`parquet_sink`]: CSV, JSON lines, Parquet writers.
//! - [`manifest`], the `manifest.json` that describes a directory.
//! - [`files`]: a data directory; [`stream`]: straight to a node.

pub mod files;
pub mod fleet;
pub mod manifest;
pub mod parquet_sink;
pub mod record;
pub mod reorder;
pub mod sink;
pub mod stream;
pub mod walk;

use fleet::{STREAM_LOAD_BODY, STREAM_REORDER, Truck};
use record::{Diagnostic, Reading, Record, TagRow};
use reorder::{Reorder, ReorderPolicy};
use sink::Sink;
use walk::{Defects, TruckWalk};

use crate::error::{Error, Result};
use crate::iso::NANOS_PER_SECOND;
use crate::prng::Prng;

/// A named scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    pub name: &'static str,
    pub trucks: u64,
    pub span_seconds: i64,
    pub interval_seconds: i64,
}

const DAY_SECONDS: i64 = 86_400;

pub const PROFILES: [Profile; 4] = [
    // ~7k readings: seconds end to end, for smoke tests.
    Profile {
        name: "quick",
        trucks: 20,
        span_seconds: 3_600,
        interval_seconds: 10,
    },
    // ~1.7M readings.
    Profile {
        name: "small",
        trucks: 200,
        span_seconds: DAY_SECONDS,
        interval_seconds: 10,
    },
    // ~8.6M readings.
    Profile {
        name: "medium",
        trucks: 1_000,
        span_seconds: DAY_SECONDS,
        interval_seconds: 10,
    },
    // ~100M readings.
    Profile {
        name: "large",
        trucks: 1_000,
        span_seconds: 12 * DAY_SECONDS,
        interval_seconds: 10,
    },
];

pub fn profile(name: &str) -> Option<Profile> {
    PROFILES
        .iter()
        .copied()
        .find(|profile| profile.name.eq_ignore_ascii_case(name))
}

/// The most time steps one data set may have (a guard against `--interval 1ms --span 30d`).
pub const STEPS_MAX: u64 = 100_000_000;
/// The most trucks.
pub const TRUCKS_MAX: u64 = 10_000_000;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    pub seed: u64,
    pub profile: String,
    pub trucks: u64,
    pub start_nanos: i64,
    pub span_nanos: i64,
    pub interval_nanos: i64,
}

impl Spec {
    /// Checks the bounds; the number of time steps.
    pub fn validate(&self) -> Result<u64> {
        if self.trucks == 0 || self.trucks > TRUCKS_MAX {
            return Err(Error::InvalidArgument {
                argument: "--trucks",
                reason: format!("{} is not in 1..={TRUCKS_MAX}", self.trucks),
            });
        }
        if self.interval_nanos <= 0 || self.span_nanos < self.interval_nanos {
            return Err(Error::InvalidArgument {
                argument: "--span/--interval",
                reason: "the span must be at least one interval".to_string(),
            });
        }
        let steps = (self.span_nanos / self.interval_nanos) as u64;
        if steps > STEPS_MAX {
            return Err(Error::InvalidArgument {
                argument: "--span/--interval",
                reason: format!("{steps} time steps is more than {STEPS_MAX}"),
            });
        }
        let end = i128::from(self.start_nanos) + i128::from(self.span_nanos);
        if end > i128::from(i64::MAX) {
            return Err(Error::InvalidArgument {
                argument: "--start/--span",
                reason: "the data would end after the year 2262".to_string(),
            });
        }
        Ok(steps)
    }

    pub fn steps(&self) -> u64 {
        (self.span_nanos / self.interval_nanos.max(1)).max(0) as u64
    }
}

/// Where each table's rows go (any number of sinks each).
#[derive(Default)]
pub struct Outputs {
    pub readings: Vec<Box<dyn Sink>>,
    pub diagnostics: Vec<Box<dyn Sink>>,
    pub tags: Vec<Box<dyn Sink>>,
}

/// Rows written per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub readings: u64,
    pub diagnostics: u64,
    pub tags: u64,
}

fn write_all<R: Record>(record: &R, trucks: &[Truck], sinks: &mut [Box<dyn Sink>]) -> Result<()> {
    record.with_values(trucks, |values| {
        for sink in sinks.iter_mut() {
            sink.write(values)?;
        }
        Ok(())
    })
}

/// Rows of one table on their way to its sinks, counted.
struct SeriesOutput<'a> {
    trucks: &'a [Truck],
    sinks: &'a mut [Box<dyn Sink>],
    written: u64,
}

impl SeriesOutput<'_> {
    fn emit<R: Record>(&mut self, row: &R) -> Result<()> {
        self.written += 1;
        write_all(row, self.trucks, self.sinks)
    }
}

/// Which time-series table one pass over the walks writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Series {
    Readings,
    Diagnostics,
}

/// Runs every truck's walk over the whole span and writes one table's rows to `sinks`, then
/// closes them; the rows written.
///
/// A reading and a diagnostic come from the same walk step and the truck's one PRNG stream, so
/// each pass replays both and keeps one. That lets the two tables be written on two threads
/// (writing text and Parquet is most of the work), and the bytes cannot depend on the threading.
fn write_series(
    spec: &Spec,
    steps: u64,
    trucks: &[Truck],
    series: Series,
    mut sinks: Vec<Box<dyn Sink>>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<u64> {
    let mut walks: Vec<TruckWalk> = trucks
        .iter()
        .enumerate()
        .map(|(index, truck)| TruckWalk::new(spec.seed, index as u64, truck.model))
        .collect();
    let policy = ReorderPolicy::realistic(spec.trucks, spec.interval_nanos);
    let reorder_stream = match series {
        Series::Readings => 0,
        Series::Diagnostics => 1,
    };
    let reorder_prng = Prng::derive(spec.seed, &[STREAM_REORDER, reorder_stream]);
    let mut reading_order: Reorder<Reading> = Reorder::new(policy, reorder_prng.clone());
    let mut diagnostic_order: Reorder<Diagnostic> = Reorder::new(policy, reorder_prng);
    let mut output = SeriesOutput {
        trucks,
        sinks: &mut sinks,
        written: 0,
    };
    let interval_seconds = spec.interval_nanos as f64 / NANOS_PER_SECOND as f64;
    for step in 0..steps {
        let ts = spec.start_nanos + step as i64 * spec.interval_nanos;
        for (index, walk) in walks.iter_mut().enumerate() {
            if step > 0 {
                walk.advance(interval_seconds);
            }
            let reading = walk.reading(ts, index, Defects::REALISTIC);
            let diagnostic = walk.diagnostic(ts, index, Defects::REALISTIC);
            match (series, reading, diagnostic) {
                (Series::Readings, Some(row), _) => {
                    reading_order.push(row, &mut |row| output.emit(&row))?;
                }
                (Series::Diagnostics, _, Some(row)) => {
                    diagnostic_order.push(row, &mut |row| output.emit(&row))?;
                }
                _ => {}
            }
        }
        progress(step + 1, steps);
    }
    reading_order.finish(&mut |row| output.emit(&row))?;
    diagnostic_order.finish(&mut |row| output.emit(&row))?;
    let written = output.written;
    for sink in sinks {
        sink.finish()?;
    }
    Ok(written)
}

/// Generates the data set into `outputs`, calling `progress(step, steps)` after each time step.
/// `readings` are written on the calling thread and `diagnostics` on a second one.
pub fn generate(
    spec: &Spec,
    outputs: Outputs,
    mut progress: impl FnMut(u64, u64),
) -> Result<Counts> {
    let steps = spec.validate()?;
    let Outputs {
        readings: reading_sinks,
        diagnostics: diagnostic_sinks,
        tags: mut tag_sinks,
    } = outputs;
    let trucks = fleet::trucks(spec.seed, 0, spec.trucks);
    for index in 0..trucks.len() {
        write_all(&TagRow { truck: index }, &trucks, &mut tag_sinks)?;
    }
    for sink in tag_sinks {
        sink.finish()?;
    }
    let trucks = trucks.as_slice();
    let (readings, diagnostics) = std::thread::scope(|scope| {
        let diagnostics_thread = scope.spawn(move || {
            write_series(
                spec,
                steps,
                trucks,
                Series::Diagnostics,
                diagnostic_sinks,
                &mut |_, _| {},
            )
        });
        let readings = write_series(
            spec,
            steps,
            trucks,
            Series::Readings,
            reading_sinks,
            &mut progress,
        );
        let diagnostics = diagnostics_thread.join().map_err(|_| Error::TaskFailed {
            task: "diagnostics generation",
            reason: "the thread panicked".to_string(),
        });
        (readings, diagnostics)
    });
    Ok(Counts {
        readings: readings?,
        diagnostics: diagnostics??,
        tags: trucks.len() as u64,
    })
}

/// One request body's worth of readings for the ingestion load test: `rows` rows of trucks
/// `first_truck..first_truck + truck_count`, `interval_nanos` apart from `start_nanos`, from
/// their own stream of `(seed, body)`. No gaps or reordering: each body is a clean batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub seed: u64,
    pub body: u64,
    pub first_truck: u64,
    pub truck_count: u64,
    pub start_nanos: i64,
    pub interval_nanos: i64,
    pub rows: u64,
}

/// Writes `segment`'s readings to `write_row`.
pub fn write_segment(
    segment: &Segment,
    mut write_row: impl FnMut(&[record::Value<'_>]) -> Result<()>,
) -> Result<u64> {
    let truck_count = segment.truck_count.max(1);
    let trucks = fleet::trucks(segment.seed, segment.first_truck, truck_count);
    let mut walks: Vec<TruckWalk> = trucks
        .iter()
        .enumerate()
        .map(|(index, truck)| {
            TruckWalk::from_prng(
                Prng::derive(
                    segment.seed,
                    &[STREAM_LOAD_BODY, segment.body, index as u64],
                ),
                truck.model,
            )
        })
        .collect();
    let interval_seconds = segment.interval_nanos as f64 / NANOS_PER_SECOND as f64;
    let mut written = 0u64;
    let mut step: i64 = 0;
    while written < segment.rows {
        let ts = segment.start_nanos + step * segment.interval_nanos;
        for (index, walk) in walks.iter_mut().enumerate() {
            if written >= segment.rows {
                break;
            }
            if step > 0 {
                walk.advance(interval_seconds);
            }
            if let Some(row) = walk.reading(ts, index, Defects::NONE) {
                row.with_values(&trucks, &mut write_row)?;
                written += 1;
            }
        }
        step += 1;
    }
    Ok(written)
}

#[cfg(test)]
mod tests;
