//! PIX load over MLLP/TLS: ITI-8 feeds of `patients` local ids (the hub
//! creates each person's regional id), then ITI-9 PIX Queries for random ones
//! of them, each worker on its own connection (original-mode: one message in
//! flight per connection, as PIX sources and consumers send).

use super::server::{Probe, ServerUsage};
use super::stats::Latency;
use crate::mllp::{MllpClient, segment};
use anyhow::{Context, Result, bail};
use serde::Serialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct PixPlan {
    pub addr: SocketAddr,
    /// Client certificate directory of the feeding facility.
    pub client_dir: PathBuf,
    /// Its OID: the assigning authority of the local ids fed.
    pub facility_oid: String,
    pub patients: u64,
    pub queries: u64,
    pub concurrency: usize,
    pub seed: u64,
    pub server_pid: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PhaseReport {
    pub transaction: &'static str,
    pub ok: u64,
    pub errors: u64,
    pub error_samples: Vec<String>,
    pub wall_seconds: f64,
    pub throughput_rps: f64,
    pub latency: Latency,
    pub server: Option<ServerUsage>,
}

impl PhaseReport {
    pub fn render(&self) -> String {
        let mut out = format!(
            "{}: {} ok, {} errors in {:.2}s = {:.1} req/s\n  latency ms: mean {:.2} p50 {:.2} p95 {:.2} p99 {:.2} max {:.2}\n",
            self.transaction,
            self.ok,
            self.errors,
            self.wall_seconds,
            self.throughput_rps,
            self.latency.mean_ms,
            self.latency.p50_ms,
            self.latency.p95_ms,
            self.latency.p99_ms,
            self.latency.max_ms
        );
        if let Some(s) = &self.server {
            out.push_str(&format!(
                "  server pid {}: cpu {:.2}s ({:.0}% of one core), rss max {:.1} MB\n",
                s.pid, s.cpu_seconds, s.cpu_percent, s.rss_max_mb
            ));
        }
        for e in &self.error_samples {
            out.push_str(&format!("  error: {e}\n"));
        }
        out
    }
}

fn local_id(plan: &PixPlan, n: u64) -> String {
    format!("PIXLOAD{n:08}^^^&{}&ISO", plan.facility_oid)
}

fn a04(control: &str, pid3: &str, n: u64) -> Vec<u8> {
    format!(
        "MSH|^~\\&|LOAD|SRC|RENKEI|HUB|20261204120000||ADT^A04^ADT_A01|{control}|P|2.3.1\r\
         EVN|A04|20261204120000\r\
         PID|||{pid3}||負荷^太郎{n}||19500101|M\r\
         PV1||O\r"
    )
    .into_bytes()
}

fn qbp(control: &str, pid3: &str) -> Vec<u8> {
    format!(
        "MSH|^~\\&|LOAD|SRC|RENKEI|HUB|20261204120000||QBP^Q23^QBP_Q21|{control}|P|2.5\r\
         QPD|IHE PIX Query|Q{control}|{pid3}|\r\
         RCP|I\r"
    )
    .into_bytes()
}

/// A reply is a success when MSA-1 is AA (and, for ITI-9, QAK-2 OK).
fn check(reply: &[u8], query: bool) -> Result<()> {
    let msa = segment(reply, "MSA").context("no MSA in the reply")?;
    if msa.get(1).map(String::as_str) != Some("AA") {
        bail!("MSA {:?}", msa);
    }
    if query {
        let qak = segment(reply, "QAK").context("no QAK in the reply")?;
        if qak.get(2).map(String::as_str) != Some("OK") {
            bail!("QAK {:?}", qak);
        }
    }
    Ok(())
}

/// Deterministic pseudo-random patient for query `i`.
fn pick(plan: &PixPlan, i: u64) -> u64 {
    let mut x = i ^ plan.seed ^ 0x9E37_79B9_7F4A_7C15;
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x % plan.patients.max(1)
}

async fn phase(plan: &PixPlan, query: bool) -> Result<PhaseReport> {
    let total = if query { plan.queries } else { plan.patients };
    let next = Arc::new(AtomicU64::new(0));
    let probe = plan.server_pid.and_then(Probe::start);
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..plan.concurrency.max(1) {
        let (plan, next) = (plan.clone(), Arc::clone(&next));
        workers.push(tokio::spawn(async move {
            let mut client = MllpClient::connect_dir(plan.addr, &plan.client_dir).await?;
            let (mut samples, mut errors, mut error_samples) = (Vec::new(), 0u64, Vec::new());
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let control = format!("L{}{i}", if query { "Q" } else { "F" });
                let message = if query {
                    qbp(&control, &local_id(&plan, pick(&plan, i)))
                } else {
                    a04(&control, &local_id(&plan, i), i)
                };
                let sent = Instant::now();
                let outcome = match client.send(&message).await {
                    Ok(reply) => check(&reply, query),
                    Err(e) => Err(e),
                };
                match outcome {
                    Ok(()) => {
                        samples.push(u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX))
                    }
                    Err(e) => {
                        errors += 1;
                        if error_samples.len() < 3 {
                            error_samples.push(format!("{e:#}"));
                        }
                    }
                }
            }
            Ok::<_, anyhow::Error>((samples, errors, error_samples))
        }));
    }
    let (mut samples, mut errors, mut error_samples) = (Vec::new(), 0, Vec::new());
    for w in workers {
        let (s, e, es) = w.await??;
        samples.extend(s);
        errors += e;
        error_samples.extend(es);
    }
    let wall_seconds = started.elapsed().as_secs_f64();
    let server = match probe {
        Some(p) => Some(p.finish().await),
        None => None,
    };
    let ok = samples.len() as u64;
    Ok(PhaseReport {
        transaction: if query { "ITI-9" } else { "ITI-8" },
        ok,
        errors,
        error_samples,
        wall_seconds,
        throughput_rps: if wall_seconds > 0.0 {
            ok as f64 / wall_seconds
        } else {
            0.0
        },
        latency: Latency::of(&mut samples),
        server,
    })
}

/// Feeds `patients` ids (ITI-8), then queries (ITI-9).
pub async fn run(plan: &PixPlan) -> Result<Vec<PhaseReport>> {
    let feed = phase(plan, false).await?;
    if feed.ok == 0 {
        bail!("no feed succeeded: {:?}", feed.error_samples);
    }
    let query = phase(plan, true).await?;
    Ok(vec![feed, query])
}
