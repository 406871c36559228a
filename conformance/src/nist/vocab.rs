//! Namespaces and XDS identifiers the toolkit emulation needs (IHE-REFERENCE.md §0, §3.1).

pub const RS21: &str = "urn:oasis:names:tc:ebxml-regrep:registry:xsd:2.1";
pub const RIM21: &str = "urn:oasis:names:tc:ebxml-regrep:rim:xsd:2.1";
pub const LCM: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0";
pub const RIM: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0";
pub const RS: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0";
pub const QUERY: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0";
pub const XDS_B: &str = "urn:ihe:iti:xds-b:2007";
pub const XOP: &str = "http://www.w3.org/2004/08/xop/include";

pub const ACTION_PNR: &str = "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b";
pub const ACTION_REGISTER: &str = "urn:ihe:iti:2007:RegisterDocumentSet-b";
pub const ACTION_QUERY: &str = "urn:ihe:iti:2007:RegistryStoredQuery";
pub const ACTION_RETRIEVE: &str = "urn:ihe:iti:2007:RetrieveDocumentSet";

pub const DE_PATIENT_ID: &str = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427";
pub const DE_UNIQUE_ID: &str = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab";
pub const SS_PATIENT_ID: &str = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446";
pub const SS_UNIQUE_ID: &str = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8";
pub const FD_PATIENT_ID: &str = "urn:uuid:f64ffdf0-4b97-4e06-b79f-a52b38ec2f8a";
pub const FD_UNIQUE_ID: &str = "urn:uuid:75df8f67-9973-4fbe-a900-df66cefecc5a";
pub const SS_NODE: &str = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd";
pub const FD_NODE: &str = "urn:uuid:d9d542f3-6cc4-48b6-8870-ea235fbc94c2";

pub const STATUS_APPROVED: &str = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved";
pub const STATUS_DEPRECATED: &str = "urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated";
pub const HAS_MEMBER: &str = "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember";
pub const XFRM_RPLC: &str = "urn:ihe:iti:2007:AssociationType:XFRM_RPLC";

pub const RESPONSE_SUCCESS: &str = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success";
pub const RESPONSE_FAILURE: &str = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure";
pub const RESPONSE_PARTIAL: &str = "urn:ihe:iti:2007:ResponseStatusType:PartialSuccess";

/// UUIDs of the XDS classification schemes, nodes and object types that
/// 2.1 submissions list as leading `ObjectRef`s.
const STANDARD_UUIDS: &[&str] = &[
    "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d",
    "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a",
    "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f",
    "urn:uuid:2c6b8cb7-8b2a-4051-b291-b1ae6a575ef4",
    "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d",
    "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1",
    "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead",
    "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983",
    DE_PATIENT_ID,
    DE_UNIQUE_ID,
    SS_NODE,
    "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d",
    "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500",
    SS_PATIENT_ID,
    "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832",
    SS_UNIQUE_ID,
    FD_NODE,
    "urn:uuid:1ba97051-7806-41a8-a48b-8fce7af683c5",
    FD_PATIENT_ID,
    FD_UNIQUE_ID,
    "urn:uuid:abd807a3-4432-4053-87b4-fd82c643d1f3",
    "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1",
    "urn:uuid:34268e47-fdf5-41a6-ba33-82133c465248",
    // Misspelt DocumentEntry objectType that the 2.1 files carry as an ObjectRef.
    "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b518fff",
];

pub fn is_standard_uuid(id: &str) -> bool {
    STANDARD_UUIDS.iter().any(|u| u.eq_ignore_ascii_case(id))
}

/// `HasMember` -> `urn:oasis:...:HasMember`, `RPLC` -> `urn:ihe:iti:2007:...:RPLC`.
pub fn association_type_urn(short: &str) -> String {
    match short {
        "HasMember" => HAS_MEMBER.to_string(),
        "RPLC" | "APND" | "XFRM" | "XFRM_RPLC" | "signs" => {
            format!("urn:ihe:iti:2007:AssociationType:{short}")
        }
        other => other.to_string(),
    }
}

/// `Approved` -> `urn:oasis:names:tc:ebxml-regrep:StatusType:Approved`.
pub fn status_urn(short: &str) -> String {
    if short.starts_with("urn:") {
        short.to_string()
    } else {
        format!("urn:oasis:names:tc:ebxml-regrep:StatusType:{short}")
    }
}

/// The uniqueId identification schemes (DocumentEntry, SubmissionSet, Folder).
pub fn is_unique_id_scheme(scheme: &str) -> bool {
    [DE_UNIQUE_ID, SS_UNIQUE_ID, FD_UNIQUE_ID]
        .iter()
        .any(|s| s.eq_ignore_ascii_case(scheme))
}

/// The patientId identification schemes (DocumentEntry, SubmissionSet, Folder).
pub fn is_patient_id_scheme(scheme: &str) -> bool {
    [DE_PATIENT_ID, SS_PATIENT_ID, FD_PATIENT_ID]
        .iter()
        .any(|s| s.eq_ignore_ascii_case(scheme))
}
