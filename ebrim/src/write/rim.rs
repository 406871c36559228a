//! `rim:` registry objects, children in rim.xsd order: Slot*, Name?,
//! Description?, VersionInfo?, Classification*, ExternalIdentifier*.
//!
//! These write fragments with the `rim` prefix; the enclosing element must
//! declare `xmlns:rim` (the message writers in this module do).

use super::escape::{attr, opt_attr, text};
use crate::model::{
    Association, Classification, ExternalIdentifier, ExtrinsicObject, InternationalString,
    ObjectCore, ObjectRef, RegistryObject, RegistryPackage, Slot,
};

/// Any member of a RegistryObjectList.
pub fn registry_object(out: &mut String, obj: &RegistryObject) {
    match obj {
        RegistryObject::ExtrinsicObject(eo) => extrinsic_object(out, eo),
        RegistryObject::RegistryPackage(rp) => registry_package(out, rp),
        RegistryObject::Association(a) => association(out, a),
        RegistryObject::Classification(c) => classification(out, c),
        RegistryObject::ObjectRef(r) => object_ref(out, r),
    }
}

/// `rim:ExtrinsicObject` (DocumentEntry).
pub fn extrinsic_object(out: &mut String, eo: &ExtrinsicObject) {
    out.push_str("<rim:ExtrinsicObject");
    core_attrs(out, &eo.core);
    opt_attr(out, "mimeType", eo.mime_type.as_deref());
    if let Some(opaque) = eo.is_opaque {
        attr(out, "isOpaque", if opaque { "true" } else { "false" });
    }
    core_rest(out, &eo.core, "rim:ExtrinsicObject");
}

/// `rim:RegistryPackage` (SubmissionSet, Folder).
pub fn registry_package(out: &mut String, rp: &RegistryPackage) {
    out.push_str("<rim:RegistryPackage");
    core_attrs(out, &rp.core);
    core_rest(out, &rp.core, "rim:RegistryPackage");
}

/// `rim:Association`.
pub fn association(out: &mut String, a: &Association) {
    out.push_str("<rim:Association");
    core_attrs(out, &a.core);
    attr(out, "associationType", &a.association_type);
    attr(out, "sourceObject", &a.source_object);
    attr(out, "targetObject", &a.target_object);
    core_rest(out, &a.core, "rim:Association");
}

/// `rim:Classification`.
pub fn classification(out: &mut String, c: &Classification) {
    out.push_str("<rim:Classification");
    attr(out, "id", &c.id);
    opt_attr(out, "objectType", c.object_type.as_deref());
    opt_attr(
        out,
        "classificationScheme",
        c.classification_scheme.as_deref(),
    );
    opt_attr(out, "classificationNode", c.classification_node.as_deref());
    attr(out, "classifiedObject", &c.classified_object);
    opt_attr(out, "nodeRepresentation", c.node_representation.as_deref());
    leaf_rest(
        out,
        &c.slots,
        c.name.as_ref(),
        c.description.as_ref(),
        "rim:Classification",
    );
}

/// `rim:ExternalIdentifier`.
pub fn external_identifier(out: &mut String, e: &ExternalIdentifier) {
    out.push_str("<rim:ExternalIdentifier");
    attr(out, "id", &e.id);
    opt_attr(out, "objectType", e.object_type.as_deref());
    attr(out, "registryObject", &e.registry_object);
    attr(out, "identificationScheme", &e.identification_scheme);
    attr(out, "value", &e.value);
    leaf_rest(
        out,
        &e.slots,
        e.name.as_ref(),
        e.description.as_ref(),
        "rim:ExternalIdentifier",
    );
}

/// `rim:ObjectRef`.
pub fn object_ref(out: &mut String, r: &ObjectRef) {
    object_ref_parts(out, &r.id, r.home.as_deref());
}

pub(crate) fn object_ref_parts(out: &mut String, id: &str, home: Option<&str>) {
    out.push_str("<rim:ObjectRef");
    attr(out, "id", id);
    opt_attr(out, "home", home);
    out.push_str("/>");
}

/// `rim:Slot` with its `rim:ValueList`.
pub fn slot(out: &mut String, s: &Slot) {
    out.push_str("<rim:Slot");
    attr(out, "name", &s.name);
    opt_attr(out, "slotType", s.slot_type.as_deref());
    if s.values.is_empty() {
        out.push_str("><rim:ValueList/></rim:Slot>");
        return;
    }
    out.push_str("><rim:ValueList>");
    for value in &s.values {
        out.push_str("<rim:Value>");
        text(out, value);
        out.push_str("</rim:Value>");
    }
    out.push_str("</rim:ValueList></rim:Slot>");
}

/// `rim:Name` / `rim:Description` (`tag` names which).
fn international_string(out: &mut String, tag: &str, s: &InternationalString) {
    out.push('<');
    out.push_str(tag);
    if s.values.is_empty() {
        out.push_str("/>");
        return;
    }
    out.push('>');
    for ls in &s.values {
        out.push_str("<rim:LocalizedString");
        opt_attr(out, "xml:lang", ls.lang.as_deref());
        opt_attr(out, "charset", ls.charset.as_deref());
        attr(out, "value", &ls.value);
        out.push_str("/>");
    }
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

fn core_attrs(out: &mut String, core: &ObjectCore) {
    attr(out, "id", &core.id);
    opt_attr(out, "home", core.home.as_deref());
    opt_attr(out, "lid", core.lid.as_deref());
    opt_attr(out, "objectType", core.object_type.as_deref());
    opt_attr(out, "status", core.status.as_deref());
}

/// Close the start tag, write the children and the end tag.
fn core_rest(out: &mut String, core: &ObjectCore, tag: &str) {
    let has_children = !core.slots.is_empty()
        || core.name.is_some()
        || core.description.is_some()
        || core.version_name.is_some()
        || !core.classifications.is_empty()
        || !core.external_identifiers.is_empty();
    if !has_children {
        out.push_str("/>");
        return;
    }
    out.push('>');
    for s in &core.slots {
        slot(out, s);
    }
    if let Some(name) = &core.name {
        international_string(out, "rim:Name", name);
    }
    if let Some(description) = &core.description {
        international_string(out, "rim:Description", description);
    }
    if let Some(version) = &core.version_name {
        out.push_str("<rim:VersionInfo");
        attr(out, "versionName", version);
        out.push_str("/>");
    }
    for c in &core.classifications {
        classification(out, c);
    }
    for e in &core.external_identifiers {
        external_identifier(out, e);
    }
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

/// Children of Classification / ExternalIdentifier and the end tag.
fn leaf_rest(
    out: &mut String,
    slots: &[Slot],
    name: Option<&InternationalString>,
    description: Option<&InternationalString>,
    tag: &str,
) {
    if slots.is_empty() && name.is_none() && description.is_none() {
        out.push_str("/>");
        return;
    }
    out.push('>');
    for s in slots {
        slot(out, s);
    }
    if let Some(name) = name {
        international_string(out, "rim:Name", name);
    }
    if let Some(description) = description {
        international_string(out, "rim:Description", description);
    }
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}
