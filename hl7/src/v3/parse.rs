//! Extraction of PIX data from the element tree.

use crate::cx::{Demographics, Xad, Xpn};

use super::dom::{self, Node};
use super::{
    FeedInteraction, Ii, V3Error, V3Feed, V3Header, V3Limits, V3Message, V3Patient, V3Query,
};

/// Reads an ITI-44 or ITI-45 request, whichever it is.
pub fn parse_message(xml: &[u8], limits: &V3Limits) -> Result<V3Message, V3Error> {
    let root = soap_body(dom::read(xml, limits)?);
    match interaction_of(&root)? {
        Kind::Feed(interaction) => feed(&root, interaction).map(V3Message::Feed),
        Kind::Query => query(&root).map(V3Message::Query),
    }
}

/// Reads PRPA_IN201301UV02 / PRPA_IN201302UV02 / PRPA_IN201304UV02.
pub fn parse_feed(xml: &[u8], limits: &V3Limits) -> Result<V3Feed, V3Error> {
    let root = soap_body(dom::read(xml, limits)?);
    match interaction_of(&root)? {
        Kind::Feed(interaction) => feed(&root, interaction),
        Kind::Query => Err(V3Error::UnsupportedInteraction(root.name.clone())),
    }
}

/// Reads PRPA_IN201309UV02.
pub fn parse_query(xml: &[u8], limits: &V3Limits) -> Result<V3Query, V3Error> {
    let root = soap_body(dom::read(xml, limits)?);
    match interaction_of(&root)? {
        Kind::Query => query(&root),
        Kind::Feed(_) => Err(V3Error::UnsupportedInteraction(root.name.clone())),
    }
}

/// The request element itself, also when `xml` is the whole SOAP envelope
/// (its namespace declarations then stay in scope): the first element of
/// `Envelope/Body`. Anything else is returned unchanged.
fn soap_body(root: Node) -> Node {
    if root.hl7 || root.name != "Envelope" {
        return root;
    }
    root.children
        .into_iter()
        .find(|c| !c.hl7 && c.name == "Body")
        .and_then(|body| body.children.into_iter().next())
        .unwrap_or_default()
}

enum Kind {
    Feed(FeedInteraction),
    Query,
}

fn interaction_of(root: &Node) -> Result<Kind, V3Error> {
    if !root.hl7 {
        return Err(V3Error::UnsupportedInteraction(format!(
            "{} (not in the urn:hl7-org:v3 namespace)",
            root.name
        )));
    }
    match root.name.as_str() {
        "PRPA_IN201301UV02" => Ok(Kind::Feed(FeedInteraction::Add)),
        "PRPA_IN201302UV02" => Ok(Kind::Feed(FeedInteraction::Revise)),
        "PRPA_IN201304UV02" => Ok(Kind::Feed(FeedInteraction::DuplicatesResolved)),
        "PRPA_IN201309UV02" => Ok(Kind::Query),
        other => Err(V3Error::UnsupportedInteraction(other.to_owned())),
    }
}

fn ii(node: &Node) -> Option<Ii> {
    if node.attr("nullFlavor").is_some() {
        return None;
    }
    let root = node.attr("root")?.trim();
    if root.is_empty() {
        return None;
    }
    Some(Ii::new(
        root,
        node.attr("extension").map(|e| e.trim().to_owned()),
    ))
}

fn header(root: &Node, interaction: &'static str) -> Result<V3Header, V3Error> {
    let invalid = |reason: &str| V3Error::Invalid {
        interaction,
        reason: reason.to_owned(),
    };
    let message_id = root
        .child("id")
        .and_then(ii)
        .ok_or_else(|| invalid("message id (id/@root) is missing"))?;
    let device = |side: &str| {
        root.children(side)
            .filter_map(|s| s.path(&["device", "id"]).and_then(ii))
            .next()
    };
    let sender_device = device("sender").ok_or_else(|| invalid("sender/device/id is missing"))?;
    let receiver_device =
        device("receiver").ok_or_else(|| invalid("receiver/device/id is missing"))?;
    Ok(V3Header {
        message_id,
        creation_time: attr_of(root, &["creationTime"], "value"),
        interaction_id: attr_of(root, &["interactionId"], "extension")
            .trim()
            .to_owned(),
        processing_code: attr_of(root, &["processingCode"], "code"),
        sender_device,
        receiver_device,
    })
}

