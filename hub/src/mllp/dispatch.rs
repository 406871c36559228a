//! One HL7 v2 message in, one reply out: ADT → ITI-8 feed, QBP^Q23 → ITI-9
//! query, anything else AR. Maps hl7 wire types to the pix actor's types;
//! replies use the request's version, delimiters and charset.

use super::MllpContext;
use crate::policy::Permission;
use audit::Transaction;
use certs::PeerIdentity;
use hl7::cx::{Cx, Hd};
use hl7::pix_v2::{
    self, AckCode, ErrDetail, ErrLocation, ErrorCode, FeedTrigger, PatientFeed, PixQuery,
    QueryOutcome, ReplyMeta, RequestError,
};
use hl7::v2::{Message, ParseLimits};
use pix::{Caller, Demographics, Feed, FeedError, FeedKind, Merge, PatientIdentifier, Via};

pub async fn handle(
    ctx: &MllpContext,
    peer: &PeerIdentity,
    address: Option<String>,
    frame: &[u8],
) -> Vec<u8> {
    let limits = ParseLimits {
        max_bytes: super::MAX_FRAME_BYTES,
        ..ParseLimits::default()
    };
    let message = match Message::parse_with_limits(frame, &limits) {
        Ok(m) => m,
        Err(e) => return unparsable_reply(frame, &e.to_string()),
    };
    let caller = Caller {
        facility_oid: peer.facility_oid.clone(),
        acts_for: ctx.access.policy().acts_for(&peer.facility_oid),
        address,
        via: Via::Hl7v2,
    };
    let meta = reply_meta();
    let kind = message.message_type();
    let reply = match kind.code.as_str() {
        "ADT" => feed(ctx, &caller, &message, &meta).await,
        "QBP" => query(ctx, &caller, &message, frame, &meta).await,
        other => pix_v2::ack(
            &message,
            AckCode::AR,
            Some(&ErrDetail::new(
                ErrorCode::UnsupportedMessageType,
                Some(ErrLocation::field("MSH", 9)),
                format!("message type {other:?} is not handled here (ADT feeds, QBP^Q23 queries)"),
            )),
            &meta,
        ),
    };
    match reply.map(|r| r.encode()) {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "HL7 reply could not be encoded in the request's charset");
            unparsable_reply(
                frame,
                "the reply cannot be written in the request's character set",
            )
        }
        Err(e) => unparsable_reply(frame, &e.to_string()),
    }
}

/// May this facility use `permission`? The refusal is audited.
fn permitted(
    ctx: &MllpContext,
    caller: &Caller,
    permission: Permission,
) -> Result<(), RequestError> {
    ctx.access
        .check(&caller.facility_oid, permission)
        .map_err(|e| {
            super::refused(
                ctx,
                caller.address.clone(),
                Some(&caller.facility_oid),
                Transaction::AccessDenied,
                &e.to_string(),
            );
            RequestError::reject(ErrorCode::ApplicationInternalError, None, e.to_string())
        })
}

async fn feed(
    ctx: &MllpContext,
    caller: &Caller,
    message: &Message,
    meta: &ReplyMeta,
) -> Result<Message, hl7::v2::ParseError> {
    let nack = |e: RequestError| pix_v2::ack(message, e.ack_code, Some(&e.detail), meta);
    if let Err(e) = permitted(ctx, caller, Permission::Submit) {
        return nack(e);
    }
    let parsed = match PatientFeed::from_message(message) {
        Ok(f) => f,
        Err(e) => {
            ctx.pix
                .record_rejected_feed(caller, &e.detail.message)
                .await;
            return nack(e);
        }
    };
    for record in &parsed.records {
        let identifiers = match patient_ids(&record.identifiers, "PID") {
            Ok(ids) => ids,
            Err(e) => return nack(e),
        };
        let demographics = demographics(&record.demographics);
        let result = if parsed.trigger == FeedTrigger::A40 {
            let prior = match patient_ids(&record.prior_identifiers, "MRG") {
                Ok(ids) => ids,
                Err(e) => return nack(e),
            };
            let mut last = Ok(());
            for subsumed in prior {
                let surviving = identifiers
                    .iter()
                    .find(|s| s.authority_oid == subsumed.authority_oid)
                    .or(identifiers.first())
                    .cloned();
                let Some(surviving) = surviving else { break };
                let merge = Merge {
                    surviving,
                    subsumed,
                    demographics: demographics.clone(),
                    message_id: parsed.control_id.clone(),
                };
                last = ctx.pix.merge(caller, merge).await.map(|_| ());
                if last.is_err() {
                    break;
                }
            }
            last
        } else {
            let kind = if parsed.trigger.is_update() {
                FeedKind::Update
            } else {
                FeedKind::Create
            };
            let feed = Feed {
                kind,
                identifiers,
                demographics,
                message_id: parsed.control_id.clone(),
            };
            ctx.pix.feed(caller, feed).await.map(|_| ())
        };
        if let Err(e) = result {
            return nack(feed_error(&e));
        }
    }
    pix_v2::ack(message, AckCode::AA, None, meta)
}

