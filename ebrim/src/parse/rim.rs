//! `rim:` registry objects: the members of a `rim:RegistryObjectList` and
//! their Slots, Names, Descriptions, Classifications and ExternalIdentifiers,
//! in the element order rim.xsd requires.

use super::ParseError;
use super::cursor::{Cursor, Elem, Key, Ns, trimmed};
use crate::model::{
    Association, Classification, ExternalIdentifier, ExtrinsicObject, InternationalString,
    LocalizedString, ObjectCore, ObjectRef, RegistryObject, RegistryPackage, Slot,
};

/// Read the children of a `rim:RegistryObjectList` whose start was just read.
pub(crate) fn registry_object_list(
    cur: &mut Cursor<'_>,
    list: &Elem<'_>,
) -> Result<Vec<RegistryObject>, ParseError> {
    let mut objects = Vec::new();
    let list_name = list.display();
    while let Some(child) = cur.child(&list_name)? {
        objects.push(registry_object(cur, &child)?);
    }
    Ok(objects)
}

/// One member of a RegistryObjectList.
pub(crate) fn registry_object(
    cur: &mut Cursor<'_>,
    elem: &Elem<'_>,
) -> Result<RegistryObject, ParseError> {
    if elem.ns != Ns::Rim {
        return Err(ParseError::invalid(format!(
            "unexpected element {} in rim:RegistryObjectList",
            elem.display()
        )));
    }
    match elem.local() {
        "ExtrinsicObject" => extrinsic_object(cur, elem).map(RegistryObject::ExtrinsicObject),
        "RegistryPackage" => registry_package(cur, elem).map(RegistryObject::RegistryPackage),
        "Association" => association(cur, elem).map(RegistryObject::Association),
        "Classification" => classification(cur, elem).map(RegistryObject::Classification),
        "ObjectRef" => object_ref(cur, elem).map(RegistryObject::ObjectRef),
        "ExternalIdentifier" => Err(ParseError::invalid(
            "rim:ExternalIdentifier directly in rim:RegistryObjectList is not supported: \
             place it inside the object it identifies",
        )),
        other => Err(ParseError::invalid(format!(
            "rim:{other} is not an XDS metadata object (expected rim:ExtrinsicObject, \
             rim:RegistryPackage, rim:Association, rim:Classification or rim:ObjectRef)"
        ))),
    }
}

fn required(value: Option<String>, elem: &Elem<'_>, attr: &str) -> Result<String, ParseError> {
    value.ok_or_else(|| {
        ParseError::invalid(format!(
            "{} is missing required attribute {attr}",
            elem.display()
        ))
    })
}

fn uri(value: Option<String>) -> Option<String> {
    value.map(trimmed)
}

/// What may follow the common RegistryObject children of a given type.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    ExtrinsicObject,
    RegistryPackage,
    Association,
    /// `rim:AdhocQuery` (only its Slots are kept).
    AdhocQuery,
    /// Classification / ExternalIdentifier: the model keeps no nested
    /// Classifications, ExternalIdentifiers or VersionInfo for them.
    Leaf,
}

/// The children every RegistryObject shares.
#[derive(Default)]
struct Children {
    slots: Vec<Slot>,
    name: Option<InternationalString>,
    description: Option<InternationalString>,
    version_name: Option<String>,
    classifications: Vec<Classification>,
    external_identifiers: Vec<ExternalIdentifier>,
}

