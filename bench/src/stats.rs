//! Percentiles and medians of measured times.
//!
//! Percentiles use the nearest-rank method (the smallest value with at least p% of the values at
//! or below it): every reported figure is a latency that was actually observed, never an
//! interpolation between two.

use serde::Serialize;

/// The nearest-rank `percentile` (0..=100) of `sorted` (ascending); `None` when empty.
pub fn percentile(sorted: &[f64], percentile: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (percentile.clamp(0.0, 100.0) / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.saturating_sub(1).min(sorted.len() - 1))
        .copied()
}

/// The median: the mean of the two middle values for an even count.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        length if length % 2 == 1 => sorted.get(middle).copied(),
        _ => Some((sorted.get(middle - 1)? + sorted.get(middle)?) / 2.0),
    }
}

/// A latency distribution in milliseconds, as reports show it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Summary {
    pub count: usize,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

impl Summary {
    /// Summarizes `values` (sorted here).
    pub fn of(values: &mut [f64]) -> Summary {
        values.sort_by(f64::total_cmp);
        Summary {
            count: values.len(),
            p50: percentile(values, 50.0),
            p95: percentile(values, 95.0),
            p99: percentile(values, 99.0),
            max: values.last().copied(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves nearest-rank percentiles on known data, including the edges.
    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 50.0), Some(50.0));
        assert_eq!(percentile(&values, 95.0), Some(95.0));
        assert_eq!(percentile(&values, 99.0), Some(99.0));
        assert_eq!(percentile(&values, 100.0), Some(100.0));
        assert_eq!(percentile(&values, 0.0), Some(1.0));
        assert_eq!(
            percentile(&[15.0, 20.0, 35.0, 40.0, 50.0], 30.0),
            Some(20.0)
        );
        assert_eq!(
            percentile(&[15.0, 20.0, 35.0, 40.0, 50.0], 40.0),
            Some(20.0)
        );
        assert_eq!(
            percentile(&[15.0, 20.0, 35.0, 40.0, 50.0], 50.0),
            Some(35.0)
        );
        assert_eq!(percentile(&[7.0], 99.0), Some(7.0));
        assert_eq!(percentile(&[], 50.0), None);
    }

    // Proves medians of odd and even counts, unsorted input, and the summary.
    #[test]
    fn medians_and_summaries() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        let mut values: Vec<f64> = (1..=1000).rev().map(f64::from).collect();
        let summary = Summary::of(&mut values);
        assert_eq!(summary.count, 1000);
        assert_eq!(summary.p50, Some(500.0));
        assert_eq!(summary.p95, Some(950.0));
        assert_eq!(summary.p99, Some(990.0));
        assert_eq!(summary.max, Some(1000.0));
    }
}
