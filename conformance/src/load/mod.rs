//! `renkei-load`: drives a running hub over mutual TLS at a chosen
//! concurrency and reports throughput, latency percentiles, errors and the
//! server's CPU and memory. Every run is bounded by a request count.

pub mod idle;
pub mod pix;
pub mod server;
pub mod stats;
pub mod workload;

pub use workload::{Target, Transaction, Workload};

use anyhow::Result;
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How hard and how long to push.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    pub concurrency: usize,
    /// Measured requests.
    pub requests: u64,
    /// Requests sent first and not measured (connections, caches).
    pub warmup: u64,
    /// One request may take at most this long before it counts as an error.
    pub timeout: Duration,
}

/// The outcome of one run.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    pub transaction: Transaction,
    pub concurrency: usize,
    pub doc_bytes: usize,
    pub ok: u64,
    pub errors: u64,
    /// The first few error messages, for diagnosis.
    pub error_samples: Vec<String>,
    pub wall_seconds: f64,
    /// Successful requests per second.
    pub throughput_rps: f64,
    /// DocumentEntries each request registers (ITI-41, ITI-42; 0 for reads).
    pub entries_per_request: u32,
    /// DocumentEntries registered per second.
    pub entries_per_s: f64,
    /// Document payload moved per second (ITI-41 sent, ITI-43 received).
    pub payload_mb_per_s: f64,
    pub latency: stats::Latency,
    pub server: Option<server::ServerUsage>,
    /// The load tool's own CPU during the run, relative to one core: on a
    /// machine it shares with the hub, what the hub could not use.
    pub client_cpu_percent: Option<f64>,
}

struct Worker {
    latencies_us: Vec<u64>,
    errors: u64,
    error_samples: Vec<String>,
    payload: u64,
}

const ERROR_SAMPLES: usize = 5;

async fn drive(
    workload: Arc<Workload>,
    next: Arc<AtomicU64>,
    end: u64,
    timeout: Duration,
) -> Worker {
    let mut w = Worker {
        latencies_us: Vec::new(),
        errors: 0,
        error_samples: Vec::new(),
        payload: 0,
    };
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= end {
            break;
        }
        let outcome = match workload.request(i) {
            Ok(req) => {
                let (bytes, min_reply) = (req.document_bytes, req.min_reply_bytes);
                let started = Instant::now();
                let client = &workload.target().client;
                let sent = if req.get {
                    tokio::time::timeout(timeout, client.get(req.path)).await
                } else {
                    tokio::time::timeout(timeout, client.post(req.path, req.content_type, req.body))
                        .await
                };
                let elapsed = started.elapsed();
                match sent {
                    Err(_) => Err(anyhow::anyhow!("timed out after {timeout:?}")),
                    Ok(Err(e)) => Err(e),
                    Ok(Ok(reply)) => workload::check(&reply, min_reply).map(|()| (elapsed, bytes)),
                }
            }
            Err(e) => Err(e),
        };
        match outcome {
            Ok((elapsed, bytes)) => {
                w.latencies_us
                    .push(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX));
                w.payload += bytes;
            }
            Err(e) => {
                w.errors += 1;
                if w.error_samples.len() < ERROR_SAMPLES {
                    w.error_samples.push(format!("{e:#}"));
                }
            }
        }
    }
    w
}

async fn phase(
    workload: &Arc<Workload>,
    start: u64,
    count: u64,
    plan: &LoadPlan,
) -> Result<Vec<Worker>> {
    let next = Arc::new(AtomicU64::new(start));
    let end = start.saturating_add(count);
    let mut tasks = Vec::new();
    for _ in 0..plan.concurrency.max(1) {
        tasks.push(tokio::spawn(drive(
            workload.clone(),
            next.clone(),
            end,
            plan.timeout,
        )));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await?);
    }
    Ok(out)
}

