//! Integration tests of the soap crate against the public conformance samples
//! (NIST message validator and MTOM captures, IHE ITI-Info examples) and
//! hostile inputs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod envelope_samples;
mod hostile;
mod mtom_samples;
mod roundtrip;
