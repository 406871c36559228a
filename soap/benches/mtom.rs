//! MTOM/XOP framing: reading an ITI-41 package pushed in network-sized
//! chunks, the way the hub receives it.
//!
//! `cargo bench -p soap --bench mtom`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use soap::{MultipartEvent, MultipartLimits, MultipartReader};
use std::hint::black_box;

const BOUNDARY: &str = "MIMEBoundary_bench";
const CHUNK: usize = 64 * 1024;

fn package(doc_bytes: usize) -> Vec<u8> {
    let mut body = Vec::with_capacity(doc_bytes + 4096);
    body.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Type: application/xop+xml; charset=UTF-8; type=\"application/soap+xml\"\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <root@bench>\r\n\r\n").as_bytes());
    body.extend_from_slice(b"<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Body/></soap:Envelope>\r\n");
    body.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <doc@bench>\r\n\r\n").as_bytes());
    // Bytes that look like boundaries' beginnings now and then, as binary data does.
    body.extend((0..doc_bytes).map(|i| if i % 997 == 0 { b'-' } else { (i % 251) as u8 }));
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Reads the whole package; returns the attachment bytes seen.
fn read(chunks: &[Bytes]) -> usize {
    let mut reader = MultipartReader::new(BOUNDARY, MultipartLimits::default()).unwrap();
    let mut seen = 0;
    for c in chunks {
        reader.push(c.clone());
        while let Some(ev) = reader.next_event().unwrap() {
            if let MultipartEvent::Data(d) = ev {
                seen += d.len();
            }
        }
    }
    reader.finish_input();
    while let Some(ev) = reader.next_event().unwrap() {
        match ev {
            MultipartEvent::Data(d) => seen += d.len(),
            MultipartEvent::End => break,
            _ => {}
        }
    }
    seen
}

fn mtom_read(c: &mut Criterion) {
    let mut g = c.benchmark_group("mtom_read");
    for size in [10 * 1024usize, 1024 * 1024, 10 * 1024 * 1024] {
        let body = package(size);
        let chunks: Vec<Bytes> = body.chunks(CHUNK).map(Bytes::copy_from_slice).collect();
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(size), &chunks, |b, chunks| {
            b.iter(|| black_box(read(black_box(chunks))))
        });
    }
    g.finish();
}

criterion_group!(benches, mtom_read);
criterion_main!(benches);
