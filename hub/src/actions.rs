//! WS-Addressing actions this hub answers (IHE-REFERENCE.md §1).

pub const ITI41: &str = "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b";
pub const ITI41_RESPONSE: &str = "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse";
pub const ITI42: &str = "urn:ihe:iti:2007:RegisterDocumentSet-b";
pub const ITI42_RESPONSE: &str = "urn:ihe:iti:2007:RegisterDocumentSet-bResponse";
pub const ITI18: &str = "urn:ihe:iti:2007:RegistryStoredQuery";
pub const ITI18_RESPONSE: &str = "urn:ihe:iti:2007:RegistryStoredQueryResponse";
pub const ITI43: &str = "urn:ihe:iti:2007:RetrieveDocumentSet";
pub const ITI43_RESPONSE: &str = "urn:ihe:iti:2007:RetrieveDocumentSetResponse";
pub const ITI44_ADD: &str = "urn:hl7-org:v3:PRPA_IN201301UV02";
pub const ITI44_REVISE: &str = "urn:hl7-org:v3:PRPA_IN201302UV02";
pub const ITI44_MERGE: &str = "urn:hl7-org:v3:PRPA_IN201304UV02";
pub const ITI44_RESPONSE: &str = "urn:hl7-org:v3:MCCI_IN000002UV01";
pub const ITI45: &str = "urn:hl7-org:v3:PRPA_IN201309UV02";
pub const ITI45_RESPONSE: &str = "urn:hl7-org:v3:PRPA_IN201310UV02";
