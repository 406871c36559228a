//! The DICOM PS3.15 A.5 audit message (`AuditMessage`, schema
//! `dicom2017c.xsd`) for an [`AuditEvent`], with IHE's participant object
//! rules (IHE-REFERENCE.md §9.2). One line, no XML declaration: the stored
//! form and the syslog MSG are the same bytes.

use crate::catalogue::{Code, ROLE_DESTINATION, ROLE_SOURCE, Transaction};
use crate::event::{AuditEvent, AuditSource, Requestor, TargetKind};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use quick_xml::Writer;
use quick_xml::events::BytesText;
use std::io;

type W = Writer<Vec<u8>>;

/// SubmissionSet classification node (ParticipantObjectIDTypeCode of the
/// SubmissionSet object).
const SUBMISSION_SET_NODE: &str = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd";

/// Renders the audit message.
pub fn audit_message(source: &AuditSource, event: &AuditEvent) -> String {
    let mut w = Writer::new(Vec::with_capacity(1024));
    // Writing into a Vec cannot fail; keep the error path anyway.
    match write_message(&mut w, source, event) {
        Ok(()) => String::from_utf8_lossy(&w.into_inner()).into_owned(),
        Err(e) => {
            tracing::error!(error = %e, "audit message could not be rendered");
            String::new()
        }
    }
}

fn write_message(w: &mut W, source: &AuditSource, event: &AuditEvent) -> io::Result<()> {
    let spec = event.transaction.spec(event.side);
    let time = crate::format_time(event.time);
    let outcome = event.outcome.code().to_string();
    w.create_element("AuditMessage").write_inner_content(|w| {
        w.create_element("EventIdentification")
            .with_attribute(("EventActionCode", spec.action.as_str()))
            .with_attribute(("EventDateTime", time.as_str()))
            .with_attribute(("EventOutcomeIndicator", outcome.as_str()))
            .write_inner_content(|w| {
                coded(w, "EventID", &spec.event_id)?;
                for code in &spec.type_codes {
                    coded(w, "EventTypeCode", code)?;
                }
                if let Some(d) = &event.outcome_description {
                    w.create_element("EventOutcomeDescription")
                        .write_text_content(BytesText::new(&clean_text(d)))?;
                }
                Ok(())
            })?;
        participants(w, source, event)?;
        w.create_element("AuditSourceIdentification")
            .with_attribute((
                "AuditEnterpriseSiteID",
                clean(&source.enterprise_site_id).as_str(),
            ))
            .with_attribute(("AuditSourceID", clean(&source.source_id).as_str()))
            .write_inner_content(|w| {
                w.create_element("AuditSourceTypeCode")
                    .with_attribute(("csd-code", "4"))
                    .with_attribute(("codeSystemName", "DCM"))
                    .with_attribute(("originalText", "Application Server process or thread"))
                    .write_empty()?;
                Ok(())
            })?;
        objects(w, source, event)
    })?;
    Ok(())
}

/// The requestor and the hub. In transfers the one the data leaves is the
/// Source (110153) and the other the Destination (110152).
fn participants(w: &mut W, source: &AuditSource, event: &AuditEvent) -> io::Result<()> {
    let transfer = event.transaction.is_transfer();
    let spec = event.transaction.spec(event.side);
    // The hub is the Source when it exports (ITI-43 responder, ITI-41/42 sender).
    let hub_is_source = spec.event_id == crate::catalogue::EXPORT;
    let (requestor_role, hub_role) = if hub_is_source {
        (ROLE_DESTINATION, ROLE_SOURCE)
    } else {
        (ROLE_SOURCE, ROLE_DESTINATION)
    };
    let write_requestor =
        |w: &mut W| requestor(w, &event.requestor, transfer.then_some(requestor_role));
    let write_hub = |w: &mut W| hub(w, source, event.transaction, transfer.then_some(hub_role));
    if hub_is_source {
        write_hub(w)?;
        write_requestor(w)
    } else {
        write_requestor(w)?;
        write_hub(w)
    }
}

