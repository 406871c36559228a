//! Straight into the store: each generated submission is parsed and
//! validated like an ITI-42 and registered with [`registry::register_in`],
//! the same code the hub runs, many submissions per transaction. So the
//! rows are exactly what the hub would write, at bulk speed.

use super::corpus::{CorpusShape, GeneratedSubmission, Region, patient_id};
use super::{GenError, GenSummary};
use ebrim::xds::{ValidatedSubmission, ValidationOptions, validate_submission};
use registry::{RegisterFailure, Submitter};
use std::collections::VecDeque;
use std::time::Instant;
use store::Store;
use tokio::task::JoinHandle;

/// How to batch the writes.
#[derive(Debug, Clone)]
pub struct DirectOptions {
    /// Index of the first patient (to extend an existing corpus).
    pub first_patient: u64,
    pub patients: u64,
    /// Submissions committed per transaction.
    pub batch: usize,
    /// Transactions in flight at once. PostgreSQL commits them in parallel
    /// (one generator thread cannot keep its server busy over round trips);
    /// SQLite's single writer takes them in turn.
    pub writers: usize,
}

/// One transaction's work: patients to add and submissions to register.
struct Batch {
    patients: Vec<String>,
    submissions: Vec<(ValidatedSubmission, Submitter)>,
    entries: u64,
    consent_for: Option<String>,
}

fn validated(g: &GeneratedSubmission) -> Result<(ValidatedSubmission, Submitter), GenError> {
    let xml = g.submit_objects_xml(Some(&g.facility_xon()));
    let req =
        ebrim::parse::submit_objects_request(xml.as_bytes(), &ebrim::parse::Limits::default())
            .map_err(|e| GenError::Parse(e.to_string()))?;
    let v = validate_submission(&req, &ValidationOptions::register()).map_err(|errors| {
        GenError::Rejected(
            errors
                .iter()
                .map(|e| e.context.clone())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    Ok((v, Submitter::new(g.facility_oid.clone())))
}

/// Builds the batches lazily, patient by patient.
struct Batches<'a> {
    shape: &'a CorpusShape,
    region: &'a Region,
    next_patient: u64,
    end_patient: u64,
    batch: usize,
}

impl Batches<'_> {
    fn next_batch(&mut self) -> Result<Option<Batch>, GenError> {
        if self.next_patient >= self.end_patient {
            return Ok(None);
        }
        let mut b = Batch {
            patients: Vec::new(),
            submissions: Vec::new(),
            entries: 0,
            consent_for: self.shape.consent_for.clone(),
        };
        while self.next_patient < self.end_patient && b.submissions.len() < self.batch.max(1) {
            let p = self.next_patient;
            self.next_patient += 1;
            b.patients
                .push(patient_id(self.region, &self.shape.patient_prefix, p));
            for n in 0..self.shape.submissions_per_patient() {
                if let Some(g) = self.shape.submission(self.region, p, n, true) {
                    b.entries += g.submission.documents.len() as u64;
                    b.submissions.push(validated(&g)?);
                }
            }
        }
        Ok(Some(b))
    }
}

async fn commit(store: &Store, b: Batch) -> Result<u64, GenError> {
    let entries = b.entries;
    store
        .write(move |conn| {
            for p in &b.patients {
                super::enrolment::enrol(conn, p, b.consent_for.as_deref())?;
            }
            for (v, who) in &b.submissions {
                registry::register_in(conn, v, who).map_err(|e| match e {
                    RegisterFailure::Store(s) => GenError::Store(s),
                    RegisterFailure::Rejected(errors) => GenError::Rejected(
                        errors
                            .iter()
                            .map(|e| e.context.clone())
                            .collect::<Vec<_>>()
                            .join("; "),
                    ),
                })?;
            }
            Ok::<_, GenError>(())
        })
        .await?;
    Ok(entries)
}

/// Generates the corpus into `store`. The next batches are built while
/// up to [`DirectOptions::writers`] earlier ones commit.
pub async fn generate(
    store: &Store,
    region: &Region,
    shape: &CorpusShape,
    opts: &DirectOptions,
    progress: &indicatif::ProgressBar,
) -> Result<GenSummary, GenError> {
    let started = Instant::now();
    let mut batches = Batches {
        shape,
        region,
        next_patient: opts.first_patient,
        end_patient: opts.first_patient.saturating_add(opts.patients),
        batch: opts.batch,
    };
    let mut summary = GenSummary {
        patients: opts.patients,
        ..GenSummary::default()
    };
    let mut in_flight: VecDeque<JoinHandle<Result<u64, GenError>>> = VecDeque::new();
    let mut analysed = false;
    loop {
        let next = batches.next_batch()?;
        while in_flight.len() >= opts.writers.max(1) || (next.is_none() && !in_flight.is_empty()) {
            let Some(h) = in_flight.pop_front() else {
                break;
            };
            let entries = h.await.map_err(|e| GenError::Hub(e.to_string()))??;
            progress.inc(entries);
            if !analysed {
                // Statistics once the first batch is in, as autovacuum would
                // give them later: plans made on empty tables scan them.
                store.write(store::refresh_statistics).await?;
                analysed = true;
            }
        }
        let Some(b) = next else { break };
        summary.submissions += b.submissions.len() as u64;
        summary.document_entries += b.entries;
        let s = store.clone();
        in_flight.push_back(tokio::spawn(async move { commit(&s, b).await }));
    }
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}
