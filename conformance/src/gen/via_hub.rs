//! Through a running hub: ITI-41 Provide and Register with real document
//! bytes over mutual TLS, several submissions in flight. Slower than
//! [`super::direct`], but the repository holds the bytes, so ITI-43 works
//! on the result. Patients are registered in the store first (the identity
//! feed, ITI-8, does not exist yet).

use super::corpus::{CorpusShape, Region, patient_id};
use super::{GenError, GenSummary};
use crate::client::HubClient;
use futures_util::StreamExt;
use std::time::Instant;
use store::Store;

pub const ITI41_ACTION: &str = "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b";
pub const SUCCESS: &str = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success";

/// Registers patients `first..first+count`, each new one with its consent
/// for `consent_for` ([`super::enrolment`]); idempotent.
pub async fn add_patients(
    store: &Store,
    region: &Region,
    prefix: &str,
    first: u64,
    count: u64,
    consent_for: Option<&str>,
) -> Result<(), GenError> {
    const CHUNK: u64 = 5000;
    let mut at = first;
    let end = first.saturating_add(count);
    while at < end {
        let ids: Vec<String> = (at..end.min(at + CHUNK))
            .map(|p| patient_id(region, prefix, p))
            .collect();
        at = end.min(at + CHUNK);
        let consent_for = consent_for.map(str::to_string);
        store
            .write(move |conn| {
                for id in &ids {
                    super::enrolment::enrol(conn, id, consent_for.as_deref())?;
                }
                Ok::<_, store::StoreError>(())
            })
            .await?;
    }
    Ok(())
}

/// Submits the corpus of patients `first..first+patients` through ITI-41.
#[allow(clippy::too_many_arguments)]
pub async fn generate(
    client: &HubClient,
    store: &Store,
    region: &Region,
    shape: &CorpusShape,
    first: u64,
    patients: u64,
    concurrency: usize,
    progress: &indicatif::ProgressBar,
) -> Result<GenSummary, GenError> {
    add_patients(
        store,
        region,
        &shape.patient_prefix,
        first,
        patients,
        shape.consent_for.as_deref(),
    )
    .await?;
    let started = Instant::now();
    let per = shape.submissions_per_patient();
    let jobs = (first..first.saturating_add(patients)).flat_map(|p| (0..per).map(move |n| (p, n)));
    let results = futures_util::stream::iter(jobs)
        .map(|(p, n)| async move {
            let Some(g) = shape.submission(region, p, n, false) else {
                return Ok::<_, GenError>((0u64, false));
            };
            let docs = g.submission.documents.len() as u64;
            let (xml, attachments) = g.provide_and_register_xml();
            let reply = client
                .mtom("/xds/repository", ITI41_ACTION, &xml, &attachments)
                .await
                .map_err(|e| GenError::Hub(e.to_string()))?;
            Ok((docs, reply.status == 200 && reply.text().contains(SUCCESS)))
        })
        .buffer_unordered(concurrency.max(1));
    futures_util::pin_mut!(results);
    let mut summary = GenSummary {
        patients,
        ..GenSummary::default()
    };
    while let Some(r) = results.next().await {
        let (docs, ok) = r?;
        if docs == 0 {
            continue;
        }
        summary.submissions += 1;
        if ok {
            summary.document_entries += docs;
        } else {
            summary.failures += 1;
        }
        progress.inc(docs);
    }
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}
