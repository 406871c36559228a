//! Stored query decoding tests, with requests shaped like the NIST 11897-
//! 11909 and 15803 query files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod find;
mod get;
mod nist;

use super::*;
use crate::XdsErrorCode;
use crate::datatypes::{Code, EntryUuid};
use crate::model::{ReturnType, Slot};
pub(super) use crate::vocab;

pub(super) const PID: &str = "'c4d77e21d0dd487^^^&1.3.6.1.4.1.21367.2005.3.7&ISO'";
pub(super) const APPROVED: &str = "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')";
pub(super) const UUID1: &str = "urn:uuid:7b2e4c1a-9d3f-4e5a-8b6c-1d2e3f4a5b6c";
pub(super) const UUID2: &str = "urn:uuid:8c3f5d2b-0e4a-4f6b-9c7d-2e3f4a5b6c7d";

pub(super) fn request(query_id: &str, params: &[(&str, &[&str])]) -> AdhocQueryRequest {
    AdhocQueryRequest {
        return_type: ReturnType::LeafClass,
        return_composed_objects: true,
        query_id: query_id.to_owned(),
        home: None,
        parameters: params
            .iter()
            .map(|(name, values)| Slot {
                name: (*name).to_owned(),
                slot_type: None,
                values: values.iter().map(|v| (*v).to_owned()).collect(),
            })
            .collect(),
    }
}

pub(super) fn parse(query_id: &str, params: &[(&str, &[&str])]) -> StoredQuery {
    match parse_stored_query(&request(query_id, params)) {
        Ok(q) => q,
        Err(e) => panic!("expected the query to decode: {e:#?}"),
    }
}

#[track_caller]
pub(super) fn fails(
    query_id: &str,
    params: &[(&str, &[&str])],
    code: XdsErrorCode,
    needles: &[&str],
) {
    let err = parse_stored_query(&request(query_id, params)).expect_err("the query must fail");
    assert_eq!(err.code, code, "{err:#?}");
    for needle in needles {
        assert!(
            err.context.contains(needle),
            "{needle:?} not in {:?}",
            err.context
        );
    }
}

pub(super) fn code(s: &str) -> Code {
    Code::parse(s).unwrap()
}

pub(super) fn uuid(s: &str) -> EntryUuid {
    EntryUuid::parse(s).unwrap()
}

pub(super) fn q_name(id: &str) -> &'static str {
    let q = parse(
        id,
        &[
            ("$XDSDocumentEntryPatientId", &[PID]),
            ("$XDSDocumentEntryStatus", &[APPROVED]),
        ],
    );
    assert_eq!(q.query_id(), id);
    assert!(q.patient_id().is_some());
    q.name()
}
