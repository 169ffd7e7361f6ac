//! The trucks: names and fixed attributes (the `tags` table), as in TSBS's IoT use case.
//!
//! A truck's attributes come from its own PRNG stream, so truck 7 is the same truck whatever the
//! fleet size.

use crate::prng::Prng;

/// Stream ids for [`Prng::derive`], so no two purposes share random numbers.
pub const STREAM_ATTRIBUTES: u64 = 1;
pub const STREAM_WALK: u64 = 2;
pub const STREAM_REORDER: u64 = 3;
pub const STREAM_LOAD_BODY: u64 = 4;

pub const FLEETS: [&str; 5] = ["East", "West", "North", "South", "Central"];
pub const DRIVERS: [&str; 10] = [
    "Derek", "Rodney", "Albert", "Andy", "Seth", "Trish", "Zeke", "Wendy", "Ivy", "Maria",
];
pub const DEVICE_VERSIONS: [&str; 4] = ["v1.0", "v1.5", "v2.0", "v2.3"];

/// A truck model and its capacities (TSBS's three models and figures).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Model {
    pub name: &'static str,
    /// Kilograms.
    pub load_capacity: f64,
    /// Litres.
    pub fuel_capacity: f64,
    /// Litres per 100 km.
    pub nominal_fuel_consumption: f64,
}

pub const MODELS: [Model; 3] = [
    Model {
        name: "F-150",
        load_capacity: 2000.0,
        fuel_capacity: 200.0,
        nominal_fuel_consumption: 15.0,
    },
    Model {
        name: "G-2000",
        load_capacity: 5000.0,
        fuel_capacity: 300.0,
        nominal_fuel_consumption: 19.0,
    },
    Model {
        name: "H-2",
        load_capacity: 1500.0,
        fuel_capacity: 150.0,
        nominal_fuel_consumption: 12.0,
    },
];

#[derive(Debug, Clone, PartialEq)]
pub struct Truck {
    pub name: String,
    pub fleet: &'static str,
    pub driver: &'static str,
    pub model: Model,
    pub device_version: &'static str,
}

impl Truck {
    pub fn new(seed: u64, index: u64) -> Truck {
        let mut prng = Prng::derive(seed, &[STREAM_ATTRIBUTES, index]);
        Truck {
            name: format!("truck_{index}"),
            fleet: prng.pick(&FLEETS).copied().unwrap_or("East"),
            driver: prng.pick(&DRIVERS).copied().unwrap_or("Derek"),
            model: prng.pick(&MODELS).copied().unwrap_or(MODELS[0]),
            device_version: prng.pick(&DEVICE_VERSIONS).copied().unwrap_or("v1.0"),
        }
    }
}

/// Trucks `first..first + count`.
pub fn trucks(seed: u64, first: u64, count: u64) -> Vec<Truck> {
    (first..first + count)
        .map(|index| Truck::new(seed, index))
        .collect()
}
