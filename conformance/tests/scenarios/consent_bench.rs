//! Benchmark (ignored by default): FindDocuments with consent filtering
//! against the same query without it, over the same data, in one run.
//!
//! ```text
//! cargo test -p conformance --test scenarios consent_bench -- --ignored --nocapture
//! ```
//!
//! The author's own query needs no consent decision (the author always
//! sees its documents: no consent state or codes are loaded); a consented
//! hospital's query of the same documents loads the patient's consent state
//! and the entries' confidentiality codes once and decides every entry.
//! Both return the same entries. Queries alternate so machine load hits both
//! sides alike; medians are compared.

use crate::common::*;
use conformance::TestHub;
use conformance::client::HubClient;
use conformance::fixtures::{self, DocSpec, Submission};
use ebrim::ResponseStatus;
use hub::facility::{IssueOptions, Participants};
use std::time::{Duration, Instant};

const HOSPITAL: &str = "1.2.392.200119.6.102.7100000001";
const DOCUMENTS: usize = 300;
const PER_SUBMISSION: usize = 50;
const ROUNDS: usize = 150;

async fn hospital_client(hub: &TestHub) -> HubClient {
    let registry = Participants::new(hub.hub.store.clone(), &hub.settings.pki_dir());
    registry
        .add_facility(HOSPITAL, "Bench Hospital", "hospital")
        .await
        .unwrap();
    let bundle = registry
        .issue(HOSPITAL, &IssueOptions::default())
        .await
        .unwrap();
    let identity = format!(
        "{}\n{}",
        bundle.private_key_pem.as_deref().unwrap(),
        bundle.certificate_pem
    );
    let ca = std::fs::read(hub.settings.pki_dir().join("ca.pem")).unwrap();
    let client = HubClient::new(&hub.base_url, &ca, Some(identity.as_bytes())).unwrap();
    let start = Instant::now();
    while client
        .soap("/xds/registry", QUERY, "<x/>")
        .await
        .unwrap()
        .text()
        .contains("not registered")
    {
        assert!(start.elapsed() < Duration::from_secs(6));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    client
}

async fn timed(client: &HubClient, query: &str) -> Duration {
    let started = Instant::now();
    let reply = client.soap("/xds/registry", QUERY, query).await.unwrap();
    let elapsed = started.elapsed();
    let env = reply.envelope().unwrap();
    let q = ebrim::parse::adhoc_query_response(&env).unwrap();
    assert_eq!(q.status, ResponseStatus::Success, "{:?}", q.errors);
    assert_eq!(q.objects.len(), DOCUMENTS, "both sides see every entry");
    elapsed
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn p90(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() * 9 / 10]
}

#[tokio::test]
#[ignore = "benchmark: run with --ignored --nocapture"]
async fn consent_bench_find_documents_with_and_without_consent_filtering() {
    let hub = TestHub::start().await.unwrap();
    let author = hub.client().unwrap();
    let hospital = hospital_client(&hub).await;
    let pid = hub.add_patient("BENCH").await.unwrap();
    for batch in 0..DOCUMENTS / PER_SUBMISSION {
        let mut sub = Submission::new(&pid, &hub.facility_oid);
        for i in 0..PER_SUBMISSION {
            sub = sub.with(DocSpec::referral(
                &format!("Document{i:03}"),
                &hub.facility_oid,
                format!("bench {batch} {i}").as_bytes(),
            ));
        }
        let (body, _) = sub.provide_and_register_xml(false);
        let r = registry_response(&author.soap("/xds/repository", PNR, &body).await.unwrap());
        assert_eq!(r.status, ResponseStatus::Success, "{:?}", r.errors);
    }
    hub::consent_cli::grant(&hub.settings, pid.clone(), true, vec![], true, None)
        .await
        .unwrap();

    let query = fixtures::find_documents(&pid, "LeafClass");
    for _ in 0..10 {
        timed(&author, &query).await;
        timed(&hospital, &query).await;
    }
    let (mut without, mut with) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // Alternate who goes first so neither side always follows the other.
        if round % 2 == 0 {
            without.push(timed(&author, &query).await);
            with.push(timed(&hospital, &query).await);
        } else {
            with.push(timed(&hospital, &query).await);
            without.push(timed(&author, &query).await);
        }
    }
    let (m0, m1) = (median(without.clone()), median(with.clone()));
    let ratio = m1.as_secs_f64() / m0.as_secs_f64();
    println!(
        "FindDocuments LeafClass, {DOCUMENTS} entries, {ROUNDS} rounds, backend {}:\n  without consent filtering (author): median {:.2} ms, p90 {:.2} ms\n  with consent filtering (consented hospital): median {:.2} ms, p90 {:.2} ms\n  ratio of medians {:.3}",
        if hub.settings.database_url.starts_with("postgres") {
            "postgresql"
        } else {
            "sqlite"
        },
        m0.as_secs_f64() * 1e3,
        p90(without).as_secs_f64() * 1e3,
        m1.as_secs_f64() * 1e3,
        p90(with).as_secs_f64() * 1e3,
        ratio
    );
    assert!(
        ratio <= 1.10,
        "consent filtering costs more than 10 %: {ratio:.3}"
    );
    hub.stop().await;
}
