//! Whole message bodies (the element that goes inside `soap:Body`), each
//! declaring the namespaces it uses on its root element.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::escape::{attr, opt_attr, text_element, xop_include};
use super::rim::{object_ref_parts, registry_object, slot};
use crate::error::{RegistryError, ResponseStatus, Severity};
use crate::model::RegistryObject;
use crate::model::{
    AdhocQueryRequest, DocumentContent, DocumentRequest, ProvideAndRegisterRequest,
    RemoveObjectsRequest, RetrieveDocumentSetRequest, ReturnType, SubmitObjectsRequest,
};
use crate::vocab;

/// The result part of an AdhocQueryResponse.
#[derive(Debug, Clone, Copy)]
pub enum QueryResult<'a> {
    /// `returnType="LeafClass"`: whole objects.
    LeafClass(&'a [RegistryObject]),
    /// `returnType="ObjectRef"`: ids only.
    ObjectRefs(&'a [String]),
}

/// One `xds:DocumentResponse` of an ITI-43 answer; the bytes travel in the
/// MIME part named by `content_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentResponseHeader {
    pub home_community_id: Option<String>,
    pub repository_unique_id: String,
    pub document_unique_id: String,
    pub mime_type: String,
    /// Content-ID of the MIME part, without angle brackets or `cid:`.
    pub content_id: String,
}

fn xmlns(out: &mut String, prefix: &str, uri: &str) {
    out.push_str(" xmlns:");
    out.push_str(prefix);
    out.push_str("=\"");
    out.push_str(uri);
    out.push('"');
}

fn severity_urn(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => vocab::SEVERITY_ERROR,
        Severity::Warning => vocab::SEVERITY_WARNING,
    }
}

/// `rs:RegistryErrorList` when there are errors; nothing otherwise.
fn error_list(out: &mut String, errors: &[RegistryError]) {
    if errors.is_empty() {
        return;
    }
    let highest = if errors.iter().any(|e| e.severity == Severity::Error) {
        Severity::Error
    } else {
        Severity::Warning
    };
    out.push_str("<rs:RegistryErrorList");
    attr(out, "highestSeverity", severity_urn(highest));
    out.push('>');
    for e in errors {
        out.push_str("<rs:RegistryError");
        attr(out, "errorCode", e.code.as_str());
        attr(out, "codeContext", &e.context);
        attr(out, "severity", severity_urn(e.severity));
        opt_attr(out, "location", e.location.as_deref());
        out.push_str("/>");
    }
    out.push_str("</rs:RegistryErrorList>");
}

/// `rs:RegistryResponse` with `rs:` already declared by the caller or not.
fn registry_response_into(
    out: &mut String,
    status: ResponseStatus,
    errors: &[RegistryError],
    declare: bool,
) {
    out.push_str("<rs:RegistryResponse");
    if declare {
        xmlns(out, "rs", vocab::NS_RS);
    }
    attr(out, "status", status.as_str());
    if errors.is_empty() {
        out.push_str("/>");
        return;
    }
    out.push('>');
    error_list(out, errors);
    out.push_str("</rs:RegistryResponse>");
}

/// `rs:RegistryResponse` (ITI-41/42/57/62/86 answer).
pub fn registry_response(status: ResponseStatus, errors: &[RegistryError]) -> String {
    let mut out = String::with_capacity(256 + errors.len() * 256);
    registry_response_into(&mut out, status, errors, true);
    out
}

/// `query:AdhocQueryResponse` (ITI-18 answer). The RegistryObjectList is
/// always present, empty on failure.
pub fn adhoc_query_response(
    status: ResponseStatus,
    errors: &[RegistryError],
    result: &QueryResult<'_>,
) -> String {
    let size = match result {
        QueryResult::LeafClass(objects) => objects.len() * 4096,
        QueryResult::ObjectRefs(ids) => ids.len() * 80,
    };
    let mut out = String::with_capacity(512 + size + errors.len() * 256);
    out.push_str("<query:AdhocQueryResponse");
    xmlns(&mut out, "query", vocab::NS_QUERY);
    xmlns(&mut out, "rs", vocab::NS_RS);
    xmlns(&mut out, "rim", vocab::NS_RIM);
    attr(&mut out, "status", status.as_str());
    out.push('>');
    error_list(&mut out, errors);
    let empty = match result {
        QueryResult::LeafClass(objects) => objects.is_empty(),
        QueryResult::ObjectRefs(ids) => ids.is_empty(),
    };
    if empty {
        out.push_str("<rim:RegistryObjectList/>");
    } else {
        out.push_str("<rim:RegistryObjectList>");
        match result {
            QueryResult::LeafClass(objects) => {
                for object in *objects {
                    registry_object(&mut out, object);
                }
            }
            QueryResult::ObjectRefs(ids) => {
                for id in *ids {
                    object_ref_parts(&mut out, id, None);
                }
            }
        }
        out.push_str("</rim:RegistryObjectList>");
    }
    out.push_str("</query:AdhocQueryResponse>");
    out
}

