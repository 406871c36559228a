//! Request bodies the hub receives: ITI-41, ITI-42/57, ITI-18, ITI-43,
//! ITI-62 and ITI-86.

use super::ParseError;
use super::content::document_content;
use super::cursor::{Cursor, Elem, Key, Ns, trimmed};
use super::rim::{adhoc_query_children, boolean, object_ref, registry_object_list};
use crate::model::{
    AdhocQueryRequest, DocumentRequest, ProvidedDocument, ReturnType, SubmitObjectsRequest,
};

/// Children of `lcm:SubmitObjectsRequest`: `rs:RequestSlotList?`,
/// `rim:RegistryObjectList`.
pub(crate) fn submit_objects(
    cur: &mut Cursor<'_>,
    _elem: &Elem<'_>,
) -> Result<SubmitObjectsRequest, ParseError> {
    let mut objects = None;
    let mut first = true;
    while let Some(child) = cur.child(&"lcm:SubmitObjectsRequest")? {
        if first && child.is(Ns::Rs, "RequestSlotList") {
            cur.skip()?;
        } else if child.is(Ns::Rim, "RegistryObjectList") && objects.is_none() {
            objects = Some(registry_object_list(cur, &child)?);
        } else {
            return Err(ParseError::invalid(format!(
                "unexpected element {} in lcm:SubmitObjectsRequest",
                child.display()
            )));
        }
        first = false;
    }
    let objects = objects.ok_or_else(|| {
        ParseError::invalid("lcm:SubmitObjectsRequest is missing rim:RegistryObjectList")
    })?;
    Ok(SubmitObjectsRequest { objects })
}

/// Children of `xds:ProvideAndRegisterDocumentSetRequest`:
/// `lcm:SubmitObjectsRequest`, `xds:Document*`.
pub(crate) fn provide_and_register(
    cur: &mut Cursor<'_>,
) -> Result<(SubmitObjectsRequest, Vec<ProvidedDocument>), ParseError> {
    const PARENT: &str = "xds:ProvideAndRegisterDocumentSetRequest";
    let mut submission = None;
    let mut documents = Vec::new();
    while let Some(child) = cur.child(&PARENT)? {
        if submission.is_none() {
            if !child.is(Ns::Lcm, "SubmitObjectsRequest") {
                return Err(ParseError::invalid(format!(
                    "{PARENT} must start with lcm:SubmitObjectsRequest, found {}",
                    child.display()
                )));
            }
            submission = Some(submit_objects(cur, &child)?);
        } else if child.is(Ns::Xds, "Document") {
            let [id] = cur.attrs(&child, [Key::Plain("id")])?;
            let id = trimmed(id.ok_or_else(|| {
                ParseError::invalid("xds:Document is missing required attribute id")
            })?);
            let content = document_content(cur, &id)?;
            documents.push(ProvidedDocument { id, content });
        } else {
            return Err(ParseError::invalid(format!(
                "unexpected element {} in {PARENT} (expected xds:Document)",
                child.display()
            )));
        }
    }
    let submission = submission.ok_or_else(|| {
        ParseError::invalid(format!("{PARENT} is missing lcm:SubmitObjectsRequest"))
    })?;
    Ok((submission, documents))
}

/// Children of `query:AdhocQueryRequest`: `rs:RequestSlotList?`,
/// `query:ResponseOption`, `rim:AdhocQuery`.
pub(crate) fn adhoc_query(cur: &mut Cursor<'_>) -> Result<AdhocQueryRequest, ParseError> {
    const PARENT: &str = "query:AdhocQueryRequest";
    let mut option: Option<(ReturnType, bool)> = None;
    let mut query: Option<AdhocQueryRequest> = None;
    let mut first = true;
    while let Some(child) = cur.child(&PARENT)? {
        if first && child.is(Ns::Rs, "RequestSlotList") {
            cur.skip()?;
        } else if option.is_none() && query.is_none() && child.is(Ns::Query, "ResponseOption") {
            option = Some(response_option(cur, &child)?);
        } else if let (Some((return_type, composed)), None, true) =
            (option, &query, child.is(Ns::Rim, "AdhocQuery"))
        {
            let [id, home] = cur.attrs(&child, [Key::Plain("id"), Key::Plain("home")])?;
            let query_id = trimmed(id.ok_or_else(|| {
                ParseError::invalid("rim:AdhocQuery is missing required attribute id")
            })?);
            let parameters = adhoc_query_children(cur, &child).map_err(|e| e.within(&query_id))?;
            query = Some(AdhocQueryRequest {
                return_type,
                return_composed_objects: composed,
                query_id,
                home: home.map(trimmed),
                parameters,
            });
        } else {
            return Err(ParseError::invalid(format!(
                "unexpected element {} in {PARENT} (expected query:ResponseOption then rim:AdhocQuery)",
                child.display()
            )));
        }
        first = false;
    }
    if option.is_none() {
        return Err(ParseError::invalid(format!(
            "{PARENT} is missing query:ResponseOption"
        )));
    }
    query.ok_or_else(|| ParseError::invalid(format!("{PARENT} is missing rim:AdhocQuery")))
}

