use conformance::TestHub;
use conformance::client::SoapReply;
use conformance::fixtures;
use conformance::xsd::{self, Schema};
use ebrim::parse::{AdhocQueryResponse, RegistryResponse};

pub const PNR: &str = "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b";
pub const REGISTER: &str = "urn:ihe:iti:2007:RegisterDocumentSet-b";
pub const QUERY: &str = "urn:ihe:iti:2007:RegistryStoredQuery";
pub const RETRIEVE: &str = "urn:ihe:iti:2007:RetrieveDocumentSet";

/// Parses a RegistryResponse reply and checks it against rs.xsd.
pub fn registry_response(reply: &SoapReply) -> RegistryResponse {
    assert_eq!(reply.status, 200, "HTTP status; body: {}", reply.text());
    let env = String::from_utf8(reply.envelope().unwrap().to_vec()).unwrap();
    xsd::validate(&xsd::body_element(&env).unwrap(), Schema::RegistryResponse).unwrap();
    ebrim::parse::registry_response(env.as_bytes()).unwrap()
}

/// Parses an AdhocQueryResponse reply and checks it against query.xsd.
pub fn query_response(reply: &SoapReply) -> AdhocQueryResponse {
    assert_eq!(reply.status, 200, "HTTP status; body: {}", reply.text());
    let env = String::from_utf8(reply.envelope().unwrap().to_vec()).unwrap();
    xsd::validate(
        &xsd::body_element(&env).unwrap(),
        Schema::AdhocQueryResponse,
    )
    .unwrap();
    ebrim::parse::adhoc_query_response(env.as_bytes()).unwrap()
}

pub fn codes(errors: &[ebrim::parse::ResponseError]) -> Vec<String> {
    errors.iter().map(|e| e.code.clone()).collect()
}

/// How many Approved DocumentEntries the registry holds for `pid`, asked as
/// a client would (FindDocuments, ObjectRef, the hub's own certificate).
pub async fn stored_entry_count(hub: &TestHub, pid: &str) -> usize {
    let reply = hub
        .client()
        .unwrap()
        .soap(
            "/xds/registry",
            QUERY,
            &fixtures::find_documents(pid, "ObjectRef"),
        )
        .await
        .unwrap();
    query_response(&reply).object_refs.len()
}