/// `xds:RetrieveDocumentSetResponse` (ITI-43 answer) with one
/// `xop:Include` per document.
pub fn retrieve_document_set_response(
    status: ResponseStatus,
    errors: &[RegistryError],
    docs: &[DocumentResponseHeader],
) -> String {
    let mut out = String::with_capacity(512 + docs.len() * 512 + errors.len() * 256);
    out.push_str("<xds:RetrieveDocumentSetResponse");
    xmlns(&mut out, "xds", vocab::NS_XDS);
    xmlns(&mut out, "rs", vocab::NS_RS);
    xmlns(&mut out, "xop", vocab::NS_XOP);
    out.push('>');
    registry_response_into(&mut out, status, errors, false);
    for doc in docs {
        out.push_str("<xds:DocumentResponse>");
        if let Some(home) = &doc.home_community_id {
            text_element(&mut out, "xds:HomeCommunityId", home);
        }
        text_element(
            &mut out,
            "xds:RepositoryUniqueId",
            &doc.repository_unique_id,
        );
        text_element(&mut out, "xds:DocumentUniqueId", &doc.document_unique_id);
        text_element(&mut out, "xds:mimeType", &doc.mime_type);
        out.push_str("<xds:Document>");
        xop_include(&mut out, &doc.content_id);
        out.push_str("</xds:Document></xds:DocumentResponse>");
    }
    out.push_str("</xds:RetrieveDocumentSetResponse>");
    out
}

fn submit_objects_into(out: &mut String, req: &SubmitObjectsRequest, declare: bool) {
    out.push_str("<lcm:SubmitObjectsRequest");
    if declare {
        xmlns(out, "lcm", vocab::NS_LCM);
        xmlns(out, "rim", vocab::NS_RIM);
    }
    if req.objects.is_empty() {
        out.push_str("><rim:RegistryObjectList/></lcm:SubmitObjectsRequest>");
        return;
    }
    out.push_str("><rim:RegistryObjectList>");
    for object in &req.objects {
        registry_object(out, object);
    }
    out.push_str("</rim:RegistryObjectList></lcm:SubmitObjectsRequest>");
}

/// `lcm:SubmitObjectsRequest` (ITI-42, ITI-57).
pub fn submit_objects_request(req: &SubmitObjectsRequest) -> String {
    let mut out = String::with_capacity(512 + req.objects.len() * 4096);
    submit_objects_into(&mut out, req, true);
    out
}

/// `xds:ProvideAndRegisterDocumentSetRequest` (ITI-41): inline documents as
/// base64, XOP ones as `xop:Include`.
pub fn provide_and_register_request(req: &ProvideAndRegisterRequest) -> String {
    let inline: usize = req
        .documents
        .iter()
        .map(|d| match &d.content {
            DocumentContent::Inline(bytes) => bytes.len() / 3 * 4 + 4,
            DocumentContent::XopInclude(_) => 128,
        })
        .sum();
    let mut out = String::with_capacity(1024 + req.submission.objects.len() * 4096 + inline);
    out.push_str("<xds:ProvideAndRegisterDocumentSetRequest");
    xmlns(&mut out, "xds", vocab::NS_XDS);
    xmlns(&mut out, "lcm", vocab::NS_LCM);
    xmlns(&mut out, "rim", vocab::NS_RIM);
    xmlns(&mut out, "xop", vocab::NS_XOP);
    out.push('>');
    submit_objects_into(&mut out, &req.submission, false);
    for doc in &req.documents {
        out.push_str("<xds:Document");
        attr(&mut out, "id", &doc.id);
        out.push('>');
        match &doc.content {
            DocumentContent::Inline(bytes) => STANDARD.encode_string(bytes, &mut out),
            DocumentContent::XopInclude(cid) => xop_include(&mut out, cid),
        }
        out.push_str("</xds:Document>");
    }
    out.push_str("</xds:ProvideAndRegisterDocumentSetRequest>");
    out
}

