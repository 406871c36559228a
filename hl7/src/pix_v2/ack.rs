//! Original-mode acknowledgements: building ACK replies, reading the ACKs
//! consumers send back for ITI-10.

use crate::v2::{FieldValue, Message, MessageBuilder, ParseError};

use super::ErrLocation;
use super::error::{AckCode, ErrDetail, ErrorCode, RequestError};

/// What the replying side chooses for its MSH: MSH-10 and MSH-7.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyMeta {
    /// MSH-10 of the reply (unique per message sent).
    pub control_id: String,
    /// MSH-7 (`YYYYMMDDHHMMSS[+ZZZZ]`).
    pub timestamp: String,
}

/// Field of the request's MSH copied verbatim (same delimiters).
fn msh_raw(request: &Message, n: usize) -> FieldValue {
    FieldValue::raw(request.msh().field(n).map(|f| f.raw()).unwrap_or_default())
}

/// Starts a reply: MSH with sender and receiver swapped, the request's
/// processing id, version and charset.
pub(crate) fn reply_builder(
    request: &Message,
    message_type: [&str; 3],
    meta: &ReplyMeta,
    version: &str,
) -> MessageBuilder {
    let mut b = MessageBuilder::reply_to(request);
    let processing = request
        .msh()
        .field(11)
        .filter(|f| !f.is_empty())
        .map(|f| FieldValue::raw(f.raw()))
        .unwrap_or_else(|| FieldValue::text("P"));
    b.msh(vec![
        msh_raw(request, 5),
        msh_raw(request, 6),
        msh_raw(request, 3),
        msh_raw(request, 4),
        FieldValue::text(meta.timestamp.clone()),
        FieldValue::empty(),
        FieldValue::components(message_type),
        FieldValue::text(meta.control_id.clone()),
        processing,
        FieldValue::text(version),
    ]);
    b
}

/// The request's MSH-12, or `2.5` when absent.
pub(crate) fn request_version(request: &Message) -> String {
    let v = request.version();
    if v.is_empty() {
        "2.5".into()
    } else {
        v.into_owned()
    }
}

fn is_v23(version: &str) -> bool {
    version.starts_with("2.3") || version.starts_with("2.2") || version.starts_with("2.1")
}

/// MSA segment; MSA-3 text only for pre-2.4 versions (deprecated since).
pub(crate) fn push_msa(
    b: &mut MessageBuilder,
    request: &Message,
    code: AckCode,
    err: Option<&ErrDetail>,
    version: &str,
) {
    let mut fields = vec![FieldValue::text(code.as_str()), msh_raw(request, 10)];
    if let Some(e) = err
        && is_v23(version)
    {
        fields.push(FieldValue::text(text_of(e)));
    }
    b.segment("MSA", fields);
}

fn text_of(e: &ErrDetail) -> String {
    if e.message.is_empty() {
        e.code.text().to_owned()
    } else {
        e.message.clone()
    }
}

/// ERR segment: ERR-2 locations, ERR-3 `code^text^HL70357`, ERR-4 `E`,
/// ERR-8 user message; ERR-1 (`seg^seq^field^code&text&HL70357`) for v2.3.1.
pub(crate) fn push_err(b: &mut MessageBuilder, err: &ErrDetail, version: &str) {
    let code = err.code.code().to_string();
    let cwe = vec![
        vec![code.clone()],
        vec![err.code.text().to_owned()],
        vec!["HL70357".to_owned()],
    ];
    let err1 = if is_v23(version) {
        let loc = err.locations.first();
        let mut rep: Vec<Vec<String>> = vec![
            vec![loc.map(|l| l.segment.clone()).unwrap_or_default()],
            vec![loc.map(|l| l.sequence.to_string()).unwrap_or_default()],
            vec![
                loc.and_then(|l| l.field)
                    .map(|f| f.to_string())
                    .unwrap_or_default(),
            ],
        ];
        rep.push(vec![code, err.code.text().to_owned(), "HL70357".to_owned()]);
        FieldValue::from_repetitions(vec![rep])
    } else {
        FieldValue::empty()
    };
    let locations = FieldValue::from_repetitions(
        err.locations
            .iter()
            .map(|l| l.components().into_iter().map(|c| vec![c]).collect())
            .collect(),
    );
    b.segment(
        "ERR",
        vec![
            err1,
            locations,
            FieldValue::from_repetitions(vec![cwe]),
            FieldValue::text("E"),
            FieldValue::empty(),
            FieldValue::empty(),
            FieldValue::empty(),
            FieldValue::text(err.message.clone()),
        ],
    );
}

/// Original-mode ACK to `request`: `ACK^<trigger>^ACK`, MSA-1 `code`,
/// MSA-2 = request MSH-10, ERR when `err` is given. Same delimiters,
/// version and charset as the request.
pub fn ack(
    request: &Message,
    code: AckCode,
    err: Option<&ErrDetail>,
    meta: &ReplyMeta,
) -> Result<Message, ParseError> {
    let version = request_version(request);
    let trigger = request.message_type().trigger;
    let mut b = reply_builder(request, ["ACK", &trigger, "ACK"], meta, &version);
    push_msa(&mut b, request, code, err, &version);
    if let Some(e) = err {
        push_err(&mut b, e, &version);
    }
    b.finish()
}

/// An acknowledgement received from a peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckReply {
    /// MSA-1.
    pub code: AckCode,
    /// MSA-2: the control id of the message acknowledged.
    pub acknowledged_control_id: String,
    /// ERR-3 codes reported (unknown codes dropped).
    pub errors: Vec<ErrorCode>,
    /// MSA-3 or ERR-8 text, if any.
    pub text: String,
}

/// Reads an ACK (for ITI-10 replies): MSA-1 and MSA-2 are required.
pub fn parse_ack(message: &Message) -> Result<AckReply, RequestError> {
    let msa = message.segment("MSA").ok_or_else(|| {
        RequestError::error(
            ErrorCode::SegmentSequenceError,
            Some(ErrLocation::segment("MSA")),
            "acknowledgement without MSA segment",
        )
    })?;
    let code = AckCode::parse(&msa.value(1)).ok_or_else(|| {
        RequestError::error(
            ErrorCode::TableValueNotFound,
            Some(ErrLocation::field("MSA", 1)),
            format!("MSA-1 {:?} is not an acknowledgement code", msa.value(1)),
        )
    })?;
    let acknowledged_control_id = msa.value(2).into_owned();
    if acknowledged_control_id.is_empty() {
        return Err(RequestError::error(
            ErrorCode::RequiredFieldMissing,
            Some(ErrLocation::field("MSA", 2)),
            "MSA-2 (acknowledged control id) is empty",
        ));
    }
    let mut errors = Vec::new();
    let mut text = msa.value(3).into_owned();
    for err in message.segments_named("ERR") {
        let code = err
            .field(3)
            .map(|f| f.component(1))
            .and_then(|c| c.trim().parse::<u16>().ok())
            .or_else(|| {
                // v2.3.1: ERR-1.4.1.
                err.field(1)
                    .and_then(|f| f.repetition(1))
                    .and_then(|r| r.component(4).subcomponent(1).trim().parse::<u16>().ok())
            })
            .and_then(ErrorCode::from_code);
        errors.extend(code);
        if text.is_empty() {
            text = err.value(8).into_owned();
        }
    }
    Ok(AckReply {
        code,
        acknowledged_control_id,
        errors,
        text,
    })
}
