//! Response bodies, read by the hub's own clients (repository -> registry,
//! conformance tool). Other systems may send error codes we do not know, so
//! codes stay strings here.

use super::ParseError;
use super::content::document_content;
use super::cursor::{Cursor, Elem, Key, Ns, trimmed};
use super::rim::registry_object_list;
use crate::error::{ResponseStatus, Severity};
use crate::model::{DocumentContent, ObjectRef, RegistryObject};
use crate::vocab;

/// `rs:RegistryResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryResponse {
    pub status: ResponseStatus,
    pub errors: Vec<ResponseError>,
}

/// One received `rs:RegistryError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseError {
    /// `errorCode`, as sent (e.g. `XDSRegistryMetadataError`).
    pub code: String,
    /// `codeContext`.
    pub context: String,
    pub severity: Severity,
    pub location: Option<String>,
}

/// `query:AdhocQueryResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdhocQueryResponse {
    pub status: ResponseStatus,
    pub errors: Vec<ResponseError>,
    /// Every member of the RegistryObjectList that is not an ObjectRef, in order.
    pub objects: Vec<RegistryObject>,
    /// The `rim:ObjectRef` members, in order (the whole result of an
    /// ObjectRef query; references next to a LeafClass result).
    pub object_refs: Vec<ObjectRef>,
}

/// `xds:RetrieveDocumentSetResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrieveDocumentSetResponse {
    pub status: ResponseStatus,
    pub errors: Vec<ResponseError>,
    pub documents: Vec<RetrievedDocument>,
}

/// One `xds:DocumentResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrievedDocument {
    pub home_community_id: Option<String>,
    pub repository_unique_id: String,
    pub document_unique_id: String,
    pub new_repository_unique_id: Option<String>,
    pub new_document_unique_id: Option<String>,
    pub mime_type: String,
    pub content: DocumentContent,
}

/// The `status` attribute value.
fn status(value: Option<String>, elem: &Elem<'_>) -> Result<ResponseStatus, ParseError> {
    let value = value.ok_or_else(|| {
        ParseError::invalid(format!(
            "{} is missing required attribute status",
            elem.display()
        ))
    })?;
    // Besides the URNs, the ebRS 3.0 spelling of PartialSuccess and the bare
    // names (IHE's own sample uses `status="Success"`) are accepted.
    match value.trim() {
        vocab::RESPONSE_SUCCESS | "Success" => Ok(ResponseStatus::Success),
        vocab::RESPONSE_FAILURE | "Failure" => Ok(ResponseStatus::Failure),
        vocab::RESPONSE_PARTIAL_SUCCESS
        | "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:PartialSuccess"
        | "PartialSuccess" => Ok(ResponseStatus::PartialSuccess),
        other => Err(ParseError::invalid(format!(
            "{} status {other:?} is not a known ResponseStatusType",
            elem.display()
        ))),
    }
}

/// Children shared by every RegistryResponseType: `rs:ResponseSlotList?`,
/// `rs:RegistryErrorList?`, then whatever `rest` accepts (called with each
/// further child).
fn registry_response_children(
    cur: &mut Cursor<'_>,
    elem: &Elem<'_>,
    mut rest: impl FnMut(&mut Cursor<'_>, &Elem<'_>) -> Result<bool, ParseError>,
) -> Result<Vec<ResponseError>, ParseError> {
    let parent = elem.display();
    let mut errors = Vec::new();
    let mut at = 0u8;
    while let Some(child) = cur.child(&parent)? {
        match (child.ns, child.local()) {
            (Ns::Rs, "ResponseSlotList") if at == 0 => {
                at = 1;
                cur.skip()?;
            }
            (Ns::Rs, "RegistryErrorList") if at <= 1 => {
                at = 2;
                errors = error_list(cur)?;
            }
            _ => {
                at = 3;
                if !rest(cur, &child)? {
                    return Err(ParseError::invalid(format!(
                        "unexpected element {} in {parent}",
                        child.display()
                    )));
                }
            }
        }
    }
    Ok(errors)
}

fn error_list(cur: &mut Cursor<'_>) -> Result<Vec<ResponseError>, ParseError> {
    let mut errors = Vec::new();
    while let Some(child) = cur.child(&"rs:RegistryErrorList")? {
        if !child.is(Ns::Rs, "RegistryError") {
            return Err(ParseError::invalid(format!(
                "unexpected element {} in rs:RegistryErrorList",
                child.display()
            )));
        }
        let [code, context, severity, location] = cur.attrs(
            &child,
            [
                Key::Plain("errorCode"),
                Key::Plain("codeContext"),
                Key::Plain("severity"),
                Key::Plain("location"),
            ],
        )?;
        // The element's own text is free-form (sometimes a stack trace): not kept.
        cur.skip()?;
        let severity = match severity.as_deref().map(str::trim) {
            Some(s) if s == vocab::SEVERITY_WARNING || s.ends_with("Warning") => Severity::Warning,
            _ => Severity::Error,
        };
        errors.push(ResponseError {
            code: trimmed(code.ok_or_else(|| {
                ParseError::invalid("rs:RegistryError is missing required attribute errorCode")
            })?),
            context: context.unwrap_or_default(),
            severity,
            location,
        });
    }
    Ok(errors)
}

