//! Writers for the v3 replies and notifications (body elements only).

use std::fmt::Write as _;

use soap::{escape_attribute, escape_text};

use crate::cx::Demographics;

use super::{Ii, V3Header, V3Query};

/// HL7 interaction id code system.
const INTERACTION_OID: &str = "2.16.840.1.113883.1.6";
/// HL7 table 0357 (message error condition codes), for acknowledgementDetail/code.
const TABLE_0357_OID: &str = "2.16.840.1.113883.12.357";

/// What the replying side chooses for the transmission wrapper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3ReplyMeta {
    /// The reply's own message id (e.g. a UUID root).
    pub message_id: Ii,
    /// `creationTime` (`YYYYMMDDHHMMSS`).
    pub creation_time: String,
}

/// `acknowledgement/typeCode` (HL7 AcknowledgementType).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum V3AckCode {
    /// Application accept.
    AA,
    /// Application error.
    AE,
    /// Application reject.
    AR,
    /// Accept (commit) accept.
    CA,
    /// Accept (commit) error.
    CE,
    /// Accept (commit) reject.
    CR,
}

impl V3AckCode {
    pub fn as_str(self) -> &'static str {
        match self {
            V3AckCode::AA => "AA",
            V3AckCode::AE => "AE",
            V3AckCode::AR => "AR",
            V3AckCode::CA => "CA",
            V3AckCode::CE => "CE",
            V3AckCode::CR => "CR",
        }
    }
}

fn push_ii(out: &mut String, element: &str, id: &Ii) {
    let _ = write!(out, "<{element} root=\"{}\"", escape_attribute(&id.root));
    if let Some(ext) = &id.extension {
        let _ = write!(out, " extension=\"{}\"", escape_attribute(ext));
    }
    out.push_str("/>");
}

fn push_device(out: &mut String, side: &str, type_code: &str, id: &Ii) {
    let _ = write!(
        out,
        "<{side} typeCode=\"{type_code}\"><device classCode=\"DEV\" determinerCode=\"INSTANCE\">"
    );
    push_ii(out, "id", id);
    let _ = write!(out, "</device></{side}>");
}

/// Root element start and the transmission wrapper up to the sender.
fn open(
    out: &mut String,
    interaction: &str,
    meta: &V3ReplyMeta,
    processing_code: &str,
    accept_ack: &str,
    receiver: &Ii,
    sender: &Ii,
) {
    let _ = write!(
        out,
        "<{interaction} xmlns=\"urn:hl7-org:v3\" ITSVersion=\"XML_1.0\">"
    );
    push_ii(out, "id", &meta.message_id);
    let _ = write!(
        out,
        "<creationTime value=\"{}\"/><interactionId root=\"{INTERACTION_OID}\" extension=\"{interaction}\"/>\
         <processingCode code=\"{}\"/><processingModeCode code=\"T\"/><acceptAckCode code=\"{accept_ack}\"/>",
        escape_attribute(&meta.creation_time),
        escape_attribute(if processing_code.is_empty() {
            "P"
        } else {
            processing_code
        }),
    );
    push_device(out, "receiver", "RCV", receiver);
    push_device(out, "sender", "SND", sender);
}

/// One acknowledgementDetail.
struct Detail<'a> {
    code: Option<(&'a str, &'a str)>,
    text: &'a str,
    location: Option<&'a str>,
}