fn attr_of(node: &Node, path: &[&str], attr: &str) -> String {
    node.path(path)
        .and_then(|n| n.attr(attr))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn feed(root: &Node, interaction: FeedInteraction) -> Result<V3Feed, V3Error> {
    let name = interaction.interaction_id();
    let invalid = |reason: String| V3Error::Invalid {
        interaction: name,
        reason,
    };
    let header = header(root, name)?;
    let control = root
        .child("controlActProcess")
        .ok_or_else(|| invalid("controlActProcess is missing".into()))?;
    let mut patients = Vec::new();
    for (n, subject) in control.children("subject").enumerate() {
        let n = n + 1;
        let event = subject
            .child("registrationEvent")
            .ok_or_else(|| invalid(format!("subject {n}: registrationEvent is missing")))?;
        let patient = event
            .path(&["subject1", "patient"])
            .ok_or_else(|| invalid(format!("subject {n}: subject1/patient is missing")))?;
        let ids = patient_ids(patient.children("id"));
        if ids.is_empty() {
            return Err(invalid(format!(
                "subject {n}: patient/id with root and extension is missing"
            )));
        }
        let person = patient.child("patientPerson");
        let other_ids = person
            .map(|p| patient_ids(p.children("asOtherIDs").flat_map(|o| o.children("id"))))
            .unwrap_or_default();
        let subsumed_ids = patient_ids(
            event
                .children("replacementOf")
                .filter_map(|r| r.path(&["priorRegistration", "subject1", "priorRegisteredRole"]))
                .flat_map(|role| role.children("id")),
        );
        if interaction == FeedInteraction::DuplicatesResolved && subsumed_ids.is_empty() {
            return Err(invalid(format!(
                "subject {n}: replacementOf/priorRegistration/subject1/priorRegisteredRole/id is missing"
            )));
        }
        patients.push(V3Patient {
            ids,
            other_ids,
            subsumed_ids,
            demographics: person.map(demographics).unwrap_or_default(),
            provider_organization: patient.path(&["providerOrganization", "id"]).and_then(ii),
        });
    }
    if patients.is_empty() {
        return Err(invalid("controlActProcess/subject is missing".into()));
    }
    Ok(V3Feed {
        header,
        interaction,
        patients,
    })
}

/// Identifiers that name a patient: root and extension both present.
fn patient_ids<'a>(nodes: impl Iterator<Item = &'a Node>) -> Vec<Ii> {
    nodes
        .filter_map(ii)
        .filter(|i| i.extension.is_some())
        .collect()
}

fn demographics(person: &Node) -> Demographics {
    let names = person
        .children("name")
        .filter(|n| n.attr("nullFlavor").is_none())
        .map(|n| {
            let text = |part: &str| {
                n.child(part)
                    .map(|p| p.trimmed_text().to_owned())
                    .unwrap_or_default()
            };
            let mut given = n.children("given").map(|g| g.trimmed_text().to_owned());
            Xpn {
                family: text("family"),
                given: given.next().unwrap_or_default(),
                middle: given.next().unwrap_or_default(),
                suffix: text("suffix"),
                prefix: text("prefix"),
                name_type_code: String::new(),
                representation_code: String::new(),
            }
        })
        .filter(|x| !x.is_empty())
        .collect();
    let addresses = person
        .children("addr")
        .filter(|a| a.attr("nullFlavor").is_none())
        .map(|a| {
            let text = |part: &str| {
                a.child(part)
                    .map(|p| p.trimmed_text().to_owned())
                    .unwrap_or_default()
            };
            let mut lines = a
                .children("streetAddressLine")
                .map(|l| l.trimmed_text().to_owned());
            Xad {
                street: lines.next().unwrap_or_default(),
                other: lines.next().unwrap_or_default(),
                city: text("city"),
                state: text("state"),
                postal_code: text("postalCode"),
                country: text("country"),
                address_type: a.attr("use").unwrap_or_default().to_owned(),
            }
        })
        .filter(|x| !x.is_empty())
        .collect();
    Demographics {
        names,
        birth_date: attr_of(person, &["birthTime"], "value"),
        sex: attr_of(person, &["administrativeGenderCode"], "code"),
        addresses,
    }
}

