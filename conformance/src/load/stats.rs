//! Latency percentiles (nearest rank) over every request of a run.

use serde::Serialize;

/// Latency summary in milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Latency {
    pub count: usize,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    /// From per-request latencies in microseconds (sorted in place).
    pub fn of(samples: &mut [u64]) -> Latency {
        if samples.is_empty() {
            return Latency::default();
        }
        samples.sort_unstable();
        let n = samples.len();
        let sum: u128 = samples.iter().map(|&v| u128::from(v)).sum();
        let rank = |q: f64| -> f64 {
            // Nearest rank: the smallest value with at least q of the samples at or below it.
            let idx = ((q * n as f64).ceil() as usize).clamp(1, n) - 1;
            samples.get(idx).copied().unwrap_or(0) as f64 / 1000.0
        };
        Latency {
            count: n,
            mean_ms: sum as f64 / n as f64 / 1000.0,
            p50_ms: rank(0.50),
            p95_ms: rank(0.95),
            p99_ms: rank(0.99),
            max_ms: samples.last().copied().unwrap_or(0) as f64 / 1000.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Latency;

    #[test]
    fn nearest_rank_percentiles() {
        let mut v: Vec<u64> = (1..=100).rev().map(|ms| ms * 1000).collect();
        let l = Latency::of(&mut v);
        assert_eq!(l.count, 100);
        assert_eq!(l.p50_ms, 50.0);
        assert_eq!(l.p95_ms, 95.0);
        assert_eq!(l.p99_ms, 99.0);
        assert_eq!(l.max_ms, 100.0);
        assert!((l.mean_ms - 50.5).abs() < 1e-9);
    }

    #[test]
    fn small_and_empty_runs() {
        assert_eq!(Latency::of(&mut []).count, 0);
        let l = Latency::of(&mut [7000]);
        assert_eq!((l.p50_ms, l.p99_ms, l.max_ms), (7.0, 7.0, 7.0));
    }
}