fn push_acknowledgement(out: &mut String, code: V3AckCode, target: &Ii, details: &[Detail<'_>]) {
    let _ = write!(
        out,
        "<acknowledgement><typeCode code=\"{}\"/><targetMessage>",
        code.as_str()
    );
    push_ii(out, "id", target);
    out.push_str("</targetMessage>");
    for d in details {
        out.push_str("<acknowledgementDetail typeCode=\"E\">");
        if let Some((code, name)) = d.code {
            let _ = write!(
                out,
                "<code code=\"{code}\" codeSystem=\"{TABLE_0357_OID}\" displayName=\"{name}\"/>"
            );
        }
        if !d.text.is_empty() {
            let _ = write!(out, "<text>{}</text>", escape_text(d.text));
        }
        if let Some(location) = d.location {
            let _ = write!(out, "<location>{}</location>", escape_text(location));
        }
        out.push_str("</acknowledgementDetail>");
    }
    out.push_str("</acknowledgement>");
}

/// MCCI_IN000002UV01, the ITI-44 acknowledgement: sender and receiver of
/// `request` swapped, `targetMessage` = request id, and an
/// acknowledgementDetail with `detail` as text when given.
pub fn mcci_ack(
    request: &V3Header,
    code: V3AckCode,
    detail: Option<&str>,
    meta: &V3ReplyMeta,
) -> String {
    let mut out = String::with_capacity(1024);
    open(
        &mut out,
        "MCCI_IN000002UV01",
        meta,
        &request.processing_code,
        "NE",
        &request.sender_device,
        &request.receiver_device,
    );
    let details: Vec<Detail<'_>> = detail
        .map(|text| Detail {
            code: None,
            text,
            location: None,
        })
        .into_iter()
        .collect();
    push_acknowledgement(&mut out, code, &request.message_id, &details);
    out.push_str("</MCCI_IN000002UV01>");
    out
}

/// The answer to an ITI-45 query (TF-2b 3.45.4.2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum V3QueryOutcome {
    /// The patient's identifiers in the requested domains: AA, OK.
    /// An empty list is answered like `NotFound`.
    Found(Vec<Ii>),
    /// Known id, nothing in the requested domains: AA, NF.
    NotFound,
    /// The queried identifier (or its domain) is unknown: AE, AE, detail 204
    /// at `patientIdentifier/value`.
    UnknownPatientId,
    /// Data source roots that are not known domains: AE, AE, detail 204 at
    /// `dataSource/value` for each.
    UnknownDataSources(Vec<String>),
    /// Any other failure: AE, AE with the text.
    Failed(String),
}

const PATIENT_ID_XPATH: &str =
    "/PRPA_IN201309UV02/controlActProcess/queryByParameter/parameterList/patientIdentifier/value";
const DATA_SOURCE_XPATH: &str =
    "/PRPA_IN201309UV02/controlActProcess/queryByParameter/parameterList/dataSource/value";

