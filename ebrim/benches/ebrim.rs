//! ebRIM parser, XDS validation and writer on public sample messages (the
//! same files `bench/lxml_compare.py` parses with lxml).
//!
//! `cargo bench -p ebrim --bench ebrim`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ebrim::parse::Limits;
use ebrim::write::QueryResult;
use ebrim::xds::{ValidationOptions, validate_submission};
use ebrim::{RegistryObject, ResponseStatus};
use std::hint::black_box;

const SAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/conformance/xds/samples"
);

fn sample(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{SAMPLES}/{rel}")).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// SubmitObjectsRequest samples: (label, path).
const SUBMISSIONS: &[(&str, &str)] = &[
    (
        "ihe-register-1doc",
        "ihe-iti-info/XDS.b/RegisterDocumentSet-bRequest.xml",
    ),
    ("ipf-ebrs30", "ipf/SubmitObjectsRequest_ebrs30.xml"),
];

fn parse_submit(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse_submit_objects");
    for (label, path) in SUBMISSIONS {
        let xml = sample(path);
        g.throughput(Throughput::Bytes(xml.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(label), &xml, |b, xml| {
            b.iter(|| {
                ebrim::parse::submit_objects_request(black_box(xml), &Limits::default()).unwrap()
            })
        });
    }
    g.finish();
}

fn validate(c: &mut Criterion) {
    let mut g = c.benchmark_group("validate_submission");
    for (label, path) in SUBMISSIONS {
        let req = ebrim::parse::submit_objects_request(&sample(path), &Limits::default()).unwrap();
        g.bench_with_input(BenchmarkId::from_parameter(label), &req, |b, req| {
            b.iter(|| {
                // Samples may break a rule; either way the whole rule set runs.
                let _ = black_box(validate_submission(
                    black_box(req),
                    &ValidationOptions::register(),
                ));
            })
        });
    }
    g.finish();
}

/// A FindDocuments answer with `n` DocumentEntries, built from the sample's.
fn entries(n: usize) -> Vec<RegistryObject> {
    let req = ebrim::parse::submit_objects_request(&sample(SUBMISSIONS[0].1), &Limits::default())
        .unwrap();
    let entry = req
        .objects
        .iter()
        .find(|o| matches!(o, RegistryObject::ExtrinsicObject(_)))
        .cloned()
        .unwrap();
    vec![entry; n]
}

fn write_and_parse_query_response(c: &mut Criterion) {
    let mut w = c.benchmark_group("write_adhoc_query_response");
    for n in [10usize, 100] {
        let objects = entries(n);
        w.throughput(Throughput::Elements(n as u64));
        w.bench_with_input(BenchmarkId::from_parameter(n), &objects, |b, objects| {
            b.iter(|| {
                ebrim::write::adhoc_query_response(
                    ResponseStatus::Success,
                    &[],
                    &QueryResult::LeafClass(black_box(objects)),
                )
            })
        });
    }
    w.finish();
    let mut p = c.benchmark_group("parse_adhoc_query_response");
    for n in [10usize, 100] {
        let xml = ebrim::write::adhoc_query_response(
            ResponseStatus::Success,
            &[],
            &QueryResult::LeafClass(&entries(n)),
        );
        p.throughput(Throughput::Bytes(xml.len() as u64));
        p.bench_with_input(BenchmarkId::from_parameter(n), &xml, |b, xml| {
            b.iter(|| ebrim::parse::adhoc_query_response(black_box(xml.as_bytes())).unwrap())
        });
    }
    p.finish();
}

criterion_group!(
    benches,
    parse_submit,
    validate,
    write_and_parse_query_response
);
criterion_main!(benches);