fn feed_error(e: &FeedError) -> RequestError {
    let pid3 = Some(ErrLocation::field("PID", 3));
    match e {
        FeedError::ForeignAuthority { .. } => {
            RequestError::reject(ErrorCode::UnknownKeyIdentifier, pid3, e.to_string())
        }
        FeedError::UnknownRegionalId(_)
        | FeedError::UnknownIdentifier(_)
        | FeedError::Retired { .. } => {
            RequestError::error(ErrorCode::UnknownKeyIdentifier, pid3, e.to_string())
        }
        FeedError::NoIdentifier => {
            RequestError::error(ErrorCode::RequiredFieldMissing, pid3, e.to_string())
        }
        FeedError::TwoIdsInOneAuthority(_) | FeedError::Conflict(_) => {
            RequestError::error(ErrorCode::DuplicateKeyIdentifier, pid3, e.to_string())
        }
        FeedError::MergeAcrossAuthorities { .. } => RequestError::error(
            ErrorCode::UnknownKeyIdentifier,
            Some(ErrLocation::field("MRG", 1)),
            e.to_string(),
        ),
        FeedError::Store(_) => {
            tracing::error!(error = ?e, "ITI-8 feed failed");
            RequestError::error(ErrorCode::ApplicationInternalError, None, e.to_string())
        }
    }
}

async fn query(
    ctx: &MllpContext,
    caller: &Caller,
    message: &Message,
    frame: &[u8],
    meta: &ReplyMeta,
) -> Result<Message, hl7::v2::ParseError> {
    if let Err(e) = permitted(ctx, caller, Permission::Query) {
        return pix_v2::rsp_k23(message, &QueryOutcome::Failed(e), meta);
    }
    let parsed = match PixQuery::from_message(message) {
        Ok(q) => q,
        Err(e) => return pix_v2::rsp_k23(message, &QueryOutcome::Failed(e), meta),
    };
    let person = PatientIdentifier::new(
        authority_key(&parsed.person_id.assigning_authority),
        parsed.person_id.id.clone(),
    );
    let domains = parsed.what_domains.iter().map(authority_key).collect();
    let result = ctx
        .pix
        .query(caller, person, domains, &parsed.control_id, frame.to_vec())
        .await;
    let outcome = match result {
        Ok(found) if found.identifiers.is_empty() => QueryOutcome::NotFound,
        Ok(found) => QueryOutcome::Found(found.identifiers.iter().map(cx_of).collect()),
        Err(pix::QueryError::UnknownAuthority(_)) => QueryOutcome::UnknownAuthority,
        Err(pix::QueryError::UnknownId(_)) => QueryOutcome::UnknownPersonId,
        Err(pix::QueryError::UnknownDomain { index, .. }) => {
            QueryOutcome::UnknownDomains(vec![u32::try_from(index + 1).unwrap_or(u32::MAX)])
        }
        Err(e @ pix::QueryError::Store(_)) => QueryOutcome::Failed(RequestError::error(
            ErrorCode::ApplicationInternalError,
            None,
            e.to_string(),
        )),
    };
    pix_v2::rsp_k23(message, &outcome, meta)
}

/// The key an assigning authority is known by: its OID, else its namespace
/// (which the PIX Manager never knows, so the query answers "unknown domain").
fn authority_key(hd: &Hd) -> String {
    hd.oid_value()
        .map(str::to_string)
        .unwrap_or_else(|| hd.namespace_id.clone())
}

