//! ITI-9 PIX Query (`QBP^Q23^QBP_Q21`) and its response (`RSP^K23^RSP_K23`).

use crate::cx::{Cx, Hd};
use crate::v2::{FieldValue, Message, ParseError};

use super::ack::{ReplyMeta, push_err, push_msa, reply_builder, request_version};
use super::error::{AckCode, ErrDetail, ErrLocation, ErrorCode, QueryError, RequestError};

/// QPD-1 message query name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryName {
    /// `IHE PIX Query` (current TF).
    IhePixQuery,
    /// `QRY_1001^Query for Corresponding Identifiers^IHEDEMO` (older tests, MESA).
    Qry1001,
}

/// A parsed ITI-9 query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PixQuery {
    /// MSH-10.
    pub control_id: String,
    pub query_name: QueryName,
    /// QPD-2 query tag (echoed in QAK-1).
    pub query_tag: String,
    /// QPD-3: the identifier whose cross-references are asked for.
    pub person_id: Cx,
    /// QPD-4: the domains wanted (CX-4 of each repetition); empty = all.
    /// Index `i` is QPD-4 repetition `i + 1` (for ERR-2 `QPD^1^4^n`).
    pub what_domains: Vec<Hd>,
    /// RCP-1 query priority (`I` immediate), empty when absent.
    pub response_priority: String,
}

impl PixQuery {
    /// Reads an ITI-9 query. A non-QBP message or another trigger is an AR
    /// error; a missing or malformed QPD is an AE error.
    pub fn from_message(message: &Message) -> Result<PixQuery, QueryError> {
        let mt = message.message_type();
        if mt.code != "QBP" {
            return Err(RequestError::reject(
                ErrorCode::UnsupportedMessageType,
                Some(ErrLocation::field("MSH", 9)),
                format!("message type {:?} is not a PIX query", mt.code),
            ));
        }
        if mt.trigger != "Q23" {
            return Err(RequestError::reject(
                ErrorCode::UnsupportedEventCode,
                Some(ErrLocation::field("MSH", 9)),
                format!("QBP event {:?} is not supported (Q23)", mt.trigger),
            ));
        }
        let qpd = message.segment("QPD").ok_or_else(|| {
            RequestError::error(
                ErrorCode::SegmentSequenceError,
                Some(ErrLocation::segment("QPD")),
                "QPD segment is missing",
            )
        })?;
        let name = qpd.field(1).map(|f| f.component(1)).unwrap_or_default();
        let query_name = match name.trim() {
            "IHE PIX Query" => QueryName::IhePixQuery,
            "QRY_1001" => QueryName::Qry1001,
            other => {
                return Err(RequestError::error(
                    ErrorCode::TableValueNotFound,
                    Some(ErrLocation::field("QPD", 1)),
                    format!("QPD-1 query name {other:?} is not 'IHE PIX Query'"),
                ));
            }
        };
        let query_tag = qpd.value(2).into_owned();
        if query_tag.is_empty() {
            return Err(RequestError::error(
                ErrorCode::RequiredFieldMissing,
                Some(ErrLocation::field("QPD", 2)),
                "QPD-2 query tag is empty",
            ));
        }
        let person_id = qpd
            .field(3)
            .and_then(|f| f.repetition(1))
            .map(|r| Cx::from_repetition(&r))
            .unwrap_or_default();
        if person_id.id.trim().is_empty() {
            return Err(RequestError::error(
                ErrorCode::RequiredFieldMissing,
                Some(ErrLocation::component("QPD", 3, 1, 1)),
                "QPD-3 person identifier has no id",
            ));
        }
        if person_id.assigning_authority.is_empty() {
            return Err(RequestError::error(
                ErrorCode::RequiredFieldMissing,
                Some(ErrLocation::component("QPD", 3, 1, 4)),
                "QPD-3 person identifier has no assigning authority",
            ));
        }
        // Every repetition is kept (an empty one in the middle is an empty,
        // hence unknown, domain) so indexes match QPD-4 repetition numbers.
        let what_domains = qpd
            .field(4)
            .filter(|f| f.repetitions().any(|r| !r.is_empty()))
            .map(|f| {
                f.repetitions()
                    .map(|r| Hd::from_component(&r.component(4)))
                    .collect()
            })
            .unwrap_or_default();
        let response_priority = message
            .segment("RCP")
            .and_then(|s| s.field(1))
            .map(|f| f.component(1).into_owned())
            .unwrap_or_default();
        Ok(PixQuery {
            control_id: message.control_id().into_owned(),
            query_name,
            query_tag,
            person_id,
            what_domains,
            response_priority,
        })
    }
}

