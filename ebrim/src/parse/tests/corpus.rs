//! The conformance corpus: every XML file of the IHE, IPF, NIST and OpenXDS
//! samples and of the NIST test kit, classified by its body element.

use std::path::{Path, PathBuf};

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::{Namespace, ResolveResult};

use crate::model::RegistryObject;
use crate::vocab;
use crate::write::{self, DocumentResponseHeader, QueryResult};

pub(crate) const CONFORMANCE: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/conformance");

/// Which body a corpus file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    SubmitObjects,
    ProvideAndRegister,
    AdhocQuery,
    Retrieve,
    RemoveObjects,
    RemoveDocuments,
    RegistryResponse,
    AdhocQueryResponse,
    RetrieveResponse,
}

pub(crate) struct Sample {
    pub path: PathBuf,
    pub kind: Kind,
    pub bytes: Vec<u8>,
}

impl Sample {
    /// Path relative to the conformance folder, for messages.
    pub fn name(&self) -> String {
        self.path
            .strip_prefix(CONFORMANCE)
            .unwrap_or(&self.path)
            .display()
            .to_string()
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "xml") {
            out.push(path);
        }
    }
}

/// Namespace URI and local name of the body element (the root, or the
/// first child of a SOAP 1.2 Body), if the file is well-formed that far.
pub(crate) fn body_element(xml: &[u8]) -> Option<(String, String)> {
    let mut reader = NsReader::from_reader(xml);
    let mut in_body = false;
    let mut depth = 0usize;
    loop {
        let (ns, event) = reader.read_resolved_event().ok()?;
        let ns = match ns {
            ResolveResult::Bound(Namespace(uri)) => uri.to_owned(),
            _ => String::new(),
        };
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let local = e.local_name().into_inner().to_owned();
                let envelope = ns == "http://www.w3.org/2003/05/soap-envelope";
                if envelope && depth == 0 && local == "Envelope" {
                    depth += 1;
                } else if envelope && depth == 1 && local == "Header" {
                    reader.read_to_end(e.name()).ok()?;
                } else if envelope && depth == 1 && local == "Body" {
                    in_body = true;
                    depth += 1;
                } else if depth == 0 || in_body {
                    return Some((ns, local));
                } else {
                    return None;
                }
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

fn kind_of(ns: &str, local: &str) -> Option<Kind> {
    Some(match (ns, local) {
        (vocab::NS_LCM, "SubmitObjectsRequest") => Kind::SubmitObjects,
        (vocab::NS_XDS, "ProvideAndRegisterDocumentSetRequest") => Kind::ProvideAndRegister,
        (vocab::NS_QUERY, "AdhocQueryRequest") => Kind::AdhocQuery,
        (vocab::NS_XDS, "RetrieveDocumentSetRequest") => Kind::Retrieve,
        (vocab::NS_LCM, "RemoveObjectsRequest") => Kind::RemoveObjects,
        (vocab::NS_RMD, "RemoveDocumentsRequest") => Kind::RemoveDocuments,
        (vocab::NS_RS, "RegistryResponse") => Kind::RegistryResponse,
        (vocab::NS_QUERY, "AdhocQueryResponse") => Kind::AdhocQueryResponse,
        (vocab::NS_XDS, "RetrieveDocumentSetResponse") => Kind::RetrieveResponse,
        _ => return None,
    })
}

/// Every corpus file whose body is one of the kinds this crate parses.
pub(crate) fn samples() -> Vec<Sample> {
    let mut paths = Vec::new();
    walk(&Path::new(CONFORMANCE).join("xds/samples"), &mut paths);
    walk(&Path::new(CONFORMANCE).join("xds/nist-tests"), &mut paths);
    paths
        .into_iter()
        .filter_map(|path| {
            let bytes = std::fs::read(&path).ok()?;
            let (ns, local) = body_element(&bytes)?;
            let kind = kind_of(&ns, &local)?;
            Some(Sample { path, kind, bytes })
        })
        .collect()
}

/// A parsed corpus file.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parsed {
    SubmitObjects(crate::model::SubmitObjectsRequest),
    ProvideAndRegister(crate::model::ProvideAndRegisterRequest),
    AdhocQuery(crate::model::AdhocQueryRequest),
    Retrieve(crate::model::RetrieveDocumentSetRequest),
    RemoveObjects(crate::model::RemoveObjectsRequest),
    RemoveDocuments(crate::model::RetrieveDocumentSetRequest),
    RegistryResponse(crate::parse::RegistryResponse),
    AdhocQueryResponse(crate::parse::AdhocQueryResponse),
    RetrieveResponse(crate::parse::RetrieveDocumentSetResponse),
}

pub(crate) fn parse(kind: Kind, xml: &[u8]) -> Result<Parsed, crate::parse::ParseError> {
    use crate::parse as p;
    let limits = p::Limits::default();
    Ok(match kind {
        Kind::SubmitObjects => Parsed::SubmitObjects(p::submit_objects_request(xml, &limits)?),
        Kind::ProvideAndRegister => {
            Parsed::ProvideAndRegister(p::provide_and_register_request(xml, &limits)?)
        }
        Kind::AdhocQuery => Parsed::AdhocQuery(p::adhoc_query_request(xml, &limits)?),
        Kind::Retrieve => Parsed::Retrieve(p::retrieve_document_set_request(xml, &limits)?),
        Kind::RemoveObjects => Parsed::RemoveObjects(p::remove_objects_request(xml, &limits)?),
        Kind::RemoveDocuments => {
            Parsed::RemoveDocuments(p::remove_documents_request(xml, &limits)?)
        }
        Kind::RegistryResponse => Parsed::RegistryResponse(p::registry_response(xml)?),
        Kind::AdhocQueryResponse => Parsed::AdhocQueryResponse(p::adhoc_query_response(xml)?),
        Kind::RetrieveResponse => Parsed::RetrieveResponse(p::retrieve_document_set_response(xml)?),
    })
}

/// What the writer makes of a parsed corpus file, when it writes that kind.
pub(crate) fn rewrite(parsed: &Parsed) -> Option<String> {
    Some(match parsed {
        Parsed::SubmitObjects(r) => write::submit_objects_request(r),
        Parsed::ProvideAndRegister(r) => write::provide_and_register_request(r),
        Parsed::AdhocQuery(r) => write::adhoc_query_request(r),
        Parsed::Retrieve(r) => write::retrieve_document_set_request(r),
        Parsed::RemoveObjects(r) => write::remove_objects_request(r),
        Parsed::RemoveDocuments(r) => write::remove_documents_request(r),
        Parsed::AdhocQueryResponse(r) => {
            let all: Vec<RegistryObject> = r
                .objects
                .iter()
                .cloned()
                .chain(r.object_refs.iter().cloned().map(RegistryObject::ObjectRef))
                .collect();
            write::adhoc_query_response(r.status, &[], &QueryResult::LeafClass(&all))
        }
        Parsed::RetrieveResponse(r) => {
            let headers = retrieve_headers(r);
            write::retrieve_document_set_response(r.status, &[], &headers)
        }
        Parsed::RegistryResponse(_) => return None,
    })
}

fn retrieve_headers(r: &crate::parse::RetrieveDocumentSetResponse) -> Vec<DocumentResponseHeader> {
    r.documents
        .iter()
        .enumerate()
        .map(|(i, d)| DocumentResponseHeader {
            home_community_id: d.home_community_id.clone(),
            repository_unique_id: d.repository_unique_id.clone(),
            document_unique_id: d.document_unique_id.clone(),
            mime_type: d.mime_type.clone(),
            content_id: format!("doc{i}@renkei.example"),
        })
        .collect()
}