fn requestor(w: &mut W, r: &Requestor, role: Option<Code>) -> io::Result<()> {
    let user_id = r
        .facility_oid
        .as_deref()
        .or(r.user.as_deref())
        .or(r.address.as_deref())
        .unwrap_or("unknown");
    let user_id = clean(user_id);
    let mut el = w
        .create_element("ActiveParticipant")
        .with_attribute(("UserID", user_id.as_str()));
    let name = r
        .user
        .as_deref()
        .filter(|_| r.facility_oid.is_some())
        .map(clean);
    if let Some(name) = &name {
        el = el.with_attribute(("UserName", name.as_str()));
    }
    el = el.with_attribute(("UserIsRequestor", "true"));
    let address = r.address.as_deref().map(clean);
    if let Some(a) = &address {
        el = el
            .with_attribute(("NetworkAccessPointID", a.as_str()))
            .with_attribute(("NetworkAccessPointTypeCode", access_point_type(a)));
    }
    match role {
        Some(role) => el
            .write_inner_content(|w| coded(w, "RoleIDCode", &role))
            .map(drop),
        None => el.write_empty().map(drop),
    }
}

fn hub(w: &mut W, source: &AuditSource, t: Transaction, role: Option<Code>) -> io::Result<()> {
    let user_id = clean(&format!(
        "{}{}",
        source.base_url.trim_end_matches('/'),
        t.endpoint_path()
    ));
    let pid = std::process::id().to_string();
    let node = clean(&source.node);
    let el = w
        .create_element("ActiveParticipant")
        .with_attribute(("UserID", user_id.as_str()))
        .with_attribute(("AlternativeUserID", pid.as_str()))
        .with_attribute(("UserIsRequestor", "false"))
        .with_attribute(("NetworkAccessPointID", node.as_str()))
        .with_attribute(("NetworkAccessPointTypeCode", access_point_type(&node)));
    match role {
        Some(role) => el
            .write_inner_content(|w| coded(w, "RoleIDCode", &role))
            .map(drop),
        None => el.write_empty().map(drop),
    }
}

/// 2 = IP address, 1 = machine name.
fn access_point_type(address: &str) -> &'static str {
    if address.parse::<std::net::IpAddr>().is_ok() {
        "2"
    } else {
        "1"
    }
}

fn objects(w: &mut W, source: &AuditSource, event: &AuditEvent) -> io::Result<()> {
    if let Some(patient) = &event.patient {
        object(w, patient, "1", "1", &PATIENT_NUMBER, |w| {
            match &event.message_id {
                // ITI-8: MSH-10; ITI-44: the message's II.
                Some(id) => {
                    let kind = match event.transaction {
                        crate::Transaction::Iti44(_) => "II",
                        _ => "MSH-10",
                    };
                    detail(w, kind, id.as_bytes())
                }
                None => Ok(()),
            }
        })?;
    }
    if let Some(ss) = &event.submission_set {
        let id_type = Code {
            code: SUBMISSION_SET_NODE,
            system: "IHE XDS Metadata",
            display: "submission set classificationNode",
        };
        object(w, ss, "2", "20", &id_type, |_| Ok(()))?;
    }
    for d in &event.documents {
        object(w, &d.unique_id, "2", "3", &REPORT_NUMBER, |w| {
            let repository = d
                .repository_unique_id
                .as_deref()
                .unwrap_or(&source.repository_unique_id);
            if !repository.is_empty() {
                detail(w, "Repository Unique Id", repository.as_bytes())?;
            }
            if let Some(home) = &d.home_community_id {
                detail(w, "ihe:homeCommunityID", home.as_bytes())?;
            }
            Ok(())
        })?;
    }
    if let Some(q) = &event.query {
        let id_type = event.transaction.ihe_type_code().unwrap_or(Code {
            code: "query",
            system: crate::catalogue::RENKEI_CODE_SYSTEM,
            display: "Query",
        });
        object(w, &q.query_id, "2", "24", &id_type, |w| {
            w.create_element("ParticipantObjectQuery")
                .write_text_content(BytesText::new(&BASE64.encode(&q.request)))?;
            detail(w, "QueryEncoding", b"UTF-8")?;
            if let Some(home) = &q.home_community_id {
                detail(w, "urn:ihe:iti:xca:2010:homeCommunityId", home.as_bytes())?;
            }
            Ok(())
        })?;
    }
    for t in &event.targets {
        let (type_code, role, id_type) = match t.kind {
            TargetKind::Facility => ("3", "15", FACILITY_OID),
            TargetKind::Certificate => ("2", "13", CERTIFICATE_SERIAL),
            TargetKind::Consent => ("2", "14", CONSENT_ID),
            TargetKind::EmergencyAccess => ("2", "14", EMERGENCY_ACCESS_ID),
        };
        object(w, &t.id, type_code, role, &id_type, |w| {
            if let Some(d) = &t.detail {
                detail(w, "detail", d.as_bytes())?;
            }
            Ok(())
        })?;
    }
    Ok(())
}

