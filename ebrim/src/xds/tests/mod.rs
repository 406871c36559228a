//! Tests of the submission rules, on submissions built as model values
//! (the same shapes as the IHE and NIST samples).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod associations;
mod builders;
mod entries;
mod ids;
mod nist;
mod rules;