/// `rs:RegistryResponse` whose start was just read.
pub(crate) fn registry_response(
    cur: &mut Cursor<'_>,
    elem: &Elem<'_>,
) -> Result<RegistryResponse, ParseError> {
    let [status_attr] = cur.attrs(elem, [Key::Plain("status")])?;
    let status = status(status_attr, elem)?;
    let errors = registry_response_children(cur, elem, |_, _| Ok(false))?;
    Ok(RegistryResponse { status, errors })
}

/// `query:AdhocQueryResponse` whose start was just read. A missing
/// RegistryObjectList (some failure responses omit it) reads as empty.
pub(crate) fn adhoc_query_response(
    cur: &mut Cursor<'_>,
    elem: &Elem<'_>,
) -> Result<AdhocQueryResponse, ParseError> {
    let [status_attr] = cur.attrs(elem, [Key::Plain("status")])?;
    let status = status(status_attr, elem)?;
    let mut list: Option<Vec<RegistryObject>> = None;
    let errors = registry_response_children(cur, elem, |cur, child| {
        if list.is_none() && child.is(Ns::Rim, "RegistryObjectList") {
            list = Some(registry_object_list(cur, child)?);
            Ok(true)
        } else {
            Ok(false)
        }
    })?;
    let mut objects = Vec::new();
    let mut object_refs = Vec::new();
    for object in list.unwrap_or_default() {
        match object {
            RegistryObject::ObjectRef(r) => object_refs.push(r),
            other => objects.push(other),
        }
    }
    Ok(AdhocQueryResponse {
        status,
        errors,
        objects,
        object_refs,
    })
}

/// `xds:RetrieveDocumentSetResponse` whose start was just read.
pub(crate) fn retrieve_document_set_response(
    cur: &mut Cursor<'_>,
) -> Result<RetrieveDocumentSetResponse, ParseError> {
    const PARENT: &str = "xds:RetrieveDocumentSetResponse";
    let mut head: Option<RegistryResponse> = None;
    let mut documents = Vec::new();
    while let Some(child) = cur.child(&PARENT)? {
        if head.is_none() {
            if !child.is(Ns::Rs, "RegistryResponse") {
                return Err(ParseError::invalid(format!(
                    "{PARENT} must start with rs:RegistryResponse, found {}",
                    child.display()
                )));
            }
            head = Some(registry_response(cur, &child)?);
        } else if child.is(Ns::Xds, "DocumentResponse") {
            documents.push(document_response(cur)?);
        } else {
            return Err(ParseError::invalid(format!(
                "unexpected element {} in {PARENT}",
                child.display()
            )));
        }
    }
    let head = head
        .ok_or_else(|| ParseError::invalid(format!("{PARENT} is missing rs:RegistryResponse")))?;
    Ok(RetrieveDocumentSetResponse {
        status: head.status,
        errors: head.errors,
        documents,
    })
}

/// `HomeCommunityId?, RepositoryUniqueId, DocumentUniqueId,
/// NewRepositoryUniqueId?, NewDocumentUniqueId?, mimeType, Document`.
fn document_response(cur: &mut Cursor<'_>) -> Result<RetrievedDocument, ParseError> {
    const PARENT: &str = "xds:DocumentResponse";
    const FIELDS: [&str; 6] = [
        "HomeCommunityId",
        "RepositoryUniqueId",
        "DocumentUniqueId",
        "NewRepositoryUniqueId",
        "NewDocumentUniqueId",
        "mimeType",
    ];
    let mut fields: [Option<String>; 6] = Default::default();
    let mut content = None;
    let mut at = 0usize;
    while let Some(child) = cur.child(&PARENT)? {
        let position = if child.ns == Ns::Xds {
            FIELDS
                .iter()
                .position(|f| *f == child.local())
                .or_else(|| (child.local() == "Document").then_some(FIELDS.len()))
        } else {
            None
        };
        let position = match position {
            Some(p) if p >= at && content.is_none() => p,
            _ => {
                return Err(ParseError::invalid(format!(
                    "unexpected element {} in {PARENT}",
                    child.display()
                )));
            }
        };
        match fields.get_mut(position) {
            Some(cell) if cell.is_none() => *cell = Some(trimmed(cur.text(&child.display())?)),
            Some(_) => {
                return Err(ParseError::invalid(format!(
                    "{} is repeated in {PARENT}",
                    child.display()
                )));
            }
            None => {
                let id = fields[2].as_deref().unwrap_or_default().to_owned();
                content = Some(document_content(cur, &id)?);
            }
        }
        at = position;
    }
    let [
        home,
        repository,
        document,
        new_repository,
        new_document,
        mime_type,
    ] = fields;
    let missing = |what: &str| ParseError::invalid(format!("{PARENT} is missing xds:{what}"));
    Ok(RetrievedDocument {
        home_community_id: home,
        repository_unique_id: repository.ok_or_else(|| missing("RepositoryUniqueId"))?,
        document_unique_id: document.ok_or_else(|| missing("DocumentUniqueId"))?,
        new_repository_unique_id: new_repository,
        new_document_unique_id: new_document,
        mime_type: mime_type.ok_or_else(|| missing("mimeType"))?,
        content: content.ok_or_else(|| missing("Document"))?,
    })
}