const PATIENT_NUMBER: Code = Code {
    code: "2",
    system: "RFC-3881",
    display: "Patient Number",
};
const REPORT_NUMBER: Code = Code {
    code: "9",
    system: "RFC-3881",
    display: "Report Number",
};
const FACILITY_OID: Code = Code {
    code: "facility-oid",
    system: crate::catalogue::RENKEI_CODE_SYSTEM,
    display: "Facility OID",
};
const CERTIFICATE_SERIAL: Code = Code {
    code: "certificate-serial",
    system: crate::catalogue::RENKEI_CODE_SYSTEM,
    display: "Certificate serial number",
};
const CONSENT_ID: Code = Code {
    code: "consent-id",
    system: crate::catalogue::RENKEI_CODE_SYSTEM,
    display: "Consent",
};
const EMERGENCY_ACCESS_ID: Code = Code {
    code: "emergency-access-id",
    system: crate::catalogue::RENKEI_CODE_SYSTEM,
    display: "Emergency access",
};

fn object(
    w: &mut W,
    id: &str,
    type_code: &str,
    role: &str,
    id_type: &Code,
    inner: impl FnOnce(&mut W) -> io::Result<()>,
) -> io::Result<()> {
    let id = clean(id);
    w.create_element("ParticipantObjectIdentification")
        .with_attribute(("ParticipantObjectID", id.as_str()))
        .with_attribute(("ParticipantObjectTypeCode", type_code))
        .with_attribute(("ParticipantObjectTypeCodeRole", role))
        .write_inner_content(|w| {
            coded(w, "ParticipantObjectIDTypeCode", id_type)?;
            inner(w)
        })?;
    Ok(())
}

fn detail(w: &mut W, kind: &str, value: &[u8]) -> io::Result<()> {
    let encoded = BASE64.encode(value);
    w.create_element("ParticipantObjectDetail")
        .with_attribute(("type", kind))
        .with_attribute(("value", encoded.as_str()))
        .write_empty()?;
    Ok(())
}

fn coded(w: &mut W, element: &str, code: &Code) -> io::Result<()> {
    w.create_element(element)
        .with_attribute(("csd-code", code.code))
        .with_attribute(("codeSystemName", code.system))
        .with_attribute(("originalText", code.display))
        .write_empty()?;
    Ok(())
}

/// An attribute value that survives parsing unchanged and is a valid
/// `xs:token`: no characters XML cannot carry, no line breaks or tabs, no
/// leading, trailing or doubled spaces. Request values are untrusted.
fn clean(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        let c = if c.is_whitespace() {
            ' '
        } else if is_xml_char(c) {
            c
        } else {
            '\u{FFFD}'
        };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
    while out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Element text: XML characters only, line breaks kept out (one-line messages).
fn clean_text(value: &str) -> String {
    value
        .chars()
        .map(|c| match c {
            '\r' | '\n' | '\t' => ' ',
            c if is_xml_char(c) => c,
            _ => '\u{FFFD}',
        })
        .collect()
}

/// XML 1.0 `Char`.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

#[cfg(test)]
mod tests;
