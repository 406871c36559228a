//! The load tool (`renkei-load run`) against the real hub: the entries it
//! reports registering are the entries the registry then holds.

use crate::common::*;
use conformance::TestHub;
use conformance::generator::corpus::Region;
use conformance::load::{self, LoadPlan, Target, Transaction, Workload};
use std::time::Duration;

const PATIENTS: u64 = 2;

#[tokio::test]
async fn multi_document_register_load_stores_every_entry_it_reports() {
    let hub = TestHub::start().await.unwrap();
    let mut patients = Vec::new();
    for p in 0..PATIENTS {
        patients.push(hub.add_patient(&format!("BENCH{p:08}")).await.unwrap());
    }
    let target = Target {
        client: hub.client().unwrap(),
        region: Region {
            affinity_domain: hub.settings.affinity_domain.clone(),
            repository_unique_id: hub.settings.repository_unique_id.clone(),
        },
        patient_prefix: "BENCH".into(),
        patients: PATIENTS,
        seed: 7,
        facility_oid: hub.facility_oid.clone(),
    };
    let plan = LoadPlan {
        concurrency: 2,
        requests: 4,
        warmup: 1,
        timeout: Duration::from_secs(60),
    };
    let workload = Workload::prepare(Transaction::Iti42, target, 1024, 0)
        .await
        .unwrap()
        .with_docs_per_request(3);
    let report = load::run(workload, &plan, 1024, None).await.unwrap();

    assert_eq!(
        (report.ok, report.errors),
        (4, 0),
        "{:?}",
        report.error_samples
    );
    assert_eq!(report.entries_per_request, 3);
    let expected = report.throughput_rps * 3.0;
    assert!(
        (report.entries_per_s - expected).abs() < 1e-6 * expected,
        "{} entries/s at {} req/s",
        report.entries_per_s,
        report.throughput_rps
    );
    // Five submissions (one warm-up, four measured) of three entries each.
    let mut stored = 0;
    for p in &patients {
        stored += stored_entry_count(&hub, p).await;
    }
    assert_eq!(stored, 15);
    hub.stop().await;
}