/// The answer to a PIX query (ITI TF-2 3.9.4.2.2.6 cases).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryOutcome {
    /// The other identifiers of the patient, in the requested domains
    /// (never the queried one). An empty list is answered like `NotFound`.
    Found(Vec<Cx>),
    /// The id is known but has no identifiers in the requested domains: AA, NF.
    NotFound,
    /// QPD-3 id not known in its domain: AE, ERR-2 `QPD^1^3^1^1`, 204.
    UnknownPersonId,
    /// QPD-3 assigning authority not known: AE, ERR-2 `QPD^1^3^1^4`, 204.
    UnknownAuthority,
    /// QPD-4 repetitions (1-based) naming unknown domains: AE, ERR-2 `QPD^1^4^n`, 204.
    UnknownDomains(Vec<u32>),
    /// The query could not be processed: MSA-1/QAK-2 from the error.
    Failed(RequestError),
}

/// Builds `RSP^K23^RSP_K23` for a query: MSA, optional ERR, QAK (QPD-2 tag and
/// OK/NF/AE/AR), QPD echoed verbatim, PID when found (PID-3 = ids, PID-5
/// `~^^^^^^S`). Works from the request message itself, so it can also
/// answer a query that failed to parse (`QueryOutcome::Failed`).
pub fn rsp_k23(
    request: &Message,
    outcome: &QueryOutcome,
    meta: &ReplyMeta,
) -> Result<Message, ParseError> {
    let version = request_version(request);
    let unknown_key = |locations: Vec<ErrLocation>, message: &str| ErrDetail {
        code: ErrorCode::UnknownKeyIdentifier,
        locations,
        message: message.to_owned(),
    };
    let (ack_code, status, err, ids): (AckCode, &str, Option<ErrDetail>, &[Cx]) = match outcome {
        QueryOutcome::Found(ids) if !ids.is_empty() => (AckCode::AA, "OK", None, ids),
        QueryOutcome::Found(_) | QueryOutcome::NotFound => (AckCode::AA, "NF", None, &[]),
        QueryOutcome::UnknownPersonId => (
            AckCode::AE,
            "AE",
            Some(unknown_key(
                vec![ErrLocation::component("QPD", 3, 1, 1)],
                "Unknown patient identifier",
            )),
            &[],
        ),
        QueryOutcome::UnknownAuthority => (
            AckCode::AE,
            "AE",
            Some(unknown_key(
                vec![ErrLocation::component("QPD", 3, 1, 4)],
                "Unknown assigning authority",
            )),
            &[],
        ),
        QueryOutcome::UnknownDomains(reps) => (
            AckCode::AE,
            "AE",
            Some(unknown_key(
                reps.iter()
                    .map(|&n| {
                        let mut l = ErrLocation::field("QPD", 4);
                        l.repetition = Some(n);
                        l
                    })
                    .collect(),
                "Unknown domain requested in QPD-4",
            )),
            &[],
        ),
        QueryOutcome::Failed(e) => (e.ack_code, e.ack_code.as_str(), Some(e.detail.clone()), &[]),
    };
    let mut b = reply_builder(request, ["RSP", "K23", "RSP_K23"], meta, &version);
    push_msa(&mut b, request, ack_code, err.as_ref(), &version);
    if let Some(e) = &err {
        push_err(&mut b, e, &version);
    }
    let qpd = request.segment("QPD");
    let tag = qpd
        .and_then(|q| q.field(2))
        .map(|f| FieldValue::raw(f.raw()))
        .unwrap_or_default();
    b.segment("QAK", vec![tag, FieldValue::text(status)]);
    if let Some(qpd) = qpd {
        b.raw_segment(qpd.raw());
    }
    if !ids.is_empty() {
        b.segment(
            "PID",
            vec![
                FieldValue::empty(),
                FieldValue::empty(),
                Cx::list_field(ids),
                FieldValue::empty(),
                empty_name(),
            ],
        );
    }
    b.finish()
}

/// PID-5 `~^^^^^^S`: no name, name type "S" (pseudonym) per the TF example.
fn empty_name() -> FieldValue {
    let mut second = vec![vec![String::new()]; 6];
    second.push(vec!["S".to_owned()]);
    FieldValue::from_repetitions(vec![vec![vec![String::new()]], second])
}
