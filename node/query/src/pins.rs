//! Extent pins: an extent removed from the catalog (merged away, dropped by retention, table
//! dropped) keeps its bytes until every query that could still read it has finished.
//!
//! Queries pin the current epoch; retiring extents stamps them with a new epoch; an extent may be
//! deleted once no pin older than or equal to its retirement epoch is alive.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tarn_common::ExtentId;

#[derive(Default)]
struct PinState {
    epoch: u64,
    /// Live pins per epoch.
    pins: BTreeMap<u64, usize>,
    /// Retired extents with the epoch they were retired at.
    retired: Vec<(u64, ExtentId)>,
}

#[derive(Clone, Default)]
pub struct ExtentPins {
    state: Arc<Mutex<PinState>>,
}

/// Held by a running query; dropping it releases the pin.
pub struct PinGuard {
    state: Arc<Mutex<PinState>>,
    epoch: u64,
}

impl ExtentPins {
    pub fn new() -> ExtentPins {
        ExtentPins::default()
    }

    pub fn pin(&self) -> PinGuard {
        let mut state = lock(&self.state);
        let epoch = state.epoch;
        *state.pins.entry(epoch).or_insert(0) += 1;
        PinGuard { state: Arc::clone(&self.state), epoch }
    }

    /// Marks extents as no longer in the catalog; their bytes go once no older query runs.
    pub fn retire(&self, extents: impl IntoIterator<Item = ExtentId>) {
        let mut state = lock(&self.state);
        state.epoch += 1;
        let epoch = state.epoch;
        state.retired.extend(extents.into_iter().map(|extent| (epoch, extent)));
    }

    /// Takes the retired extents that no running query can read any more.
    pub fn take_deletable(&self) -> Vec<ExtentId> {
        let mut state = lock(&self.state);
        let oldest_pin = state.pins.keys().next().copied();
        let (deletable, kept): (Vec<_>, Vec<_>) = state
            .retired
            .drain(..)
            .partition(|(retired_at, _)| oldest_pin.is_none_or(|oldest| oldest >= *retired_at));
        state.retired = kept;
        deletable.into_iter().map(|(_, extent)| extent).collect()
    }
}

impl Drop for PinGuard {
    fn drop(&mut self) {
        let mut state = lock(&self.state);
        if let Some(count) = state.pins.get_mut(&self.epoch) {
            *count -= 1;
            if *count == 0 {
                state.pins.remove(&self.epoch);
            }
        }
    }
}

/// The state holds plain counters: a panic while holding the lock cannot leave it inconsistent,
/// so a poisoned lock is used as is.
fn lock(state: &Mutex<PinState>) -> std::sync::MutexGuard<'_, PinState> {
    state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Proves an extent retired while a query runs is kept until that query ends, and that
    /// queries started after the retirement do not hold it back.
    #[test]
    fn retired_extents_wait_for_older_queries() {
        let pins = ExtentPins::new();
        let old_query = pins.pin();
        pins.retire([ExtentId(1)]);
        let new_query = pins.pin();
        assert!(pins.take_deletable().is_empty(), "a query older than the retirement still runs");
        drop(old_query);
        assert_eq!(pins.take_deletable(), vec![ExtentId(1)]);
        assert!(pins.take_deletable().is_empty(), "taken once");
        drop(new_query);
    }
}
