//! HL7 v2 parsing and PIX extraction on public sample messages, plus the
//! reply builders and a v3 query.
//!
//! `cargo bench -p hl7 --bench parse`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hl7::pix_v2::{self, AckCode, PatientFeed, PixQuery, QueryOutcome, ReplyMeta};
use hl7::v2::Message;
use std::hint::black_box;
use std::path::Path;

fn sample(rel: &str) -> Vec<u8> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    for up in [
        "../../shared/conformance/pix",
        "../../../shared/conformance/pix",
    ] {
        let path = manifest.join(up).join(rel);
        if let Ok(bytes) = std::fs::read(&path) {
            return bytes;
        }
    }
    panic!("{rel} not found");
}

const MESSAGES: &[(&str, &str)] = &[
    ("adt_a04", "hl7v2/ipf/iti8-feed/A04.hl7"),
    ("qbp_q23", "hl7v2/mesa/10501/10501.108.q23.hl7"),
];

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("v2_parse");
    for (label, path) in MESSAGES {
        let bytes = sample(path);
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(label), &bytes, |b, bytes| {
            b.iter(|| Message::parse(black_box(bytes)).unwrap())
        });
    }
    g.finish();

    let mut g = c.benchmark_group("v2_parse_and_extract");
    let a04 = sample(MESSAGES[0].1);
    g.bench_function("adt_a04_feed", |b| {
        b.iter(|| {
            let m = Message::parse(black_box(&a04)).unwrap();
            PatientFeed::from_message(&m).unwrap()
        })
    });
    let q23 = sample(MESSAGES[1].1);
    g.bench_function("qbp_q23_query", |b| {
        b.iter(|| {
            let m = Message::parse(black_box(&q23)).unwrap();
            PixQuery::from_message(&m).unwrap()
        })
    });
    g.finish();
}

fn reply(c: &mut Criterion) {
    let meta = ReplyMeta {
        control_id: "R1".into(),
        timestamp: "20260101000000".into(),
    };
    let mut g = c.benchmark_group("v2_reply");
    let a04 = Message::parse(&sample(MESSAGES[0].1)).unwrap();
    g.bench_function("ack_a04", |b| {
        b.iter(|| {
            pix_v2::ack(black_box(&a04), AckCode::AA, None, &meta)
                .unwrap()
                .encode()
                .unwrap()
        })
    });
    let q23 = Message::parse(&sample(MESSAGES[1].1)).unwrap();
    let ids = PatientFeed::from_message(&a04).unwrap().records[0]
        .identifiers
        .clone();
    let outcome = QueryOutcome::Found(ids);
    g.bench_function("rsp_k23_3_ids", |b| {
        b.iter(|| {
            pix_v2::rsp_k23(black_box(&q23), &outcome, &meta)
                .unwrap()
                .encode()
                .unwrap()
        })
    });
    g.finish();
}

fn v3_query(c: &mut Criterion) {
    let xml = sample("hl7v3/ihe-iti-info/06_PIXQuery1.xml");
    let mut g = c.benchmark_group("v3_parse");
    g.throughput(Throughput::Bytes(xml.len() as u64));
    g.bench_function("prpa_in201309", |b| {
        b.iter(|| hl7::v3::parse_query(black_box(&xml), &Default::default()).unwrap())
    });
    g.finish();
}

criterion_group!(benches, parse, reply, v3_query);
criterion_main!(benches);