/// Read the children of a RegistryObject, enforcing rim.xsd order:
/// Slot*, Name?, Description?, VersionInfo?, Classification*,
/// ExternalIdentifier*, then the type's own element.
fn children(cur: &mut Cursor<'_>, elem: &Elem<'_>, kind: Kind) -> Result<Children, ParseError> {
    // Position in the sequence of the last child read.
    const SLOT: u8 = 0;
    const NAME: u8 = 1;
    const DESCRIPTION: u8 = 2;
    const VERSION_INFO: u8 = 3;
    const CLASSIFICATION: u8 = 4;
    const EXTERNAL_IDENTIFIER: u8 = 5;
    const OWN: u8 = 6;

    let parent = elem.display();
    let mut out = Children::default();
    let mut at = SLOT;
    while let Some(child) = cur.child(&parent)? {
        if child.ns != Ns::Rim {
            return Err(ParseError::invalid(format!(
                "unexpected element {} in {parent}",
                child.display()
            )));
        }
        let local = child.local();
        let (position, repeatable) = match local {
            "Slot" => (SLOT, true),
            "Name" => (NAME, false),
            "Description" => (DESCRIPTION, false),
            "VersionInfo" => (VERSION_INFO, false),
            "Classification" => (CLASSIFICATION, true),
            "ExternalIdentifier" => (EXTERNAL_IDENTIFIER, true),
            "ContentVersionInfo" if kind == Kind::ExtrinsicObject => (OWN, false),
            "RegistryObjectList" if kind == Kind::RegistryPackage => {
                return Err(ParseError::invalid(format!(
                    "a rim:RegistryObjectList nested in {parent} is not supported by XDS"
                )));
            }
            "QueryExpression" if kind == Kind::AdhocQuery => {
                return Err(ParseError::invalid(
                    "rim:QueryExpression is not supported: only stored queries are",
                ));
            }
            _ => {
                return Err(ParseError::invalid(format!(
                    "unexpected element rim:{local} in {parent}"
                )));
            }
        };
        let in_order = if repeatable {
            position >= at
        } else {
            position > at
        };
        if !in_order {
            return Err(ParseError::invalid(format!(
                "rim:{local} is out of order or repeated in {parent} \
                 (rim.xsd order: Slot*, Name?, Description?, VersionInfo?, \
                 Classification*, ExternalIdentifier*)"
            )));
        }
        at = position;
        match local {
            "Slot" => out.slots.push(slot(cur, &child)?),
            "Name" => out.name = Some(international_string(cur, &child)?),
            "Description" => out.description = Some(international_string(cur, &child)?),
            "VersionInfo" => out.version_name = version_info(cur, &child)?,
            "Classification" => {
                if kind == Kind::Leaf {
                    return Err(ParseError::invalid(format!(
                        "a rim:Classification nested in {parent} is not supported"
                    )));
                }
                out.classifications.push(classification(cur, &child)?);
            }
            "ExternalIdentifier" => {
                if kind == Kind::Leaf {
                    return Err(ParseError::invalid(format!(
                        "a rim:ExternalIdentifier nested in {parent} is not supported"
                    )));
                }
                out.external_identifiers
                    .push(external_identifier(cur, &child)?);
            }
            // ContentVersionInfo: accepted, not kept (registry-maintained).
            _ => {
                version_info(cur, &child)?;
            }
        }
    }
    Ok(out)
}

fn core(
    cur: &mut Cursor<'_>,
    elem: &Elem<'_>,
    kind: Kind,
    attrs: [Option<String>; 5],
) -> Result<ObjectCore, ParseError> {
    let [id, home, lid, object_type, status] = attrs;
    let id = trimmed(required(id, elem, "id")?);
    let c = children(cur, elem, kind).map_err(|e| e.within(&id))?;
    Ok(ObjectCore {
        id,
        lid: uri(lid),
        object_type: uri(object_type),
        status: uri(status),
        home: uri(home),
        version_name: c.version_name,
        name: c.name,
        description: c.description,
        slots: c.slots,
        classifications: c.classifications,
        external_identifiers: c.external_identifiers,
    })
}

const CORE_KEYS: [Key; 5] = [
    Key::Plain("id"),
    Key::Plain("home"),
    Key::Plain("lid"),
    Key::Plain("objectType"),
    Key::Plain("status"),
];

pub(crate) fn extrinsic_object(
    cur: &mut Cursor<'_>,
    elem: &Elem<'_>,
) -> Result<ExtrinsicObject, ParseError> {
    let [a, b, c, d, e, mime_type, is_opaque] = cur.attrs(
        elem,
        [
            CORE_KEYS[0],
            CORE_KEYS[1],
            CORE_KEYS[2],
            CORE_KEYS[3],
            CORE_KEYS[4],
            Key::Plain("mimeType"),
            Key::Plain("isOpaque"),
        ],
    )?;
    let is_opaque = match is_opaque {
        None => None,
        Some(v) => Some(boolean(&v).ok_or_else(|| {
            ParseError::invalid(format!(
                "rim:ExtrinsicObject attribute isOpaque must be true or false, not {v:?}"
            ))
        })?),
    };
    let core = core(cur, elem, Kind::ExtrinsicObject, [a, b, c, d, e])?;
    Ok(ExtrinsicObject {
        core,
        mime_type,
        is_opaque,
    })
}

