//! The ebRIM 3.0 object model as it travels on the wire.
//!
//! These types keep everything a submitter sent (every Slot, Name, Description,
//! Classification and ExternalIdentifier, in order) so that a LeafClass query
//! returns exactly the metadata that was registered. The XDS meaning of the
//! objects (DocumentEntry, SubmissionSet, Folder) is derived from them in
//! [`crate::xds`]; nothing here interprets a UUID.

use serde::{Deserialize, Serialize};

/// `rim:LocalizedString`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct LocalizedString {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charset: Option<String>,
    pub value: String,
}

/// `rim:Name` / `rim:Description`: zero or more localized strings. An element
/// sent empty (`<rim:Description/>`) is kept as an empty list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct InternationalString {
    pub values: Vec<LocalizedString>,
}

impl InternationalString {
    /// The first localized value, which is what XDS calls title / comments.
    pub fn first(&self) -> Option<&str> {
        self.values.first().map(|v| v.value.as_str())
    }
}

/// `rim:Slot` with its `rim:ValueList`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Slot {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot_type: Option<String>,
    pub values: Vec<String>,
}

/// Attributes and children every `rim:RegistryObject` subtype shares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ObjectCore {
    /// `id`: an entryUUID (`urn:uuid:…`) or a symbolic id before registration.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `home` attribute (homeCommunityId).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home: Option<String>,
    /// `rim:VersionInfo/@versionName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<InternationalString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<InternationalString>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slots: Vec<Slot>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classifications: Vec<Classification>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_identifiers: Vec<ExternalIdentifier>,
}

impl ObjectCore {
    /// Values of the first slot with this name (XDS forbids repeating a slot name).
    pub fn slot(&self, name: &str) -> Option<&[String]> {
        self.slots
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.values.as_slice())
    }

    /// The single value of a single-valued slot.
    pub fn slot_value(&self, name: &str) -> Option<&str> {
        self.slot(name).and_then(|v| v.first()).map(String::as_str)
    }

    /// Replace (or add) a slot, as the repository does for hash/size/repositoryUniqueId.
    pub fn set_slot(&mut self, name: &str, values: Vec<String>) {
        if let Some(s) = self.slots.iter_mut().find(|s| s.name == name) {
            s.values = values;
        } else {
            self.slots.push(Slot {
                name: name.to_owned(),
                slot_type: None,
                values,
            });
        }
    }

    /// Classifications with this classificationScheme.
    pub fn classifications_by_scheme<'a>(
        &'a self,
        scheme: &'a str,
    ) -> impl Iterator<Item = &'a Classification> + 'a {
        self.classifications
            .iter()
            .filter(move |c| c.classification_scheme.as_deref() == Some(scheme))
    }

    /// The ExternalIdentifier value with this identificationScheme.
    pub fn external_id(&self, scheme: &str) -> Option<&str> {
        self.external_identifiers
            .iter()
            .find(|e| e.identification_scheme == scheme)
            .map(|e| e.value.as_str())
    }
}

/// `rim:Classification`. Coded attributes use `classification_scheme` +
/// `node_representation`; the SubmissionSet / Folder markers use
/// `classification_node`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Classification {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification_scheme: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification_node: Option<String>,
    pub classified_object: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_representation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<InternationalString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<InternationalString>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slots: Vec<Slot>,
}

impl Classification {
    pub fn slot_value(&self, name: &str) -> Option<&str> {
        self.slots
            .iter()
            .find(|s| s.name == name)
            .and_then(|s| s.values.first())
            .map(String::as_str)
    }
    pub fn slot(&self, name: &str) -> Option<&[String]> {
        self.slots
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.values.as_slice())
    }
}

/// `rim:ExternalIdentifier` (patientId, uniqueId, sourceId).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ExternalIdentifier {
    pub id: String,
    pub registry_object: String,
    pub identification_scheme: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<InternationalString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<InternationalString>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slots: Vec<Slot>,
}

/// `rim:ExtrinsicObject` (a DocumentEntry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ExtrinsicObject {
    pub core: ObjectCore,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_opaque: Option<bool>,
}

/// `rim:RegistryPackage` (a SubmissionSet or a Folder).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RegistryPackage {
    pub core: ObjectCore,
}

/// `rim:Association`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Association {
    pub core: ObjectCore,
    pub association_type: String,
    pub source_object: String,
    pub target_object: String,
}

/// `rim:ObjectRef`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ObjectRef {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home: Option<String>,
}

/// One member of a `rim:RegistryObjectList`, in document order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegistryObject {
    ExtrinsicObject(ExtrinsicObject),
    RegistryPackage(RegistryPackage),
    Association(Association),
    /// A top-level Classification, e.g. the one that marks a RegistryPackage as
    /// SubmissionSet (`classificationNode=urn:uuid:a54d6aa5-…`).
    Classification(Classification),
    ObjectRef(ObjectRef),
}

/// `lcm:SubmitObjectsRequest` (ITI-42, ITI-57, and the metadata part of ITI-41).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubmitObjectsRequest {
    pub objects: Vec<RegistryObject>,
}

/// `xds:Document` inside a ProvideAndRegisterDocumentSetRequest: either an
/// XOP reference to a MIME part or inline base64 content already decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentContent {
    /// `<xop:Include href="cid:…"/>`, the cid already percent-decoded and
    /// without the `cid:` prefix.
    XopInclude(String),
    /// Inline base64, decoded.
    Inline(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvidedDocument {
    /// `xds:Document/@id`, equal to the DocumentEntry's `id`.
    pub id: String,
    pub content: DocumentContent,
}

/// `xds:ProvideAndRegisterDocumentSetRequest` (ITI-41).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProvideAndRegisterRequest {
    pub submission: SubmitObjectsRequest,
    pub documents: Vec<ProvidedDocument>,
}

/// `query:ResponseOption/@returnType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReturnType {
    LeafClass,
    ObjectRef,
}

/// `query:AdhocQueryRequest` (ITI-18): the stored query id, the `home`
/// attribute and the raw slots (parameter values are decoded by
/// [`crate::query`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdhocQueryRequest {
    pub return_type: ReturnType,
    pub return_composed_objects: bool,
    pub query_id: String,
    pub home: Option<String>,
    /// `rim:Slot` elements in document order; the same name may repeat (AND semantics).
    pub parameters: Vec<Slot>,
}

/// One `DocumentRequest` of ITI-43 (and ITI-86).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRequest {
    pub home_community_id: Option<String>,
    pub repository_unique_id: String,
    pub document_unique_id: String,
}

/// `xds:RetrieveDocumentSetRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RetrieveDocumentSetRequest {
    pub requests: Vec<DocumentRequest>,
}

/// `lcm:RemoveObjectsRequest` (ITI-62): the ObjectRef ids to remove.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RemoveObjectsRequest {
    pub object_ids: Vec<String>,
}
