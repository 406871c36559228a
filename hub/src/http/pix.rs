//! `/pix`: ITI-44 Patient Identity Feed HL7 v3 (PRPA_IN201301/02/04UV02 →
//! MCCI_IN000002UV01) and ITI-45 PIXV3 Query (PRPA_IN201309UV02 →
//! PRPA_IN201310UV02). Maps hl7 v3 types to the pix actor, like the MLLP
//! dispatcher does for v2.

use super::error::HttpFailure;
use super::respond::soap_response;
use crate::actions::*;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use hl7::v3::{
    self, FeedInteraction, Ii, V3AckCode, V3Error, V3Limits, V3QueryOutcome, V3ReplyMeta,
};
use pix::{Caller, Feed, FeedKind, Merge, PatientIdentifier, QueryError, Via};

pub async fn endpoint(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let super::CheckedSoap {
        incoming,
        envelope,
        submitter,
    } = match super::checked_soap(&req, payload, &state).await {
        Ok(c) => c,
        Err(refused) => return refused,
    };
    let relates = envelope.message_id.as_deref();
    let caller = Caller {
        facility_oid: submitter.facility_oid,
        acts_for: submitter.acts_for,
        address: req.peer_addr().map(|a| a.ip().to_string()),
        via: Via::Hl7v3,
    };
    let limits = V3Limits {
        xml: state.xml_limits,
        ..V3Limits::default()
    };
    let bytes = incoming.envelope.clone();
    match envelope.action.as_str() {
        ITI44_ADD | ITI44_REVISE | ITI44_MERGE => {
            let feed = match v3::parse_feed(&bytes, &limits) {
                Ok(f) => f,
                Err(e) => return parse_failure(&e).into_response(relates),
            };
            let (code, detail) = match apply_feed(&state.pix, &caller, &feed).await {
                Ok(()) => (V3AckCode::AA, None),
                Err(e) => (
                    if e.is_rejection() {
                        V3AckCode::AR
                    } else {
                        V3AckCode::AE
                    },
                    Some(e.to_string()),
                ),
            };
            let body = v3::mcci_ack(&feed.header, code, detail.as_deref(), &reply_meta(&state));
            soap_response(ITI44_RESPONSE, relates, &body, incoming.mtom)
        }
        ITI45 => {
            let query = match v3::parse_query(&bytes, &limits) {
                Ok(q) => q,
                Err(e) => return parse_failure(&e).into_response(relates),
            };
            let outcome = match query.patient_identifiers.first().and_then(identifier) {
                None => V3QueryOutcome::UnknownPatientId,
                Some(id) => {
                    let result = state
                        .pix
                        .query(
                            &caller,
                            id,
                            query.data_sources.clone(),
                            query
                                .header
                                .message_id
                                .extension
                                .as_deref()
                                .unwrap_or(&query.header.message_id.root),
                            bytes.to_vec(),
                        )
                        .await;
                    match result {
                        Ok(found) if found.identifiers.is_empty() => V3QueryOutcome::NotFound,
                        Ok(found) => V3QueryOutcome::Found(
                            found
                                .identifiers
                                .into_iter()
                                .map(|i| Ii::new(i.authority_oid, Some(i.id)))
                                .collect(),
                        ),
                        Err(QueryError::UnknownAuthority(_) | QueryError::UnknownId(_)) => {
                            V3QueryOutcome::UnknownPatientId
                        }
                        Err(QueryError::UnknownDomain { authority, .. }) => {
                            V3QueryOutcome::UnknownDataSources(vec![authority])
                        }
                        Err(e @ QueryError::Store(_)) => V3QueryOutcome::Failed(e.to_string()),
                    }
                }
            };
            let body = v3::prpa_in201310(&query, &outcome, &reply_meta(&state));
            soap_response(ITI45_RESPONSE, relates, &body, incoming.mtom)
        }
        other => {
            HttpFailure::Fault(soap::SoapFault::action_not_supported(other)).into_response(relates)
        }
    }
}

/// A v3 id (`root` = domain OID, `extension` = id) as a PIX identifier.
fn identifier(ii: &Ii) -> Option<PatientIdentifier> {
    let id = ii.extension.as_deref()?.trim();
    (!id.is_empty()).then(|| PatientIdentifier::new(ii.root.trim(), id))
}

async fn apply_feed(
    pix: &pix::Pix,
    caller: &Caller,
    feed: &v3::V3Feed,
) -> Result<(), pix::FeedError> {
    let message_id = feed
        .header
        .message_id
        .extension
        .clone()
        .unwrap_or_else(|| feed.header.message_id.root.clone());
    for patient in &feed.patients {
        let demographics = crate::mllp::demographics(&patient.demographics);
        let ids: Vec<PatientIdentifier> = patient.ids.iter().filter_map(identifier).collect();
        match feed.interaction {
            FeedInteraction::Add | FeedInteraction::Revise => {
                let (kind, identifiers) = if feed.interaction == FeedInteraction::Add {
                    // asOtherIDs are the same person's ids in other domains.
                    let mut all = ids;
                    all.extend(patient.other_ids.iter().filter_map(identifier));
                    (FeedKind::Create, all)
                } else {
                    (FeedKind::Update, ids)
                };
                let request = Feed {
                    kind,
                    identifiers,
                    demographics,
                    message_id: message_id.clone(),
                };
                pix.feed(caller, request).await?;
            }
            FeedInteraction::DuplicatesResolved => {
                let Some(surviving) = ids.first().cloned() else {
                    return Err(pix::FeedError::NoIdentifier);
                };
                for subsumed in patient.subsumed_ids.iter().filter_map(identifier) {
                    let merge = Merge {
                        surviving: surviving.clone(),
                        subsumed,
                        demographics: demographics.clone(),
                        message_id: message_id.clone(),
                    };
                    pix.merge(caller, merge).await?;
                }
            }
        }
    }
    Ok(())
}

fn parse_failure(e: &V3Error) -> HttpFailure {
    HttpFailure::sender(format!("the HL7 v3 message cannot be read: {e}"))
}

fn reply_meta(state: &AppState) -> V3ReplyMeta {
    V3ReplyMeta {
        message_id: Ii::new(
            state.pix.affinity_domain(),
            Some(uuid::Uuid::new_v4().to_string()),
        ),
        creation_time: chrono::Utc::now().format("%Y%m%d%H%M%S").to_string(),
    }
}