pub fn cx_of(id: &PatientIdentifier) -> Cx {
    Cx::new(id.id.clone(), Hd::oid(id.authority_oid.clone()), "PI")
}

/// PID-3 / MRG-1 values as PIX ids: each needs an id and an ISO OID authority.
fn patient_ids(cxs: &[Cx], segment: &str) -> Result<Vec<PatientIdentifier>, RequestError> {
    let field = if segment == "MRG" { 1 } else { 3 };
    let mut out = Vec::with_capacity(cxs.len());
    for (i, cx) in cxs.iter().enumerate() {
        // An explicit HL7 null (`""`) repetition carries no id.
        if cx.id.trim().is_empty() || cx.id.trim() == "\"\"" {
            continue;
        }
        let location = || {
            let mut l = ErrLocation::field(segment, field);
            l.repetition = Some(u32::try_from(i + 1).unwrap_or(u32::MAX));
            Some(l)
        };
        let Some(oid) = cx.authority_oid().filter(|o| pix::is_oid(o)) else {
            return Err(RequestError::error(
                ErrorCode::UnknownKeyIdentifier,
                location(),
                format!(
                    "{segment}-{field} id {:?} has no assigning authority OID (CX-4 &OID&ISO)",
                    cx.id
                ),
            ));
        };
        out.push(PatientIdentifier::new(oid, cx.id.trim()));
    }
    if out.is_empty() {
        return Err(RequestError::error(
            ErrorCode::RequiredFieldMissing,
            Some(ErrLocation::field(segment, field)),
            format!("{segment}-{field} carries no patient identifier"),
        ));
    }
    Ok(out)
}

/// PID-5/7/8/11 (and the v3 equivalents) as PIX demographics.
pub fn demographics(d: &hl7::cx::Demographics) -> Demographics {
    let name = d.names.first();
    let nonempty = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
    Demographics {
        family: name.and_then(|n| nonempty(&n.family)),
        given: name.and_then(|n| nonempty(&n.given)),
        birth_date: nonempty(&d.birth_date),
        sex: nonempty(&d.sex),
        address: d.addresses.first().and_then(|a| {
            let parts = [
                &a.street,
                &a.other,
                &a.city,
                &a.state,
                &a.postal_code,
                &a.country,
            ];
            let line: Vec<&str> = parts
                .iter()
                .map(|s| s.as_str())
                .filter(|s| !s.is_empty())
                .collect();
            nonempty(&line.join(" "))
        }),
    }
}

fn reply_meta() -> ReplyMeta {
    ReplyMeta {
        control_id: uuid::Uuid::new_v4().simple().to_string(),
        timestamp: chrono::Utc::now().format("%Y%m%d%H%M%S").to_string(),
    }
}

/// An AR acknowledgement for bytes that are not a readable HL7 message
/// (no MSH, bad encoding characters, undecodable text): written by hand in
/// ASCII with the default delimiters; MSA-2 echoes MSH-10 when it can be found.
fn unparsable_reply(frame: &[u8], reason: &str) -> Vec<u8> {
    let control_id = std::str::from_utf8(frame)
        .ok()
        .filter(|t| t.starts_with("MSH|^~\\&"))
        .and_then(|t| t.split(['\r', '\n']).next())
        .and_then(|msh| msh.split('|').nth(9))
        .map(|id| {
            id.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
                .take(64)
                .collect::<String>()
        })
        .unwrap_or_default();
    let meta = reply_meta();
    let reason: String = reason
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .filter(|c| !matches!(c, '|' | '^' | '~' | '\\' | '&'))
        .take(200)
        .collect();
    let code = ErrorCode::SegmentSequenceError;
    format!(
        "MSH|^~\\&|RENKEI|RENKEI|||{ts}||ACK|{id}|P|2.5\rMSA|AR|{control_id}|{reason}\rERR||MSH^1|{c}^{t}^HL70357|E||||{reason}\r",
        ts = meta.timestamp,
        id = meta.control_id,
        c = code.code(),
        t = code.text(),
    )
    .into_bytes()
}
