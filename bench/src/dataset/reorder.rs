//! Rows written out of time order, as real devices deliver them: ~1% a few intervals late
//! (out of order within a small window) and ~0.1% far later in the file than their timestamp
//! (late arrivals, e.g. a truck that was offline).
//!
//! A row is held back for a number of *rows*, not of time, which keeps the buffer bounded by
//! the delay: at most (late delay × late probability) rows on average.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::prng::Prng;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReorderPolicy {
    pub out_of_order_probability: f64,
    /// Out-of-order rows are held back 1..=this many rows.
    pub out_of_order_rows_max: u64,
    pub late_probability: f64,
    /// Late rows are held back this many rows (or to the end of the file).
    pub late_rows: u64,
}

impl ReorderPolicy {
    /// For `trucks` rows per interval: out of order by up to three intervals, late by an hour.
    pub fn realistic(trucks: u64, interval_nanos: i64) -> ReorderPolicy {
        let intervals_per_hour = (3_600_000_000_000 / interval_nanos.max(1)).max(10) as u64;
        ReorderPolicy {
            out_of_order_probability: 0.01,
            out_of_order_rows_max: trucks.saturating_mul(3).max(2),
            late_probability: 0.001,
            late_rows: trucks.saturating_mul(intervals_per_hour),
        }
    }
}

struct Held<R> {
    release_after: u64,
    sequence: u64,
    record: R,
}

impl<R> PartialEq for Held<R> {
    fn eq(&self, other: &Held<R>) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<R> Eq for Held<R> {}

impl<R> PartialOrd for Held<R> {
    fn partial_cmp(&self, other: &Held<R>) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<R> Ord for Held<R> {
    /// Reversed, so the max-heap pops the earliest release first.
    fn cmp(&self, other: &Held<R>) -> Ordering {
        (other.release_after, other.sequence).cmp(&(self.release_after, self.sequence))
    }
}

/// Takes rows in time order and hands them on in file order.
pub struct Reorder<R> {
    policy: ReorderPolicy,
    prng: Prng,
    taken: u64,
    held: BinaryHeap<Held<R>>,
}

impl<R> Reorder<R> {
    pub fn new(policy: ReorderPolicy, prng: Prng) -> Reorder<R> {
        Reorder {
            policy,
            prng,
            taken: 0,
            held: BinaryHeap::new(),
        }
    }

    /// Takes `record`; calls `emit` with every row due now, in file order.
    pub fn push<E>(
        &mut self,
        record: R,
        emit: &mut impl FnMut(R) -> Result<(), E>,
    ) -> Result<(), E> {
        self.taken += 1;
        let draw = self.prng.next_f64();
        let delay = if draw < self.policy.late_probability {
            self.policy.late_rows
        } else if draw < self.policy.late_probability + self.policy.out_of_order_probability {
            1 + self.prng.below(self.policy.out_of_order_rows_max)
        } else {
            0
        };
        if delay == 0 {
            emit(record)?;
        } else {
            self.held.push(Held {
                release_after: self.taken + delay,
                sequence: self.taken,
                record,
            });
        }
        while self
            .held
            .peek()
            .is_some_and(|held| held.release_after <= self.taken)
        {
            if let Some(held) = self.held.pop() {
                emit(held.record)?;
            }
        }
        Ok(())
    }

    /// Hands on every row still held, in release order.
    pub fn finish<E>(mut self, emit: &mut impl FnMut(R) -> Result<(), E>) -> Result<(), E> {
        while let Some(held) = self.held.pop() {
            emit(held.record)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves every row comes out exactly once, some out of order, the displacement bounded.
    #[test]
    fn every_row_once_some_displaced() -> Result<(), std::convert::Infallible> {
        let policy = ReorderPolicy {
            out_of_order_probability: 0.05,
            out_of_order_rows_max: 5,
            late_probability: 0.01,
            late_rows: 100,
        };
        let mut reorder = Reorder::new(policy, Prng::new(3));
        let mut out: Vec<u64> = Vec::new();
        let mut emit = |row: u64| {
            out.push(row);
            Ok::<(), std::convert::Infallible>(())
        };
        for row in 0..10_000u64 {
            reorder.push(row, &mut emit)?;
        }
        reorder.finish(&mut emit)?;
        let mut sorted = out.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..10_000).collect::<Vec<_>>());
        let displaced = out
            .iter()
            .enumerate()
            .filter(|(position, row)| *position as u64 > **row)
            .count();
        assert!(displaced > 100, "{displaced} rows displaced");
        Ok(())
    }
}
