//! Realistic XDS.b metadata for tests and the load tool: a referral letter
//! (診療情報提供書) and friends, as a Japanese regional network would submit
//! them. Codes are affinity-domain configuration; these are plausible ones
//! (LOINC document types, HL7 confidentiality, IHE formatCode).

use sha1::{Digest, Sha1};
use std::fmt::Write;

pub const LOINC: &str = "2.16.840.1.113883.6.1";
pub const CONFIDENTIALITY: &str = "2.16.840.1.113883.5.25";
pub const IHE_FORMAT: &str = "1.3.6.1.4.1.19376.1.2.3";
pub const REGION_CODES: &str = "1.2.392.200119.4.9999";

/// A coded value `(code, scheme, display)`.
#[derive(Debug, Clone)]
pub struct CodeSpec {
    pub code: String,
    pub scheme: String,
    pub display: String,
}

pub fn code(code: &str, scheme: &str, display: &str) -> CodeSpec {
    CodeSpec {
        code: code.into(),
        scheme: scheme.into(),
        display: display.into(),
    }
}

/// One DocumentEntry with its bytes.
#[derive(Debug, Clone)]
pub struct DocSpec {
    /// Symbolic id (`Document01`) or `urn:uuid:`.
    pub id: String,
    pub unique_id: String,
    pub mime_type: String,
    pub title: String,
    pub class_code: CodeSpec,
    pub type_code: CodeSpec,
    pub format_code: CodeSpec,
    pub confidentiality: Vec<CodeSpec>,
    pub event_codes: Vec<CodeSpec>,
    pub healthcare_facility_type: CodeSpec,
    pub practice_setting: CodeSpec,
    pub creation_time: String,
    pub service_start: Option<String>,
    pub service_stop: Option<String>,
    pub author_person: String,
    /// XON of the authoring organisation; the hub checks it names the submitter.
    pub author_institution: String,
    pub source_patient_id: String,
    pub content: Vec<u8>,
    /// Put hash/size/repositoryUniqueId in the metadata (ITI-42 needs them).
    pub registry_fields: Option<String>,
    /// Override the hash slot (to test mismatch handling).
    pub hash_override: Option<String>,
    pub size_override: Option<String>,
}

impl DocSpec {
    /// A referral letter with fresh unique ids.
    pub fn referral(id: &str, facility_oid: &str, content: &[u8]) -> DocSpec {
        DocSpec {
            id: id.into(),
            unique_id: new_oid(),
            mime_type: "text/plain".into(),
            title: "診療情報提供書".into(),
            class_code: code("57133-1", LOINC, "Referral note"),
            type_code: code("57133-1", LOINC, "Referral note"),
            format_code: code(
                "urn:ihe:iti:xds:2017:mimeTypeSufficient",
                IHE_FORMAT,
                "mimeType Sufficient",
            ),
            confidentiality: vec![code("N", CONFIDENTIALITY, "normal")],
            event_codes: Vec::new(),
            healthcare_facility_type: code("clinic", REGION_CODES, "診療所"),
            practice_setting: code("01", REGION_CODES, "内科"),
            creation_time: "20261120093000".into(),
            service_start: Some("20261120090000".into()),
            service_stop: Some("20261120093000".into()),
            author_person: "^山田^太郎^^^^^^&1.2.392.200119.4.9999&ISO".into(),
            author_institution: format!("Demo Clinic^^^^^^^^^{facility_oid}"),
            source_patient_id: format!("L-{}^^^&{facility_oid}&ISO", &new_oid()[..12]),
            content: content.to_vec(),
            registry_fields: None,
            hash_override: None,
            size_override: None,
        }
    }

    pub fn sha1_hex(&self) -> String {
        hex::encode(Sha1::digest(&self.content))
    }
}

/// An OID under the UUID arc, unique per call.
pub fn new_oid() -> String {
    format!("2.25.{}", uuid::Uuid::new_v4().as_u128())
}

/// A whole submission: SubmissionSet, documents, and optional extra XML.
#[derive(Debug, Clone)]
pub struct Submission {
    pub patient_id: String,
    pub source_id: String,
    pub ss_id: String,
    pub ss_unique_id: String,
    pub documents: Vec<DocSpec>,
    /// Extra RegistryObjectList members (folders, relationship associations).
    pub extra: String,
}

impl Submission {
    pub fn new(patient_id: &str, source_id: &str) -> Submission {
        Submission {
            patient_id: patient_id.into(),
            source_id: source_id.into(),
            ss_id: "SubmissionSet01".into(),
            ss_unique_id: new_oid(),
            documents: Vec::new(),
            extra: String::new(),
        }
    }

    pub fn with(mut self, doc: DocSpec) -> Submission {
        self.documents.push(doc);
        self
    }

