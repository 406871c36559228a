//! HL7 v3 PIX messages (ITI-44 feed, ITI-45 query, ITI-46 notification).
//!
//! Parsers take the SOAP Body child (the hub strips the envelope with the
//! `soap` crate) and return typed values; builders return the body element
//! as a `String` for the hub to wrap in a SOAP envelope. Output validates
//! against the NE2008 multicache schemas (see the `v3_xsd` tests).

mod build;
mod dom;
mod parse;

pub use build::{
    V3AckCode, V3Notification, V3QueryOutcome, V3ReplyMeta, mcci_ack, prpa_in201302_notification,
    prpa_in201310,
};
pub use parse::{V3AckReply, parse_ack, parse_feed, parse_message, parse_query};

use crate::cx::Demographics;

/// Bounds for one v3 message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V3Limits {
    /// Size, depth and attribute bounds plus DTD/entity refusal (shared with SOAP).
    pub xml: soap::XmlLimits,
    /// Most elements in the document.
    pub max_elements: usize,
    /// Longest text content of one element, in bytes.
    pub max_text_len: usize,
}

impl Default for V3Limits {
    /// 4 MiB, depth 64, 64 attributes, 20 000 elements, 64 KiB of text per element.
    fn default() -> Self {
        Self {
            xml: soap::XmlLimits {
                max_depth: 64,
                max_bytes: 4 * 1024 * 1024,
                max_attributes: 64,
            },
            max_elements: 20_000,
            max_text_len: 64 * 1024,
        }
    }
}

/// An HL7 v3 instance identifier: `root` (an OID or UUID) and `extension`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Ii {
    pub root: String,
    /// `None` when absent or empty.
    pub extension: Option<String>,
}

impl Ii {
    pub fn new(root: impl Into<String>, extension: Option<String>) -> Self {
        Self {
            root: root.into(),
            extension: extension.filter(|e| !e.is_empty()),
        }
    }

    /// A root-only identifier (device, organization, message id as UUID).
    pub fn root(root: impl Into<String>) -> Self {
        Self::new(root, None)
    }
}

/// The transmission wrapper of a request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct V3Header {
    /// Message `id` (answered in `acknowledgement/targetMessage/id`).
    pub message_id: Ii,
    /// `creationTime/@value`.
    pub creation_time: String,
    /// `interactionId/@extension` (`PRPA_IN201301UV02`…).
    pub interaction_id: String,
    /// `processingCode/@code` (`P`, `T`, `D`).
    pub processing_code: String,
    /// `sender/device/id`.
    pub sender_device: Ii,
    /// `receiver/device/id` (first receiver).
    pub receiver_device: Ii,
}

/// Which ITI-44 interaction a feed is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeedInteraction {
    /// PRPA_IN201301UV02 Patient Registry Record Added.
    Add,
    /// PRPA_IN201302UV02 Patient Registry Record Revised.
    Revise,
    /// PRPA_IN201304UV02 Patient Registry Duplicates Resolved (merge).
    DuplicatesResolved,
}

impl FeedInteraction {
    pub fn interaction_id(self) -> &'static str {
        match self {
            FeedInteraction::Add => "PRPA_IN201301UV02",
            FeedInteraction::Revise => "PRPA_IN201302UV02",
            FeedInteraction::DuplicatesResolved => "PRPA_IN201304UV02",
        }
    }
}

/// One patient of a v3 feed (one `controlActProcess/subject`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct V3Patient {
    /// `patient/id` (root = domain OID, extension = id); at least one.
    pub ids: Vec<Ii>,
    /// `patientPerson/asOtherIDs/id` (ids in other domains).
    pub other_ids: Vec<Ii>,
    /// Merge only: `replacementOf/priorRegistration/subject1/priorRegisteredRole/id`,
    /// the ids subsumed by `ids`.
    pub subsumed_ids: Vec<Ii>,
    /// Name, birthTime, administrativeGenderCode, addr (as HL7 v2 types).
    pub demographics: Demographics,
    /// `patient/providerOrganization/id`.
    pub provider_organization: Option<Ii>,
}

/// A parsed ITI-44 feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3Feed {
    pub header: V3Header,
    pub interaction: FeedInteraction,
    /// One per `controlActProcess/subject` (IHE expects exactly one).
    pub patients: Vec<V3Patient>,
}

/// A parsed ITI-45 query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3Query {
    pub header: V3Header,
    /// `queryByParameter/queryId` (echoed in `queryAck`).
    pub query_id: Ii,
    /// `parameterList/patientIdentifier/value` (IHE: exactly one).
    pub patient_identifiers: Vec<Ii>,
    /// `parameterList/dataSource/value/@root`: domains wanted; empty = all.
    pub data_sources: Vec<String>,
}

/// A parsed v3 PIX request of either kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum V3Message {
    Feed(V3Feed),
    Query(V3Query),
}

/// Why a v3 body cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum V3Error {
    /// DTD, entity, size, depth or attribute bound (from the `soap` guard).
    #[error(transparent)]
    Xml(#[from] soap::XmlLimitError),
    /// Element count or text length bound.
    #[error("limit exceeded: {0}")]
    Limit(String),
    /// Not well-formed XML.
    #[error("malformed XML: {0}")]
    Malformed(String),
    /// Not one of the PIX interactions this crate reads.
    #[error("unsupported HL7 v3 message <{0}>")]
    UnsupportedInteraction(String),
    /// Well-formed but a required part is missing or wrong.
    #[error("invalid {interaction}: {reason}")]
    Invalid {
        interaction: &'static str,
        reason: String,
    },
}
