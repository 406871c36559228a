//! Groups the (id-rewritten) objects of a submission and attaches each
//! top-level Classification to the object it classifies, so that every
//! object is self-contained when stored.

use super::ids::IdMap;
use super::report::Report;
use crate::datatypes::has_uuid_prefix;
use crate::model::{Association, Classification, ExtrinsicObject, RegistryObject, RegistryPackage};
use std::collections::HashMap;

#[derive(Debug, Default)]
pub(super) struct Parts {
    pub(super) documents: Vec<ExtrinsicObject>,
    pub(super) packages: Vec<RegistryPackage>,
    pub(super) associations: Vec<Association>,
}

#[derive(Clone, Copy)]
enum Slot {
    Document(usize),
    Package(usize),
    Association(usize),
}

pub(super) fn assemble(objects: Vec<RegistryObject>, ids: &IdMap, report: &mut Report) -> Parts {
    let mut parts = Parts::default();
    let mut top_level = Vec::new();
    for object in objects {
        match object {
            RegistryObject::ExtrinsicObject(eo) => parts.documents.push(eo),
            RegistryObject::RegistryPackage(rp) => parts.packages.push(rp),
            RegistryObject::Association(a) => parts.associations.push(a),
            RegistryObject::Classification(c) => top_level.push(c),
            RegistryObject::ObjectRef(_) => {}
        }
    }
    let mut index: HashMap<String, Slot> = HashMap::new();
    for (i, eo) in parts.documents.iter().enumerate() {
        index.insert(eo.core.id.clone(), Slot::Document(i));
    }
    for (i, rp) in parts.packages.iter().enumerate() {
        index.insert(rp.core.id.clone(), Slot::Package(i));
    }
    for (i, a) in parts.associations.iter().enumerate() {
        index.insert(a.core.id.clone(), Slot::Association(i));
    }
    for c in top_level {
        let owner = match index.get(&c.classified_object) {
            Some(Slot::Document(i)) => parts.documents.get_mut(*i).map(|o| &mut o.core),
            Some(Slot::Package(i)) => parts.packages.get_mut(*i).map(|o| &mut o.core),
            Some(Slot::Association(i)) => parts.associations.get_mut(*i).map(|o| &mut o.core),
            None => None,
        };
        match owner {
            Some(core) => core.classifications.push(c),
            None => unattached(&c, ids, report),
        }
    }
    parts
}

/// A top-level Classification of an object outside the submission would
/// change a registered object, which only Metadata Update may do. (A
/// dangling symbolic classifiedObject was already reported.)
fn unattached(c: &Classification, ids: &IdMap, report: &mut Report) {
    if has_uuid_prefix(&c.classified_object) {
        let label = ids.label(&c.id);
        report.metadata(
            label,
            format!(
                "Classification '{label}' classifies '{}', which is not in this submission; a submission cannot classify registered objects",
                c.classified_object
            ),
        );
    }
}