fn query(root: &Node) -> Result<V3Query, V3Error> {
    const NAME: &str = "PRPA_IN201309UV02";
    let invalid = |reason: &str| V3Error::Invalid {
        interaction: NAME,
        reason: reason.to_owned(),
    };
    let header = header(root, NAME)?;
    let by_parameter = root
        .path(&["controlActProcess", "queryByParameter"])
        .ok_or_else(|| invalid("controlActProcess/queryByParameter is missing"))?;
    let query_id = by_parameter
        .child("queryId")
        .and_then(ii)
        .ok_or_else(|| invalid("queryByParameter/queryId is missing"))?;
    let parameters = by_parameter
        .child("parameterList")
        .ok_or_else(|| invalid("queryByParameter/parameterList is missing"))?;
    let patient_identifiers = parameters
        .children("patientIdentifier")
        .flat_map(|p| p.children("value"))
        .filter_map(ii)
        .collect::<Vec<_>>();
    if patient_identifiers.is_empty() {
        return Err(invalid("parameterList/patientIdentifier/value is missing"));
    }
    let data_sources = parameters
        .children("dataSource")
        .flat_map(|d| d.children("value"))
        .filter_map(ii)
        .map(|i| i.root)
        .collect();
    Ok(V3Query {
        header,
        query_id,
        patient_identifiers,
        data_sources,
    })
}

/// An MCCI_IN000002UV01 acknowledgement received from a peer (ITI-46 reply).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3AckReply {
    /// `acknowledgement/typeCode/@code` (AA, AE, AR, CA, CE, CR).
    pub code: String,
    /// `acknowledgement/targetMessage/id`: the message acknowledged.
    pub target_message: Option<Ii>,
    /// `acknowledgementDetail/text` values.
    pub details: Vec<String>,
}

impl V3AckReply {
    /// AA or CA.
    pub fn is_accept(&self) -> bool {
        matches!(self.code.as_str(), "AA" | "CA")
    }
}

/// Reads MCCI_IN000002UV01 (or the acknowledgement of any v3 response).
pub fn parse_ack(xml: &[u8], limits: &V3Limits) -> Result<V3AckReply, V3Error> {
    let root = dom::read(xml, limits)?;
    if !root.hl7 {
        return Err(V3Error::UnsupportedInteraction(root.name.clone()));
    }
    let ack = root.child("acknowledgement").ok_or(V3Error::Invalid {
        interaction: "MCCI_IN000002UV01",
        reason: "acknowledgement is missing".into(),
    })?;
    let code = attr_of(ack, &["typeCode"], "code");
    if code.is_empty() {
        return Err(V3Error::Invalid {
            interaction: "MCCI_IN000002UV01",
            reason: "acknowledgement/typeCode/@code is missing".into(),
        });
    }
    Ok(V3AckReply {
        code,
        target_message: ack.path(&["targetMessage", "id"]).and_then(ii),
        details: ack
            .children("acknowledgementDetail")
            .filter_map(|d| d.child("text"))
            .map(|t| t.trimmed_text().to_owned())
            .collect(),
    })
}