    /// `lcm:SubmitObjectsRequest` (ITI-42 / metadata of ITI-41).
    pub fn submit_objects_xml(&self) -> String {
        let mut x = String::from(
            r#"<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><rim:RegistryObjectList>"#,
        );
        for d in &self.documents {
            document_entry(&mut x, d, &self.patient_id);
        }
        self.submission_set(&mut x);
        for (i, d) in self.documents.iter().enumerate() {
            let _ = write!(
                x,
                r#"<rim:Association id="hm{i}" associationType="urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember" sourceObject="{ss}" targetObject="{doc}">{slot}</rim:Association>"#,
                ss = self.ss_id,
                doc = d.id,
                slot = slot("SubmissionSetStatus", &["Original"])
            );
        }
        x.push_str(&self.extra);
        x.push_str("</rim:RegistryObjectList></lcm:SubmitObjectsRequest>");
        x
    }

    /// `xds:ProvideAndRegisterDocumentSetRequest` with documents as XOP
    /// includes (`mtom = true`, attachments returned) or inline base64.
    pub fn provide_and_register_xml(&self, mtom: bool) -> (String, Vec<(String, String, Vec<u8>)>) {
        let sor = self.submit_objects_xml();
        let mut x = String::from(
            r#"<xds:ProvideAndRegisterDocumentSetRequest xmlns:xds="urn:ihe:iti:xds-b:2007">"#,
        );
        x.push_str(&sor);
        let mut attachments = Vec::new();
        for d in &self.documents {
            if mtom {
                let cid = format!("{}.{}@renkei.test", d.id, uuid::Uuid::new_v4().simple());
                let _ = write!(
                    x,
                    r#"<xds:Document id="{}"><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:{cid}"/></xds:Document>"#,
                    d.id
                );
                attachments.push((cid, d.mime_type.clone(), d.content.clone()));
            } else {
                let _ = write!(
                    x,
                    r#"<xds:Document id="{}">{}</xds:Document>"#,
                    d.id,
                    base64(&d.content)
                );
            }
        }
        x.push_str("</xds:ProvideAndRegisterDocumentSetRequest>");
        (x, attachments)
    }

    fn submission_set(&self, x: &mut String) {
        let id = &self.ss_id;
        let _ = write!(
            x,
            r#"<rim:RegistryPackage id="{id}" objectType="urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:RegistryPackage">{st}<rim:Name><rim:LocalizedString xml:lang="ja-JP" value="紹介"/></rim:Name>"#,
            st = slot("submissionTime", &["20261120093500"])
        );
        let _ = write!(
            x,
            r#"<rim:Classification id="{id}-author" classificationScheme="urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d" classifiedObject="{id}" nodeRepresentation="">{}{}</rim:Classification>"#,
            slot(
                "authorPerson",
                &["^山田^太郎^^^^^^&1.2.392.200119.4.9999&ISO"]
            ),
            slot(
                "authorInstitution",
                &[&format!("Demo Clinic^^^^^^^^^{}", self.source_id)]
            )
        );
        classification(
            x,
            &format!("{id}-ct"),
            "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500",
            id,
            &code("57133-1", LOINC, "Referral note"),
        );
        external_id(
            x,
            &format!("{id}-uid"),
            "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8",
            id,
            &self.ss_unique_id,
            "XDSSubmissionSet.uniqueId",
        );
        external_id(
            x,
            &format!("{id}-src"),
            "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832",
            id,
            &self.source_id,
            "XDSSubmissionSet.sourceId",
        );
        external_id(
            x,
            &format!("{id}-pid"),
            "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446",
            id,
            &self.patient_id,
            "XDSSubmissionSet.patientId",
        );
        x.push_str("</rim:RegistryPackage>");
        let _ = write!(
            x,
            r#"<rim:Classification id="{id}-node" classifiedObject="{id}" classificationNode="urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"/>"#
        );
    }
}