/// PRPA_IN201310UV02, the ITI-45 response.
pub fn prpa_in201310(query: &V3Query, outcome: &V3QueryOutcome, meta: &V3ReplyMeta) -> String {
    let unknown = ("204", "Unknown Key Identifier");
    let (ack, response_code, ids, details): (V3AckCode, &str, &[Ii], Vec<Detail<'_>>) =
        match outcome {
            V3QueryOutcome::Found(ids) if !ids.is_empty() => (V3AckCode::AA, "OK", ids, vec![]),
            V3QueryOutcome::Found(_) | V3QueryOutcome::NotFound => {
                (V3AckCode::AA, "NF", &[], vec![])
            }
            V3QueryOutcome::UnknownPatientId => (
                V3AckCode::AE,
                "AE",
                &[],
                vec![Detail {
                    code: Some(unknown),
                    text: "Unknown patient identifier",
                    location: Some(PATIENT_ID_XPATH),
                }],
            ),
            V3QueryOutcome::UnknownDataSources(roots) => (
                V3AckCode::AE,
                "AE",
                &[],
                roots
                    .iter()
                    .map(|r| Detail {
                        code: Some(unknown),
                        text: r,
                        location: Some(DATA_SOURCE_XPATH),
                    })
                    .collect(),
            ),
            V3QueryOutcome::Failed(text) => (
                V3AckCode::AE,
                "AE",
                &[],
                vec![Detail {
                    code: Some(("207", "Application internal error")),
                    text,
                    location: None,
                }],
            ),
        };
    let h = &query.header;
    let mut out = String::with_capacity(2048);
    open(
        &mut out,
        "PRPA_IN201310UV02",
        meta,
        &h.processing_code,
        "NE",
        &h.sender_device,
        &h.receiver_device,
    );
    push_acknowledgement(&mut out, ack, &h.message_id, &details);
    let _ = write!(
        out,
        "<controlActProcess classCode=\"CACT\" moodCode=\"EVN\">\
         <code code=\"PRPA_TE201310UV02\" codeSystem=\"{INTERACTION_OID}\"/>"
    );
    if !ids.is_empty() {
        push_subject(&mut out, ids, None, &h.receiver_device);
    }
    out.push_str("<queryAck>");
    push_ii(&mut out, "queryId", &query.query_id);
    let _ = write!(
        out,
        "<queryResponseCode code=\"{response_code}\"/></queryAck>"
    );
    push_query_by_parameter(&mut out, query);
    out.push_str("</controlActProcess></PRPA_IN201310UV02>");
    out
}

/// The query parameters, echoed.
fn push_query_by_parameter(out: &mut String, query: &V3Query) {
    out.push_str("<queryByParameter>");
    push_ii(out, "queryId", &query.query_id);
    out.push_str("<statusCode code=\"new\"/><responsePriorityCode code=\"I\"/><parameterList>");
    for root in &query.data_sources {
        out.push_str("<dataSource>");
        push_ii(out, "value", &Ii::root(root.clone()));
        out.push_str("<semanticsText>DataSource.id</semanticsText></dataSource>");
    }
    for id in &query.patient_identifiers {
        out.push_str("<patientIdentifier>");
        push_ii(out, "value", id);
        out.push_str("<semanticsText>Patient.id</semanticsText></patientIdentifier>");
    }
    out.push_str("</parameterList></queryByParameter>");
}

/// `subject/registrationEvent` with the patient's ids, optional
/// demographics (name nullFlavor when none) and the custodian.
fn push_subject(out: &mut String, ids: &[Ii], demographics: Option<&Demographics>, custodian: &Ii) {
    out.push_str(
        "<subject typeCode=\"SUBJ\"><registrationEvent classCode=\"REG\" moodCode=\"EVN\">\
         <id nullFlavor=\"NA\"/><statusCode code=\"active\"/>\
         <subject1 typeCode=\"SBJ\"><patient classCode=\"PAT\">",
    );
    for id in ids {
        push_ii(out, "id", id);
    }
    out.push_str(
        "<statusCode code=\"active\"/><patientPerson classCode=\"PSN\" determinerCode=\"INSTANCE\">",
    );
    push_person(out, demographics);
    out.push_str("</patientPerson></patient></subject1>");
    out.push_str("<custodian typeCode=\"CST\"><assignedEntity classCode=\"ASSIGNED\">");
    push_ii(out, "id", custodian);
    out.push_str("</assignedEntity></custodian></registrationEvent></subject>");
}

fn push_person(out: &mut String, demographics: Option<&Demographics>) {
    let d = demographics.filter(|d| !d.names.is_empty());
    match d {
        None => out.push_str("<name nullFlavor=\"NA\"/>"),
        Some(d) => {
            for n in &d.names {
                out.push_str("<name>");
                for (tag, value) in [
                    ("prefix", &n.prefix),
                    ("given", &n.given),
                    ("given", &n.middle),
                    ("family", &n.family),
                    ("suffix", &n.suffix),
                ] {
                    if !value.is_empty() {
                        let _ = write!(out, "<{tag}>{}</{tag}>", escape_text(value));
                    }
                }
                out.push_str("</name>");
            }
        }
    }
    let Some(d) = demographics else { return };
    if !d.sex.is_empty() {
        let _ = write!(
            out,
            "<administrativeGenderCode code=\"{}\"/>",
            escape_attribute(&d.sex)
        );
    }
    if !d.birth_date.is_empty() {
        let _ = write!(
            out,
            "<birthTime value=\"{}\"/>",
            escape_attribute(&d.birth_date)
        );
    }
    for a in &d.addresses {
        out.push_str("<addr>");
        for (tag, value) in [
            ("streetAddressLine", &a.street),
            ("streetAddressLine", &a.other),
            ("city", &a.city),
            ("state", &a.state),
            ("postalCode", &a.postal_code),
            ("country", &a.country),
        ] {
            if !value.is_empty() {
                let _ = write!(out, "<{tag}>{}</{tag}>", escape_text(value));
            }
        }
        out.push_str("</addr>");
    }
}

/// What an ITI-46 notification tells a consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3Notification {
    /// The PIX Manager's device id.
    pub sender_device: Ii,
    /// The consumer's device id.
    pub receiver_device: Ii,
    /// All linked ids in the domains the consumer wants.
    pub patient_ids: Vec<Ii>,
    pub demographics: Demographics,
    /// `custodian/assignedEntity/id`: the PIX Manager's organization OID.
    pub custodian: Ii,
}

/// PRPA_IN201302UV02 for ITI-46 (PIX Update Notification).
pub fn prpa_in201302_notification(n: &V3Notification, meta: &V3ReplyMeta) -> String {
    let mut out = String::with_capacity(2048);
    open(
        &mut out,
        "PRPA_IN201302UV02",
        meta,
        "P",
        "AL",
        &n.receiver_device,
        &n.sender_device,
    );
    let _ = write!(
        out,
        "<controlActProcess classCode=\"CACT\" moodCode=\"EVN\">\
         <code code=\"PRPA_TE201302UV02\" codeSystem=\"{INTERACTION_OID}\"/>"
    );
    push_subject(
        &mut out,
        &n.patient_ids,
        Some(&n.demographics),
        &n.custodian,
    );
    out.push_str("</controlActProcess></PRPA_IN201302UV02>");
    out
}
