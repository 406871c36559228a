//! The hub's resource use during a run, read from `/proc/<pid>` (Linux):
//! CPU time (utime + stime), resident memory sampled while the run lasts,
//! and the bytes it sent to storage (`/proc/<pid>/io`; on PostgreSQL the
//! database server's own writes are not the hub's and are not counted).

use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// Kernel clock ticks per second for /proc times (USER_HZ, 100 on Linux x86 and arm).
const TICKS_PER_SECOND: f64 = 100.0;
const SAMPLE_EVERY: Duration = Duration::from_millis(50);

/// What the server used during the run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ServerUsage {
    pub pid: u32,
    /// CPU seconds (user + system) spent during the run.
    pub cpu_seconds: f64,
    /// CPU use relative to one core (200 % = both cores of a 2-core machine).
    pub cpu_percent: f64,
    pub rss_start_mb: f64,
    pub rss_max_mb: f64,
    pub rss_end_mb: f64,
    /// MB the hub caused to be written to storage during the run (SQLite's
    /// WAL and checkpoints, blobs), as the kernel counts it: a 4 KB write
    /// into a large page-cache folio counts the whole folio (ext4 on recent
    /// kernels), so this can exceed `written_mb` several times over.
    /// `None` where `/proc/<pid>/io` is unreadable.
    pub disk_write_mb: Option<f64>,
    /// MB the hub passed to write calls during the run (`wchar`: files and
    /// sockets alike; for ITI-42 on SQLite nearly all of it is WAL frames
    /// and checkpoint page writes).
    pub written_mb: Option<f64>,
}

/// CPU ticks (utime + stime) of a process.
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// CPU `ticks` over `wall` seconds, relative to one core.
pub fn cpu_percent(ticks: u64, wall: f64) -> f64 {
    if wall > 0.0 {
        100.0 * ticks as f64 / TICKS_PER_SECOND / wall
    } else {
        0.0
    }
}

/// Resident set size in kB.
pub fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// A process's written-byte counters.
#[derive(Debug, Clone, Copy)]
pub struct Written {
    /// `write_bytes`: bytes it caused to be sent to storage.
    pub storage: u64,
    /// `wchar`: bytes it passed to write calls.
    pub calls: u64,
}

/// The written-byte counters of a process (`/proc/<pid>/io`).
pub fn written(pid: u32) -> Option<Written> {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    let field = |name: &str| {
        io.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
    };
    Some(Written {
        storage: field("write_bytes:")?,
        calls: field("wchar:")?,
    })
}

/// Samples a process from [`Probe::start`] until [`Probe::finish`].
pub struct Probe {
    pid: u32,
    ticks_start: u64,
    rss_start: u64,
    written_start: Option<Written>,
    rss_max: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    sampler: tokio::task::JoinHandle<()>,
    started: std::time::Instant,
}

impl Probe {
    /// `None` if the process cannot be read.
    pub fn start(pid: u32) -> Option<Probe> {
        let ticks_start = cpu_ticks(pid)?;
        let rss_start = rss_kb(pid)?;
        let written_start = written(pid);
        let rss_max = Arc::new(AtomicU64::new(rss_start));
        let stop = Arc::new(AtomicBool::new(false));
        let (m, s) = (rss_max.clone(), stop.clone());
        let sampler = tokio::spawn(async move {
            while !s.load(Ordering::Relaxed) {
                if let Some(r) = rss_kb(pid) {
                    m.fetch_max(r, Ordering::Relaxed);
                }
                tokio::time::sleep(SAMPLE_EVERY).await;
            }
        });
        Some(Probe {
            pid,
            ticks_start,
            rss_start,
            written_start,
            rss_max,
            stop,
            sampler,
            started: std::time::Instant::now(),
        })
    }

    pub async fn finish(self) -> ServerUsage {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.sampler.await;
        let wall = self.started.elapsed().as_secs_f64();
        let ticks = cpu_ticks(self.pid).unwrap_or(self.ticks_start);
        let rss_end = rss_kb(self.pid).unwrap_or(0);
        let end_written = written(self.pid);
        let busy = ticks.saturating_sub(self.ticks_start);
        ServerUsage {
            pid: self.pid,
            cpu_seconds: busy as f64 / TICKS_PER_SECOND,
            cpu_percent: cpu_percent(busy, wall),
            rss_start_mb: self.rss_start as f64 / 1024.0,
            rss_max_mb: self.rss_max.load(Ordering::Relaxed).max(rss_end) as f64 / 1024.0,
            rss_end_mb: rss_end as f64 / 1024.0,
            disk_write_mb: delta_mb(self.written_start, end_written, |w| w.storage),
            written_mb: delta_mb(self.written_start, end_written, |w| w.calls),
        }
    }
}

/// MB between two readings of one counter.
fn delta_mb(
    start: Option<Written>,
    end: Option<Written>,
    counter: fn(&Written) -> u64,
) -> Option<f64> {
    let (start, end) = (start?, end?);
    Some(counter(&end).saturating_sub(counter(&start)) as f64 / 1_048_576.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_process() {
        let me = std::process::id();
        assert!(cpu_ticks(me).is_some());
        assert!(rss_kb(me).is_some_and(|kb| kb > 0));
        assert!(cpu_ticks(u32::MAX).is_none());
        assert!(written(u32::MAX).is_none());
    }
}