/// Runs `plan` against the prepared workload; `server_pid` is the hub's
/// process, sampled during the measured phase.
pub async fn run(
    workload: Workload,
    plan: &LoadPlan,
    doc_bytes: usize,
    server_pid: Option<u32>,
) -> Result<LoadReport> {
    let transaction = workload.transaction;
    let entries_per_request = workload.entries_per_request();
    let workload = Arc::new(workload);
    if plan.warmup > 0 {
        phase(&workload, 0, plan.warmup, plan).await?;
    }
    let probe = server_pid.and_then(server::Probe::start);
    let client_ticks = server::cpu_ticks(std::process::id());
    let started = Instant::now();
    let workers = phase(&workload, plan.warmup, plan.requests, plan).await?;
    let wall = started.elapsed().as_secs_f64();
    let client_cpu_percent = client_ticks
        .zip(server::cpu_ticks(std::process::id()))
        .map(|(start, end)| server::cpu_percent(end.saturating_sub(start), wall));
    let server = match probe {
        Some(p) => Some(p.finish().await),
        None => None,
    };
    let mut lat = Vec::new();
    let (mut errors, mut payload) = (0, 0);
    let mut error_samples = Vec::new();
    for w in workers {
        lat.extend(w.latencies_us);
        errors += w.errors;
        payload += w.payload;
        error_samples.extend(w.error_samples);
    }
    error_samples.truncate(ERROR_SAMPLES);
    let ok = lat.len() as u64;
    let per_s = |v: f64| if wall > 0.0 { v / wall } else { 0.0 };
    Ok(LoadReport {
        transaction,
        concurrency: plan.concurrency,
        doc_bytes,
        ok,
        errors,
        error_samples,
        wall_seconds: wall,
        throughput_rps: per_s(ok as f64),
        entries_per_request,
        entries_per_s: per_s((ok * u64::from(entries_per_request)) as f64),
        payload_mb_per_s: per_s(payload as f64 / 1_048_576.0),
        latency: stats::Latency::of(&mut lat),
        server,
        client_cpu_percent,
    })
}

impl LoadReport {
    /// One human-readable line block.
    pub fn render(&self) -> String {
        let l = &self.latency;
        let mut s = format!(
            "{:?} c={} doc={}B: {} ok, {} errors in {:.2}s = {:.1} req/s, {:.1} MB/s payload\n  latency ms: mean {:.2} p50 {:.2} p95 {:.2} p99 {:.2} max {:.2}\n",
            self.transaction,
            self.concurrency,
            self.doc_bytes,
            self.ok,
            self.errors,
            self.wall_seconds,
            self.throughput_rps,
            self.payload_mb_per_s,
            l.mean_ms,
            l.p50_ms,
            l.p95_ms,
            l.p99_ms,
            l.max_ms
        );
        if self.entries_per_request > 1 {
            s.push_str(&format!(
                "  {} DocumentEntries per request: {:.1} entries/s\n",
                self.entries_per_request, self.entries_per_s
            ));
        }
        if let Some(sv) = &self.server {
            s.push_str(&format!(
                "  server pid {}: cpu {:.2}s ({:.0}% of one core), rss start {:.1} MB, max {:.1} MB, end {:.1} MB\n",
                sv.pid, sv.cpu_seconds, sv.cpu_percent, sv.rss_start_mb, sv.rss_max_mb, sv.rss_end_mb
            ));
            let per_request = |mb: f64| mb * 1024.0 / self.ok.max(1) as f64;
            if let (Some(storage), Some(calls)) = (sv.disk_write_mb, sv.written_mb) {
                s.push_str(&format!(
                    "  server writes: {calls:.1} MB through write calls ({:.1} KB per ok request), {storage:.1} MB counted by the kernel as sent to storage ({:.1} KB)\n",
                    per_request(calls),
                    per_request(storage)
                ));
            }
        }
        if let Some(c) = self.client_cpu_percent {
            s.push_str(&format!("  load tool cpu {c:.0}% of one core\n"));
        }
        for e in &self.error_samples {
            s.push_str(&format!("  error: {e}\n"));
        }
        s
    }
}
