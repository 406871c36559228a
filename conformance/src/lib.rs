//! Talking to a renkei hub as a real participant would (SOAP over mutual
//! TLS, MTOM), starting one in-process for tests, realistic metadata
//! fixtures, and the replay of the public NIST XDS test cases.

pub mod client;
pub mod fixtures;
// `gen` is a keyword in edition 2024: the folder keeps the short name.
#[path = "gen/mod.rs"]
pub mod generator;
pub mod harness;
pub mod load;
pub mod mllp;
pub mod nist;
pub mod xsd;

pub use client::HubClient;
pub use harness::TestHub;