pub(crate) fn registry_package(
    cur: &mut Cursor<'_>,
    elem: &Elem<'_>,
) -> Result<RegistryPackage, ParseError> {
    let attrs = cur.attrs(elem, CORE_KEYS)?;
    Ok(RegistryPackage {
        core: core(cur, elem, Kind::RegistryPackage, attrs)?,
    })
}

pub(crate) fn association(
    cur: &mut Cursor<'_>,
    elem: &Elem<'_>,
) -> Result<Association, ParseError> {
    let [
        id,
        home,
        lid,
        object_type,
        status,
        association_type,
        source,
        target,
    ] = cur.attrs(
        elem,
        [
            CORE_KEYS[0],
            CORE_KEYS[1],
            CORE_KEYS[2],
            CORE_KEYS[3],
            CORE_KEYS[4],
            Key::Plain("associationType"),
            Key::Plain("sourceObject"),
            Key::Plain("targetObject"),
        ],
    )?;
    let location = id.as_deref().map(str::trim).unwrap_or_default().to_owned();
    let association_type =
        required(association_type, elem, "associationType").map_err(|e| e.within(&location))?;
    let source_object = required(source, elem, "sourceObject").map_err(|e| e.within(&location))?;
    let target_object = required(target, elem, "targetObject").map_err(|e| e.within(&location))?;
    let head = [id, home, lid, object_type, status];
    Ok(Association {
        core: core(cur, elem, Kind::Association, head)?,
        association_type: trimmed(association_type),
        source_object: trimmed(source_object),
        target_object: trimmed(target_object),
    })
}

pub(crate) fn classification(
    cur: &mut Cursor<'_>,
    elem: &Elem<'_>,
) -> Result<Classification, ParseError> {
    let [
        id,
        object_type,
        scheme,
        node,
        classified,
        node_representation,
    ] = cur.attrs(
        elem,
        [
            Key::Plain("id"),
            Key::Plain("objectType"),
            Key::Plain("classificationScheme"),
            Key::Plain("classificationNode"),
            Key::Plain("classifiedObject"),
            Key::Plain("nodeRepresentation"),
        ],
    )?;
    let id = trimmed(required(id, elem, "id")?);
    let classified_object =
        trimmed(required(classified, elem, "classifiedObject").map_err(|e| e.within(&id))?);
    let c = children(cur, elem, Kind::Leaf).map_err(|e| e.within(&id))?;
    Ok(Classification {
        id,
        classification_scheme: uri(scheme),
        classification_node: uri(node),
        classified_object,
        node_representation,
        object_type: uri(object_type),
        name: c.name,
        description: c.description,
        slots: c.slots,
    })
}

pub(crate) fn external_identifier(
    cur: &mut Cursor<'_>,
    elem: &Elem<'_>,
) -> Result<ExternalIdentifier, ParseError> {
    let [id, object_type, registry_object, scheme, value] = cur.attrs(
        elem,
        [
            Key::Plain("id"),
            Key::Plain("objectType"),
            Key::Plain("registryObject"),
            Key::Plain("identificationScheme"),
            Key::Plain("value"),
        ],
    )?;
    let id = trimmed(required(id, elem, "id")?);
    let registry_object =
        trimmed(required(registry_object, elem, "registryObject").map_err(|e| e.within(&id))?);
    let identification_scheme =
        trimmed(required(scheme, elem, "identificationScheme").map_err(|e| e.within(&id))?);
    let value = required(value, elem, "value").map_err(|e| e.within(&id))?;
    let c = children(cur, elem, Kind::Leaf).map_err(|e| e.within(&id))?;
    Ok(ExternalIdentifier {
        id,
        registry_object,
        identification_scheme,
        value,
        object_type: uri(object_type),
        name: c.name,
        description: c.description,
        slots: c.slots,
    })
}

