#![allow(clippy::unwrap_used, clippy::expect_used)]

mod random;
mod roundtrip;
mod xsd;
