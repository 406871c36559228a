//! IHE / ebRIM identifiers (ITI TF-3 4.2.5, IHE-REFERENCE.md §3.1).

// Namespaces.
pub const NS_RIM: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0";
pub const NS_RS: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0";
pub const NS_LCM: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0";
pub const NS_QUERY: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0";
pub const NS_XDS: &str = "urn:ihe:iti:xds-b:2007";
pub const NS_RMD: &str = "urn:ihe:iti:rmd:2017";
pub const NS_XOP: &str = "http://www.w3.org/2004/08/xop/include";
pub const NS_XML: &str = "http://www.w3.org/XML/1998/namespace";

// Object types.
pub const OBJ_DOCUMENT_ENTRY_STABLE: &str = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1";
pub const OBJ_DOCUMENT_ENTRY_ON_DEMAND: &str = "urn:uuid:34268e47-fdf5-41a6-ba33-82133c465248";
pub const OBJ_REGISTRY_PACKAGE: &str =
    "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:RegistryPackage";
pub const OBJ_CLASSIFICATION: &str =
    "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Classification";
pub const OBJ_EXTERNAL_IDENTIFIER: &str =
    "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:ExternalIdentifier";
pub const OBJ_ASSOCIATION: &str =
    "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Association";

// Status.
pub const STATUS_APPROVED: &str = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved";
pub const STATUS_DEPRECATED: &str = "urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated";
pub const STATUS_SUBMITTED: &str = "urn:oasis:names:tc:ebxml-regrep:StatusType:Submitted";

// Response status.
pub const RESPONSE_SUCCESS: &str = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success";
pub const RESPONSE_FAILURE: &str = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure";
pub const RESPONSE_PARTIAL_SUCCESS: &str = "urn:ihe:iti:2007:ResponseStatusType:PartialSuccess";
pub const SEVERITY_ERROR: &str = "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error";
pub const SEVERITY_WARNING: &str = "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Warning";

// DocumentEntry.
pub const DE_AUTHOR: &str = "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d";
pub const DE_CLASS_CODE: &str = "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a";
pub const DE_CONFIDENTIALITY_CODE: &str = "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f";
pub const DE_EVENT_CODE: &str = "urn:uuid:2c6b8cb7-8b2a-4051-b291-b1ae6a575ef4";
pub const DE_FORMAT_CODE: &str = "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d";
pub const DE_HEALTHCARE_FACILITY_TYPE_CODE: &str = "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1";
pub const DE_PRACTICE_SETTING_CODE: &str = "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead";
pub const DE_TYPE_CODE: &str = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983";
pub const DE_PATIENT_ID: &str = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427";
pub const DE_UNIQUE_ID: &str = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab";
pub const DE_LIMITED_METADATA: &str = "urn:uuid:ab9b591b-83ab-4d03-8f5d-f93b1fb92e85";

// SubmissionSet.
pub const SS_NODE: &str = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd";
pub const SS_AUTHOR: &str = "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d";
pub const SS_CONTENT_TYPE_CODE: &str = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500";
pub const SS_PATIENT_ID: &str = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446";
pub const SS_SOURCE_ID: &str = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832";
pub const SS_UNIQUE_ID: &str = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8";
pub const SS_LIMITED_METADATA: &str = "urn:uuid:5003a9db-8d8d-49e6-bf0c-990e34ac7707";

// Folder.
pub const FD_NODE: &str = "urn:uuid:d9d542f3-6cc4-48b6-8870-ea235fbc94c2";
pub const FD_CODE_LIST: &str = "urn:uuid:1ba97051-7806-41a8-a48b-8fce7af683c5";
pub const FD_PATIENT_ID: &str = "urn:uuid:f64ffdf0-4b97-4e06-b79f-a52b38ec2f8a";
pub const FD_UNIQUE_ID: &str = "urn:uuid:75df8f67-9973-4fbe-a900-df66cefecc5a";
pub const FD_LIMITED_METADATA: &str = "urn:uuid:2c144a76-29a9-4b7c-af54-b25409fe7d03";

/// Classification node that documents the reason of a lifecycle association.
pub const ASSOCIATION_DOCUMENTATION: &str = "urn:uuid:abd807a3-4432-4053-87b4-fd82c643d1f3";

// Association types.
pub const ASSOC_HAS_MEMBER: &str = "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember";
pub const ASSOC_RPLC: &str = "urn:ihe:iti:2007:AssociationType:RPLC";
pub const ASSOC_APND: &str = "urn:ihe:iti:2007:AssociationType:APND";
pub const ASSOC_XFRM: &str = "urn:ihe:iti:2007:AssociationType:XFRM";
pub const ASSOC_XFRM_RPLC: &str = "urn:ihe:iti:2007:AssociationType:XFRM_RPLC";
pub const ASSOC_SIGNS: &str = "urn:ihe:iti:2007:AssociationType:signs";
pub const ASSOC_IS_SNAPSHOT_OF: &str = "urn:ihe:iti:2010:AssociationType:IsSnapshotOf";
pub const ASSOC_UPDATE_AVAILABILITY_STATUS: &str =
    "urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus";
pub const ASSOC_SUBMIT_ASSOCIATION: &str = "urn:ihe:iti:2010:AssociationType:SubmitAssociation";

// Stored query ids.
pub const SQ_FIND_DOCUMENTS: &str = "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d";
pub const SQ_FIND_DOCUMENTS_BY_REFERENCE_ID: &str = "urn:uuid:12941a89-e02e-4be5-967c-ce4bfc8fe492";
pub const SQ_FIND_SUBMISSION_SETS: &str = "urn:uuid:f26abbcb-ac74-4422-8a30-edb644bbc1a9";
pub const SQ_FIND_FOLDERS: &str = "urn:uuid:958f3006-baad-4929-a4de-ff1114824431";
pub const SQ_GET_ALL: &str = "urn:uuid:10b545ea-725c-446d-9b95-8aeb444eddf3";
pub const SQ_GET_DOCUMENTS: &str = "urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4";
pub const SQ_GET_FOLDERS: &str = "urn:uuid:5737b14c-8a1a-4539-b659-e03a34a5e1e4";
pub const SQ_GET_ASSOCIATIONS: &str = "urn:uuid:a7ae438b-4bc2-4642-93e9-be891f7bb155";
pub const SQ_GET_DOCUMENTS_AND_ASSOCIATIONS: &str = "urn:uuid:bab9529a-4a10-40b3-a01f-f68a615d247a";
pub const SQ_GET_SUBMISSION_SETS: &str = "urn:uuid:51224314-5390-4169-9b91-b1980040715a";
pub const SQ_GET_SUBMISSION_SET_AND_CONTENTS: &str =
    "urn:uuid:e8e3cb2c-e39c-46b9-99e4-c12f57260b83";
pub const SQ_GET_FOLDER_AND_CONTENTS: &str = "urn:uuid:b909a503-523d-4517-8acf-8e5834dfc4c7";
pub const SQ_GET_FOLDERS_FOR_DOCUMENT: &str = "urn:uuid:10cae35a-c7f9-4cf5-b61e-fc3278ffb578";
pub const SQ_GET_RELATED_DOCUMENTS: &str = "urn:uuid:d90e5407-b356-4d91-a89f-873917b4b0e6";

/// The slot the Reference ID option queries.
pub const SLOT_REFERENCE_ID_LIST: &str = "urn:ihe:iti:xds:2013:referenceIdList";