/// `query:AdhocQueryRequest` (ITI-18).
pub fn adhoc_query_request(req: &AdhocQueryRequest) -> String {
    let mut out = String::with_capacity(512 + req.parameters.len() * 256);
    out.push_str("<query:AdhocQueryRequest");
    xmlns(&mut out, "query", vocab::NS_QUERY);
    xmlns(&mut out, "rim", vocab::NS_RIM);
    out.push_str("><query:ResponseOption");
    let return_type = match req.return_type {
        ReturnType::LeafClass => "LeafClass",
        ReturnType::ObjectRef => "ObjectRef",
    };
    attr(&mut out, "returnType", return_type);
    attr(
        &mut out,
        "returnComposedObjects",
        if req.return_composed_objects {
            "true"
        } else {
            "false"
        },
    );
    out.push_str("/><rim:AdhocQuery");
    attr(&mut out, "id", &req.query_id);
    opt_attr(&mut out, "home", req.home.as_deref());
    if req.parameters.is_empty() {
        out.push_str("/>");
    } else {
        out.push('>');
        for parameter in &req.parameters {
            slot(&mut out, parameter);
        }
        out.push_str("</rim:AdhocQuery>");
    }
    out.push_str("</query:AdhocQueryRequest>");
    out
}

fn document_requests(out: &mut String, requests: &[DocumentRequest]) {
    for r in requests {
        out.push_str("<xds:DocumentRequest>");
        if let Some(home) = &r.home_community_id {
            text_element(out, "xds:HomeCommunityId", home);
        }
        text_element(out, "xds:RepositoryUniqueId", &r.repository_unique_id);
        text_element(out, "xds:DocumentUniqueId", &r.document_unique_id);
        out.push_str("</xds:DocumentRequest>");
    }
}

/// `xds:RetrieveDocumentSetRequest` (ITI-43).
pub fn retrieve_document_set_request(req: &RetrieveDocumentSetRequest) -> String {
    let mut out = String::with_capacity(256 + req.requests.len() * 256);
    out.push_str("<xds:RetrieveDocumentSetRequest");
    xmlns(&mut out, "xds", vocab::NS_XDS);
    out.push('>');
    document_requests(&mut out, &req.requests);
    out.push_str("</xds:RetrieveDocumentSetRequest>");
    out
}

/// `rmd:RemoveDocumentsRequest` (ITI-86).
pub fn remove_documents_request(req: &RetrieveDocumentSetRequest) -> String {
    let mut out = String::with_capacity(256 + req.requests.len() * 256);
    out.push_str("<rmd:RemoveDocumentsRequest");
    xmlns(&mut out, "rmd", vocab::NS_RMD);
    xmlns(&mut out, "xds", vocab::NS_XDS);
    out.push('>');
    document_requests(&mut out, &req.requests);
    out.push_str("</rmd:RemoveDocumentsRequest>");
    out
}

/// `lcm:RemoveObjectsRequest` (ITI-62).
pub fn remove_objects_request(req: &RemoveObjectsRequest) -> String {
    let mut out = String::with_capacity(256 + req.object_ids.len() * 80);
    out.push_str("<lcm:RemoveObjectsRequest");
    xmlns(&mut out, "lcm", vocab::NS_LCM);
    xmlns(&mut out, "rim", vocab::NS_RIM);
    if req.object_ids.is_empty() {
        out.push_str("><rim:ObjectRefList/></lcm:RemoveObjectsRequest>");
        return out;
    }
    out.push_str("><rim:ObjectRefList>");
    for id in &req.object_ids {
        object_ref_parts(&mut out, id, None);
    }
    out.push_str("</rim:ObjectRefList></lcm:RemoveObjectsRequest>");
    out
}