fn document_entry(x: &mut String, d: &DocSpec, patient_id: &str) {
    let id = &d.id;
    let _ = write!(
        x,
        r#"<rim:ExtrinsicObject id="{id}" mimeType="{}" objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1">"#,
        esc(&d.mime_type)
    );
    x.push_str(&slot("creationTime", &[&d.creation_time]));
    x.push_str(&slot("languageCode", &["ja-JP"]));
    if let Some(repo) = &d.registry_fields {
        x.push_str(&slot(
            "hash",
            &[&d.hash_override.clone().unwrap_or_else(|| d.sha1_hex())],
        ));
        x.push_str(&slot(
            "size",
            &[&d.size_override
                .clone()
                .unwrap_or_else(|| d.content.len().to_string())],
        ));
        x.push_str(&slot("repositoryUniqueId", &[repo]));
    } else {
        if let Some(h) = &d.hash_override {
            x.push_str(&slot("hash", &[h]));
        }
        if let Some(s) = &d.size_override {
            x.push_str(&slot("size", &[s]));
        }
    }
    if let Some(t) = &d.service_start {
        x.push_str(&slot("serviceStartTime", &[t]));
    }
    if let Some(t) = &d.service_stop {
        x.push_str(&slot("serviceStopTime", &[t]));
    }
    x.push_str(&slot("sourcePatientId", &[&d.source_patient_id]));
    x.push_str(&slot(
        "sourcePatientInfo",
        &[
            &format!("PID-3|{}", d.source_patient_id),
            "PID-5|山田^花子^^^",
            "PID-7|19560527",
            "PID-8|F",
        ],
    ));
    let _ = write!(
        x,
        r#"<rim:Name><rim:LocalizedString xml:lang="ja-JP" value="{}"/></rim:Name>"#,
        esc(&d.title)
    );
    let _ = write!(
        x,
        r#"<rim:Classification id="{id}-author" classificationScheme="urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d" classifiedObject="{id}" nodeRepresentation="">{}{}</rim:Classification>"#,
        slot("authorPerson", &[&d.author_person]),
        slot("authorInstitution", &[&d.author_institution])
    );
    classification(
        x,
        &format!("{id}-class"),
        "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a",
        id,
        &d.class_code,
    );
    for (i, c) in d.confidentiality.iter().enumerate() {
        classification(
            x,
            &format!("{id}-conf{i}"),
            "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f",
            id,
            c,
        );
    }
    for (i, c) in d.event_codes.iter().enumerate() {
        classification(
            x,
            &format!("{id}-event{i}"),
            "urn:uuid:2c6b8cb7-8b2a-4051-b291-b1ae6a575ef4",
            id,
            c,
        );
    }
    classification(
        x,
        &format!("{id}-format"),
        "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d",
        id,
        &d.format_code,
    );
    classification(
        x,
        &format!("{id}-hcft"),
        "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1",
        id,
        &d.healthcare_facility_type,
    );
    classification(
        x,
        &format!("{id}-ps"),
        "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead",
        id,
        &d.practice_setting,
    );
    classification(
        x,
        &format!("{id}-type"),
        "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983",
        id,
        &d.type_code,
    );
    external_id(
        x,
        &format!("{id}-pid"),
        "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427",
        id,
        patient_id,
        "XDSDocumentEntry.patientId",
    );
    external_id(
        x,
        &format!("{id}-uid"),
        "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab",
        id,
        &d.unique_id,
        "XDSDocumentEntry.uniqueId",
    );
    x.push_str("</rim:ExtrinsicObject>");
}

pub fn slot(name: &str, values: &[&str]) -> String {
    let mut s = format!(r#"<rim:Slot name="{}"><rim:ValueList>"#, esc(name));
    for v in values {
        let _ = write!(s, "<rim:Value>{}</rim:Value>", esc(v));
    }
    s.push_str("</rim:ValueList></rim:Slot>");
    s
}

fn classification(x: &mut String, id: &str, scheme: &str, object: &str, c: &CodeSpec) {
    let _ = write!(
        x,
        r#"<rim:Classification id="{id}" classificationScheme="{scheme}" classifiedObject="{object}" nodeRepresentation="{}">{}<rim:Name><rim:LocalizedString value="{}"/></rim:Name></rim:Classification>"#,
        esc(&c.code),
        slot("codingScheme", &[&c.scheme]),
        esc(&c.display)
    );
}

fn external_id(x: &mut String, id: &str, scheme: &str, object: &str, value: &str, name: &str) {
    let _ = write!(
        x,
        r#"<rim:ExternalIdentifier id="{id}" identificationScheme="{scheme}" registryObject="{object}" value="{}"><rim:Name><rim:LocalizedString value="{name}"/></rim:Name></rim:ExternalIdentifier>"#,
        esc(value)
    );
}

/// XML attribute/text escaping.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c => o.push(c),
        }
    }
    o
}

fn base64(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// A FindDocuments stored query for a patient, approved entries only.
pub fn find_documents(patient_id: &str, return_type: &str) -> String {
    format!(
        r#"<query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><query:ResponseOption returnType="{return_type}" returnComposedObjects="true"/><rim:AdhocQuery id="urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d">{}{}</rim:AdhocQuery></query:AdhocQueryRequest>"#,
        slot("$XDSDocumentEntryPatientId", &[&format!("'{patient_id}'")]),
        slot(
            "$XDSDocumentEntryStatus",
            &["('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')"]
        )
    )
}

/// A stored query with arbitrary parameters `(name, raw value)`.
pub fn stored_query(query_id: &str, return_type: &str, params: &[(&str, &str)]) -> String {
    let mut s = format!(
        r#"<query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><query:ResponseOption returnType="{return_type}" returnComposedObjects="true"/><rim:AdhocQuery id="{query_id}">"#
    );
    for (n, v) in params {
        s.push_str(&slot(n, &[v]));
    }
    s.push_str("</rim:AdhocQuery></query:AdhocQueryRequest>");
    s
}

/// An ITI-43 request for documents of one repository.
pub fn retrieve(repository_unique_id: &str, unique_ids: &[&str]) -> String {
    let mut s =
        String::from(r#"<xds:RetrieveDocumentSetRequest xmlns:xds="urn:ihe:iti:xds-b:2007">"#);
    for u in unique_ids {
        let _ = write!(
            s,
            "<xds:DocumentRequest><xds:RepositoryUniqueId>{}</xds:RepositoryUniqueId><xds:DocumentUniqueId>{}</xds:DocumentUniqueId></xds:DocumentRequest>",
            esc(repository_unique_id),
            esc(u)
        );
    }
    s.push_str("</xds:RetrieveDocumentSetRequest>");
    s
}