/// `query:ResponseOption`. query.xsd's default returnType is RegistryObject;
/// it and LeafClassWithRepositoryItem ask for whole objects, which XDS
/// calls LeafClass.
fn response_option(
    cur: &mut Cursor<'_>,
    elem: &Elem<'_>,
) -> Result<(ReturnType, bool), ParseError> {
    let [return_type, composed] = cur.attrs(
        elem,
        [
            Key::Plain("returnType"),
            Key::Plain("returnComposedObjects"),
        ],
    )?;
    let return_type = match return_type.as_deref().map(str::trim) {
        Some("ObjectRef") => ReturnType::ObjectRef,
        None | Some("LeafClass" | "RegistryObject" | "LeafClassWithRepositoryItem") => {
            ReturnType::LeafClass
        }
        Some(other) => {
            return Err(ParseError::invalid(format!(
                "query:ResponseOption returnType {other:?} is not LeafClass or ObjectRef"
            )));
        }
    };
    let composed = match composed {
        None => false,
        Some(v) => boolean(&v).ok_or_else(|| {
            ParseError::invalid(format!(
                "query:ResponseOption returnComposedObjects must be true or false, not {v:?}"
            ))
        })?,
    };
    cur.empty(&"query:ResponseOption")?;
    Ok((return_type, composed))
}

/// `xds:DocumentRequest+` children of an ITI-43 / ITI-86 request.
pub(crate) fn document_requests(
    cur: &mut Cursor<'_>,
    parent: &str,
) -> Result<Vec<DocumentRequest>, ParseError> {
    let mut requests = Vec::new();
    while let Some(child) = cur.child(&parent)? {
        if !child.is(Ns::Xds, "DocumentRequest") {
            return Err(ParseError::invalid(format!(
                "unexpected element {} in {parent} (expected xds:DocumentRequest)",
                child.display()
            )));
        }
        requests.push(document_request(cur)?);
    }
    if requests.is_empty() {
        return Err(ParseError::invalid(format!(
            "{parent} contains no xds:DocumentRequest"
        )));
    }
    Ok(requests)
}

/// `HomeCommunityId?`, `RepositoryUniqueId`, `DocumentUniqueId`, in this order.
fn document_request(cur: &mut Cursor<'_>) -> Result<DocumentRequest, ParseError> {
    const PARENT: &str = "xds:DocumentRequest";
    let mut fields: [Option<String>; 3] = Default::default();
    let mut at = 0usize;
    while let Some(child) = cur.child(&PARENT)? {
        let position = match (child.ns, child.local()) {
            (Ns::Xds, "HomeCommunityId") => 0,
            (Ns::Xds, "RepositoryUniqueId") => 1,
            (Ns::Xds, "DocumentUniqueId") => 2,
            _ => usize::MAX,
        };
        let cell = match fields.get_mut(position) {
            Some(cell) if position >= at && cell.is_none() => cell,
            _ => {
                return Err(ParseError::invalid(format!(
                    "unexpected element {} in {PARENT} (expected xds:HomeCommunityId?, \
                     xds:RepositoryUniqueId, xds:DocumentUniqueId in this order)",
                    child.display()
                )));
            }
        };
        *cell = Some(trimmed(cur.text(&child.display())?));
        at = position;
    }
    let [home_community_id, repository, document] = fields;
    Ok(DocumentRequest {
        home_community_id,
        repository_unique_id: repository.ok_or_else(|| {
            ParseError::invalid(format!("{PARENT} is missing xds:RepositoryUniqueId"))
        })?,
        document_unique_id: document.ok_or_else(|| {
            ParseError::invalid(format!("{PARENT} is missing xds:DocumentUniqueId"))
        })?,
    })
}

/// Children of `lcm:RemoveObjectsRequest`: `rs:RequestSlotList?`,
/// `rim:ObjectRefList?` (removal by `rim:AdhocQuery` is not supported).
pub(crate) fn remove_objects(cur: &mut Cursor<'_>) -> Result<Vec<String>, ParseError> {
    const PARENT: &str = "lcm:RemoveObjectsRequest";
    let mut ids = Vec::new();
    let mut at = 0u8;
    while let Some(child) = cur.child(&PARENT)? {
        match (child.ns, child.local()) {
            (Ns::Rs, "RequestSlotList") if at == 0 => {
                at = 1;
                cur.skip()?;
            }
            (Ns::Rim, "AdhocQuery") if at <= 1 => {
                return Err(ParseError::invalid(
                    "rim:AdhocQuery in lcm:RemoveObjectsRequest is not supported: \
                     list the objects in rim:ObjectRefList",
                ));
            }
            (Ns::Rim, "ObjectRefList") if at <= 1 => {
                at = 2;
                while let Some(item) = cur.child(&"rim:ObjectRefList")? {
                    if !item.is(Ns::Rim, "ObjectRef") {
                        return Err(ParseError::invalid(format!(
                            "unexpected element {} in rim:ObjectRefList",
                            item.display()
                        )));
                    }
                    ids.push(object_ref(cur, &item)?.id);
                }
            }
            _ => {
                return Err(ParseError::invalid(format!(
                    "unexpected element {} in {PARENT}",
                    child.display()
                )));
            }
        }
    }
    Ok(ids)
}
