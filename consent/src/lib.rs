//! Patient consent: the region's policy (three consent models, restricted and
//! secret confidentiality codes, class limits per facility kind, emergency
//! access, BPPC policy codes) and the pure permit/deny decision. No I/O: the
//! state is loaded by the `store` crate and enforced by `registry` /
//! `repository`.

mod bppc;
mod decide;
mod policy;
#[cfg(test)]
mod tests;

pub use bppc::{BppcEffect, UnknownPolicyCode, effect_of};
pub use decide::{
    AccessBasis, ConsentDecision, ConsentState, DenyReason, DocumentFacts, EmergencyAccess, Grant,
    Requester, decide,
};
pub use policy::{
    ALL_FACILITIES, BPPC_FORMAT_CODES, BppcAction, ConsentPolicy, HL7_CONFIDENTIALITY,
    MAX_EMERGENCY_HOURS, Model, PolicyError, Scope,
};
