//! Generated rows, and the cells sinks see. A row holds numbers and a truck index; the strings
//! are borrowed from the truck list only while the row is written, so holding rows back for
//! reordering costs no allocation.

use super::fleet::Truck;

/// One cell, in the column order of the table's schema.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// Nanoseconds since the Unix epoch.
    DateTime(i64),
    Str(&'a str),
    Real(Option<f64>),
    Long(Option<i64>),
}

/// A row that can present its cells.
pub trait Record {
    /// Calls `write` with the row's cells (built on the stack).
    fn with_values<R>(&self, trucks: &[Truck], write: impl FnOnce(&[Value<'_>]) -> R) -> R;
}

pub const READING_MEASURES: usize = 7;

/// A `readings` row: latitude, longitude, elevation, velocity, heading, grade, fuel_consumption.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub ts: i64,
    /// Index into the truck list the row is written with.
    pub truck: usize,
    pub measures: [Option<f64>; READING_MEASURES],
}

/// A `diagnostics` row.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub ts: i64,
    pub truck: usize,
    pub fuel_state: Option<f64>,
    pub current_load: Option<f64>,
    pub status: Option<i64>,
}

/// A `tags` row.
#[derive(Debug, Clone, PartialEq)]
pub struct TagRow {
    pub truck: usize,
}

/// The truck a row refers to, or a placeholder if a caller paired rows with the wrong list (a
/// bug, but not one worth a panic in a benchmark tool).
fn truck_of(trucks: &[Truck], index: usize) -> (&str, &str, &str, &str, &str) {
    match trucks.get(index) {
        Some(truck) => (
            truck.name.as_str(),
            truck.fleet,
            truck.driver,
            truck.model.name,
            truck.device_version,
        ),
        None => ("", "", "", "", ""),
    }
}

impl Record for Reading {
    fn with_values<R>(&self, trucks: &[Truck], write: impl FnOnce(&[Value<'_>]) -> R) -> R {
        let (name, fleet, driver, model, device_version) = truck_of(trucks, self.truck);
        let [
            latitude,
            longitude,
            elevation,
            velocity,
            heading,
            grade,
            fuel_consumption,
        ] = self.measures;
        write(&[
            Value::DateTime(self.ts),
            Value::Str(name),
            Value::Str(fleet),
            Value::Str(driver),
            Value::Str(model),
            Value::Str(device_version),
            Value::Real(latitude),
            Value::Real(longitude),
            Value::Real(elevation),
            Value::Real(velocity),
            Value::Real(heading),
            Value::Real(grade),
            Value::Real(fuel_consumption),
        ])
    }
}

impl Record for Diagnostic {
    fn with_values<R>(&self, trucks: &[Truck], write: impl FnOnce(&[Value<'_>]) -> R) -> R {
        let (name, fleet, driver, model, _) = truck_of(trucks, self.truck);
        write(&[
            Value::DateTime(self.ts),
            Value::Str(name),
            Value::Str(fleet),
            Value::Str(driver),
            Value::Str(model),
            Value::Real(self.fuel_state),
            Value::Real(self.current_load),
            Value::Long(self.status),
        ])
    }
}

impl Record for TagRow {
    fn with_values<R>(&self, trucks: &[Truck], write: impl FnOnce(&[Value<'_>]) -> R) -> R {
        let (name, fleet, driver, model, device_version) = truck_of(trucks, self.truck);
        let (load, fuel, nominal) = match trucks.get(self.truck) {
            Some(truck) => (
                truck.model.load_capacity,
                truck.model.fuel_capacity,
                truck.model.nominal_fuel_consumption,
            ),
            None => (0.0, 0.0, 0.0),
        };
        write(&[
            Value::Str(name),
            Value::Str(fleet),
            Value::Str(driver),
            Value::Str(model),
            Value::Str(device_version),
            Value::Real(Some(load)),
            Value::Real(Some(fuel)),
            Value::Real(Some(nominal)),
        ])
    }
}