/// `rim:ObjectRef`. Its optional Slots carry nothing XDS uses and are skipped.
pub(crate) fn object_ref(cur: &mut Cursor<'_>, elem: &Elem<'_>) -> Result<ObjectRef, ParseError> {
    let [id, home] = cur.attrs(elem, [Key::Plain("id"), Key::Plain("home")])?;
    let id = trimmed(required(id, elem, "id")?);
    let name = elem.display();
    while let Some(child) = cur.child(&name)? {
        if !child.is(Ns::Rim, "Slot") {
            return Err(ParseError::invalid(format!(
                "unexpected element {} in rim:ObjectRef",
                child.display()
            ))
            .within(&id));
        }
        cur.skip()?;
    }
    Ok(ObjectRef {
        id,
        home: uri(home),
    })
}

/// The Slots, in order, of an element whose start was just read and which
/// may contain only Slots before the other RegistryObject children
/// (`rim:AdhocQuery`).
pub(crate) fn adhoc_query_children(
    cur: &mut Cursor<'_>,
    elem: &Elem<'_>,
) -> Result<Vec<Slot>, ParseError> {
    Ok(children(cur, elem, Kind::AdhocQuery)?.slots)
}

/// `rim:Slot` with its one `rim:ValueList`.
pub(crate) fn slot(cur: &mut Cursor<'_>, elem: &Elem<'_>) -> Result<Slot, ParseError> {
    let [name, slot_type] = cur.attrs(elem, [Key::Plain("name"), Key::Plain("slotType")])?;
    let name = required(name, elem, "name")?;
    let mut values = None;
    while let Some(child) = cur.child(&"rim:Slot")? {
        if !child.is(Ns::Rim, "ValueList") {
            return Err(ParseError::invalid(format!(
                "unexpected element {} in rim:Slot name={name:?} (expected rim:ValueList)",
                child.display()
            )));
        }
        if values.is_some() {
            return Err(ParseError::invalid(format!(
                "rim:Slot name={name:?} has more than one rim:ValueList"
            )));
        }
        values = Some(value_list(cur, &name)?);
    }
    let values = values.ok_or_else(|| {
        ParseError::invalid(format!("rim:Slot name={name:?} is missing rim:ValueList"))
    })?;
    Ok(Slot {
        name,
        slot_type: uri(slot_type),
        values,
    })
}

fn value_list(cur: &mut Cursor<'_>, slot_name: &str) -> Result<Vec<String>, ParseError> {
    let mut values = Vec::new();
    while let Some(child) = cur.child(&"rim:ValueList")? {
        if !child.is(Ns::Rim, "Value") {
            return Err(ParseError::invalid(format!(
                "unexpected element {} in rim:ValueList of slot {slot_name:?} (expected rim:Value)",
                child.display()
            )));
        }
        if values.len() >= cur.limits().max_slot_values {
            return Err(ParseError::malformed(format!(
                "slot {slot_name:?} has more than {} values",
                cur.limits().max_slot_values
            )));
        }
        values.push(cur.text(&"rim:Value")?);
    }
    Ok(values)
}

/// `rim:Name` / `rim:Description`.
fn international_string(
    cur: &mut Cursor<'_>,
    elem: &Elem<'_>,
) -> Result<InternationalString, ParseError> {
    let parent = elem.display();
    let mut values = Vec::new();
    while let Some(child) = cur.child(&parent)? {
        if !child.is(Ns::Rim, "LocalizedString") {
            return Err(ParseError::invalid(format!(
                "unexpected element {} in {parent} (expected rim:LocalizedString)",
                child.display()
            )));
        }
        let [lang, charset, value] = cur.attrs(
            &child,
            [Key::Xml("lang"), Key::Plain("charset"), Key::Plain("value")],
        )?;
        let value = value.ok_or_else(|| {
            ParseError::invalid(format!(
                "rim:LocalizedString in {parent} is missing required attribute value"
            ))
        })?;
        cur.empty(&"rim:LocalizedString")?;
        values.push(LocalizedString {
            lang,
            charset,
            value,
        });
    }
    Ok(InternationalString { values })
}

/// `rim:VersionInfo` / `rim:ContentVersionInfo`: the versionName.
fn version_info(cur: &mut Cursor<'_>, elem: &Elem<'_>) -> Result<Option<String>, ParseError> {
    let [version_name] = cur.attrs(elem, [Key::Plain("versionName")])?;
    cur.empty(&elem.display())?;
    Ok(version_name)
}

/// xs:boolean.
pub(crate) fn boolean(value: &str) -> Option<bool> {
    match value.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r')) {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}
