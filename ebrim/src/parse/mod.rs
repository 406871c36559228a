//! Namespace-checking streaming parser for ebRS 3.0 / XDS.b message bodies.
//!
//! Every function accepts either the body element as document root or a
//! whole SOAP 1.2 `Envelope` (the Header is skipped, the single child of
//! `Body` is parsed). Elements are matched on namespace URI and local name,
//! never on prefix. Unknown attributes are ignored; unknown or misplaced
//! elements are [`ParseError::Invalid`], since the ebRIM schemas allow none.
//! A DOCTYPE, an undefined entity or a limit from [`Limits`] is
//! [`ParseError::Malformed`]. No input makes these functions panic.
//!
//! Attributes typed `anyURI` in rim.xsd (ids, references, UUID-valued
//! attributes) are trimmed, as XML Schema whitespace collapsing does; other
//! values are kept as sent.
//!
//! Not kept because the model has no place for them (all registry-maintained
//! or unused by XDS): `rim:VersionInfo`, `lid`, `status` and `home` of
//! Classifications and ExternalIdentifiers, `rim:ContentVersionInfo`, Slots
//! of a `rim:ObjectRef`, `rs:RequestSlotList`/`rs:ResponseSlotList`.

mod content;
mod cursor;
mod envelope;
mod error;
mod limits;
mod requests;
mod responses;
mod rim;

#[cfg(test)]
pub(crate) mod tests;

pub use error::ParseError;
pub use limits::Limits;
pub use responses::{
    AdhocQueryResponse, RegistryResponse, ResponseError, RetrieveDocumentSetResponse,
    RetrievedDocument,
};

use crate::model::{
    AdhocQueryRequest, ProvideAndRegisterRequest, RemoveObjectsRequest, RetrieveDocumentSetRequest,
    SubmitObjectsRequest,
};
use cursor::Ns;
pub(crate) use cursor::is_xml_char;
use envelope::{expect, parse};

/// `lcm:SubmitObjectsRequest` (ITI-42, ITI-57, ITI-61).
pub fn submit_objects_request(
    xml: &[u8],
    limits: &Limits,
) -> Result<SubmitObjectsRequest, ParseError> {
    parse(xml, limits, |cur, body| {
        expect(body, Ns::Lcm, "lcm:SubmitObjectsRequest")?;
        requests::submit_objects(cur, body)
    })
}

/// `xds:ProvideAndRegisterDocumentSetRequest` (ITI-41). Documents are either
/// XOP references (percent-decoded Content-IDs) or inline base64, decoded.
pub fn provide_and_register_request(
    xml: &[u8],
    limits: &Limits,
) -> Result<ProvideAndRegisterRequest, ParseError> {
    parse(xml, limits, |cur, body| {
        expect(body, Ns::Xds, "xds:ProvideAndRegisterDocumentSetRequest")?;
        let (submission, documents) = requests::provide_and_register(cur)?;
        Ok(ProvideAndRegisterRequest {
            submission,
            documents,
        })
    })
}

/// `query:AdhocQueryRequest` (ITI-18). Slots are returned in document order;
/// their values are decoded by [`crate::query`].
pub fn adhoc_query_request(xml: &[u8], limits: &Limits) -> Result<AdhocQueryRequest, ParseError> {
    parse(xml, limits, |cur, body| {
        expect(body, Ns::Query, "query:AdhocQueryRequest")?;
        requests::adhoc_query(cur)
    })
}

/// `xds:RetrieveDocumentSetRequest` (ITI-43).
pub fn retrieve_document_set_request(
    xml: &[u8],
    limits: &Limits,
) -> Result<RetrieveDocumentSetRequest, ParseError> {
    parse(xml, limits, |cur, body| {
        expect(body, Ns::Xds, "xds:RetrieveDocumentSetRequest")?;
        let requests = requests::document_requests(cur, "xds:RetrieveDocumentSetRequest")?;
        Ok(RetrieveDocumentSetRequest { requests })
    })
}

/// `rmd:RemoveDocumentsRequest` (ITI-86): the same DocumentRequest list as ITI-43.
pub fn remove_documents_request(
    xml: &[u8],
    limits: &Limits,
) -> Result<RetrieveDocumentSetRequest, ParseError> {
    parse(xml, limits, |cur, body| {
        expect(body, Ns::Rmd, "rmd:RemoveDocumentsRequest")?;
        let requests = requests::document_requests(cur, "rmd:RemoveDocumentsRequest")?;
        Ok(RetrieveDocumentSetRequest { requests })
    })
}

/// `lcm:RemoveObjectsRequest` (ITI-62).
pub fn remove_objects_request(
    xml: &[u8],
    limits: &Limits,
) -> Result<RemoveObjectsRequest, ParseError> {
    parse(xml, limits, |cur, body| {
        expect(body, Ns::Lcm, "lcm:RemoveObjectsRequest")?;
        let object_ids = requests::remove_objects(cur)?;
        Ok(RemoveObjectsRequest { object_ids })
    })
}

/// `rs:RegistryResponse` (answer to ITI-41/42/57/62/86), with default limits.
pub fn registry_response(xml: &[u8]) -> Result<RegistryResponse, ParseError> {
    parse(xml, &Limits::default(), |cur, body| {
        expect(body, Ns::Rs, "rs:RegistryResponse")?;
        responses::registry_response(cur, body)
    })
}

/// `query:AdhocQueryResponse` (answer to ITI-18), with default limits.
pub fn adhoc_query_response(xml: &[u8]) -> Result<AdhocQueryResponse, ParseError> {
    parse(xml, &Limits::default(), |cur, body| {
        expect(body, Ns::Query, "query:AdhocQueryResponse")?;
        responses::adhoc_query_response(cur, body)
    })
}

/// `xds:RetrieveDocumentSetResponse` (answer to ITI-43), with default limits.
pub fn retrieve_document_set_response(
    xml: &[u8],
) -> Result<RetrieveDocumentSetResponse, ParseError> {
    parse(xml, &Limits::default(), |cur, body| {
        expect(body, Ns::Xds, "xds:RetrieveDocumentSetResponse")?;
        responses::retrieve_document_set_response(cur)
    })
}
