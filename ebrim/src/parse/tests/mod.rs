#![allow(clippy::unwrap_used, clippy::expect_used)]

pub(crate) mod corpus;
pub(crate) mod malicious;
mod samples;
mod unit;
