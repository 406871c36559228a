//! Writer for schema-valid ebRS 3.0 / XDS.b message bodies.
//!
//! Output is the body element only (no XML declaration, no SOAP envelope),
//! UTF-8, without insignificant whitespace. Values are escaped so that
//! [`crate::parse`] reads back exactly the model that was written.

mod escape;
mod messages;
mod rim;

#[cfg(test)]
mod tests;

pub use messages::{
    DocumentResponseHeader, QueryResult, adhoc_query_request, adhoc_query_response,
    provide_and_register_request, registry_response, remove_documents_request,
    remove_objects_request, retrieve_document_set_request, retrieve_document_set_response,
    submit_objects_request,
};
pub use rim::{
    association, classification, external_identifier, extrinsic_object, object_ref,
    registry_object, registry_package, slot,
};
