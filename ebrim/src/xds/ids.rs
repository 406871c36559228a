//! entryUUID assignment (ITI TF-3 4.2.3.1.1): symbolic ids (anything not
//! starting with `urn:uuid:`) become fresh time-ordered UUIDs, the same symbol
//! always the same UUID, and every reference to a symbol (classifiedObject,
//! registryObject, sourceObject, targetObject, lid) is rewritten with it.
//! Ids sent as `urn:uuid:` are validated and kept, in lower case; whether
//! such an id is already registered (NIST 15806) is the registry's check.

use super::report::Report;
use crate::datatypes::{EntryUuid, has_uuid_prefix};
use crate::model::{
    Association, Classification, ExternalIdentifier, ExtrinsicObject, ObjectCore, RegistryObject,
    RegistryPackage,
};
use crate::vocab;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The ids of one submission: what each symbol became, and what the
/// submitter called each final id (error messages use the submitter's
/// names).
#[derive(Debug, Default)]
pub(super) struct IdMap {
    pub(super) assigned: BTreeMap<String, EntryUuid>,
    originals: HashMap<String, String>,
}

impl IdMap {
    /// The id as the submitter wrote it, for messages and `location`.
    pub(super) fn label<'a>(&'a self, final_id: &'a str) -> &'a str {
        self.originals
            .get(final_id)
            .map_or(final_id, String::as_str)
    }
}

/// Rewrites every id of the submission. Objects come back in the same
/// order, with final ids, `status` Approved, `lid` set, default
/// `objectType`s filled in and nested Classifications / ExternalIdentifiers
/// pointing at their owner. ObjectRefs are only checked.
pub(super) fn assign_ids(
    objects: &[RegistryObject],
    allow_metadata_update: bool,
    report: &mut Report,
) -> (Vec<RegistryObject>, IdMap) {
    let mut map = IdMap::default();
    for object in objects {
        if let Some(id) = defined_id(object)
            && !id.is_empty()
            && !has_uuid_prefix(id)
        {
            map.assigned
                .entry(id.to_owned())
                .or_insert_with(EntryUuid::generate);
        }
    }
    let mut rewriter = Rewriter {
        map,
        report,
        defined: HashSet::new(),
        allow_metadata_update,
    };
    let rewritten = objects
        .iter()
        .filter_map(|object| rewriter.object(object))
        .collect();
    (rewritten, rewriter.map)
}

/// The id a top-level object defines. Only these can be referenced by a
/// symbol: nested Classifications and ExternalIdentifiers are never the end
/// of a reference, so their symbolic ids each get a fresh UUID (NIST test
/// data repeats them across DocumentEntries).
fn defined_id(object: &RegistryObject) -> Option<&str> {
    match object {
        RegistryObject::ExtrinsicObject(eo) => Some(&eo.core.id),
        RegistryObject::RegistryPackage(rp) => Some(&rp.core.id),
        RegistryObject::Association(a) => Some(&a.core.id),
        RegistryObject::Classification(c) => Some(&c.id),
        RegistryObject::ObjectRef(_) => None,
    }
}

struct Rewriter<'r> {
    map: IdMap,
    report: &'r mut Report,
    defined: HashSet<String>,
    allow_metadata_update: bool,
}

impl Rewriter<'_> {
    fn object(&mut self, object: &RegistryObject) -> Option<RegistryObject> {
        Some(match object {
            RegistryObject::ExtrinsicObject(eo) => {
                let core = self.core("ExtrinsicObject", &eo.core, None);
                RegistryObject::ExtrinsicObject(ExtrinsicObject { core, ..eo.clone() })
            }
            RegistryObject::RegistryPackage(rp) => {
                let core = self.core(
                    "RegistryPackage",
                    &rp.core,
                    Some(vocab::OBJ_REGISTRY_PACKAGE),
                );
                RegistryObject::RegistryPackage(RegistryPackage { core })
            }
            RegistryObject::Association(a) => self.association(a),
            RegistryObject::Classification(c) => {
                let id = self.define("Classification", &c.id, false);
                let classified_object = self.reference(
                    &c.id,
                    &format!("Classification '{}' classifiedObject", c.id),
                    &c.classified_object,
                );
                RegistryObject::Classification(Classification {
                    id,
                    classified_object,
                    object_type: default_type(&c.object_type, vocab::OBJ_CLASSIFICATION),
                    ..c.clone()
                })
            }
            RegistryObject::ObjectRef(r) => {
                if let Err(e) = EntryUuid::parse(&r.id) {
                    self.report.metadata(
                        &r.id,
                        format!("ObjectRef '{}': an ObjectRef must name a registered object by its entryUUID: {e}", r.id),
                    );
                }
                return None;
            }
        })
    }

    fn association(&mut self, a: &Association) -> RegistryObject {
        let label = a.core.id.as_str();
        // An Association without id cannot be referenced, but nothing needs
        // to reference most of them: give it a fresh entryUUID.
        let core = self.core_with("Association", &a.core, Some(vocab::OBJ_ASSOCIATION), false);
        let source_object = self.endpoint(label, "sourceObject", &a.source_object);
        let target_object = self.endpoint(label, "targetObject", &a.target_object);
        RegistryObject::Association(Association {
            core,
            association_type: a.association_type.clone(),
            source_object,
            target_object,
        })
    }

    fn endpoint(&mut self, label: &str, attribute: &str, reference: &str) -> String {
        if reference.is_empty() {
            self.report.metadata(
                label,
                format!("Association '{label}': {attribute} is missing"),
            );
            return String::new();
        }
        self.reference(
            label,
            &format!("Association '{label}' {attribute}"),
            reference,
        )
    }

    fn core(
        &mut self,
        kind: &'static str,
        core: &ObjectCore,
        object_type: Option<&str>,
    ) -> ObjectCore {
        self.core_with(kind, core, object_type, true)
    }

    fn core_with(
        &mut self,
        kind: &'static str,
        core: &ObjectCore,
        object_type: Option<&str>,
        id_required: bool,
    ) -> ObjectCore {
        let id = self.define(kind, &core.id, id_required);
        let label = if core.id.is_empty() {
            id.clone()
        } else {
            core.id.clone()
        };
        let lid = match core.lid.as_deref() {
            None | Some("") => id.clone(),
            Some(lid) => {
                let resolved = self.reference(&label, &format!("{kind} '{label}' lid"), lid);
                if resolved != id && !self.allow_metadata_update {
                    self.report.metadata(
                        &label,
                        format!(
                            "{kind} '{label}': lid '{lid}' differs from the id; only Metadata Update (ITI-57) submits new versions of a registered object"
                        ),
                    );
                }
                resolved
            }
        };
        let classifications = core
            .classifications
            .iter()
            .map(|c| self.nested_classification(kind, &label, &id, c))
            .collect();
        let external_identifiers = core
            .external_identifiers
            .iter()
            .map(|e| self.external_identifier(kind, &label, &id, e))
            .collect();
        ObjectCore {
            id: id.clone(),
            lid: Some(lid),
            object_type: match object_type {
                Some(default) => default_type(&core.object_type, default),
                None => core.object_type.clone(),
            },
            status: Some(vocab::STATUS_APPROVED.to_owned()),
            // New objects are version 1; Metadata Update versions are the
            // registry's to compute.
            version_name: if self.allow_metadata_update {
                core.version_name.clone()
            } else {
                Some("1".to_owned())
            },
            classifications,
            external_identifiers,
            ..core.clone()
        }
    }

    fn nested_classification(
        &mut self,
        owner_kind: &str,
        owner_label: &str,
        owner: &str,
        c: &Classification,
    ) -> Classification {
        let id = self.define_nested("Classification", &c.id);
        let what = format!(
            "Classification '{}' inside {owner_kind} '{owner_label}'",
            c.id
        );
        self.check_owner(
            owner_label,
            &what,
            "classifiedObject",
            &c.classified_object,
            owner,
        );
        Classification {
            id,
            classified_object: owner.to_owned(),
            object_type: default_type(&c.object_type, vocab::OBJ_CLASSIFICATION),
            ..c.clone()
        }
    }

    fn external_identifier(
        &mut self,
        owner_kind: &str,
        owner_label: &str,
        owner: &str,
        e: &ExternalIdentifier,
    ) -> ExternalIdentifier {
        let id = self.define_nested("ExternalIdentifier", &e.id);
        let what = format!(
            "ExternalIdentifier '{}' inside {owner_kind} '{owner_label}'",
            e.id
        );
        self.check_owner(
            owner_label,
            &what,
            "registryObject",
            &e.registry_object,
            owner,
        );
        ExternalIdentifier {
            id,
            registry_object: owner.to_owned(),
            object_type: default_type(&e.object_type, vocab::OBJ_EXTERNAL_IDENTIFIER),
            ..e.clone()
        }
    }

    /// A nested element must describe the object it sits in; an empty
    /// reference is taken to mean the owner (the 2.1 syntax omitted it).
    fn check_owner(
        &mut self,
        location: &str,
        what: &str,
        attribute: &str,
        reference: &str,
        owner: &str,
    ) {
        if reference.is_empty() {
            return;
        }
        let resolved = self.reference(location, &format!("{what} {attribute}"), reference);
        // A dangling or malformed reference was reported by `reference`.
        if resolved != owner && EntryUuid::parse(&resolved).is_ok() {
            self.report.metadata(
                location,
                format!("{what}: {attribute} is '{reference}', not the object it is nested in"),
            );
        }
    }

    /// A nested Classification / ExternalIdentifier: a UUID id is kept
    /// (and must be unique), any other gets a fresh UUID of its own.
    fn define_nested(&mut self, kind: &str, original: &str) -> String {
        if has_uuid_prefix(original) {
            return self.define(kind, original, false);
        }
        let id: String = EntryUuid::generate().into();
        self.defined.insert(id.clone());
        if !original.is_empty() {
            self.map.originals.insert(id.clone(), original.to_owned());
        }
        id
    }

    /// Records a definition and returns the final id.
    fn define(&mut self, kind: &str, original: &str, required: bool) -> String {
        if original.is_empty() {
            if required {
                self.report.metadata(
                    kind,
                    format!("{kind} without id: every {kind} needs an id (a symbolic id or a urn:uuid entryUUID)"),
                );
            }
            return EntryUuid::generate().into();
        }
        let id = if has_uuid_prefix(original) {
            match EntryUuid::parse(original) {
                Ok(uuid) => uuid.into(),
                Err(e) => {
                    self.report
                        .metadata(original, format!("{kind} '{original}': {e}"));
                    original.to_owned()
                }
            }
        } else {
            // Every symbol was assigned in the first pass.
            self.map
                .assigned
                .get(original)
                .cloned()
                .unwrap_or_else(EntryUuid::generate)
                .into()
        };
        if !self.defined.insert(id.clone()) {
            self.report.metadata(
                original,
                format!(
                    "{kind} '{original}': the id is used by more than one object in this submission"
                ),
            );
        }
        self.map.originals.insert(id.clone(), original.to_owned());
        id
    }

    /// Resolves a reference to an object. A symbol nobody defines is a
    /// dangling reference; the unresolved text is returned so later rules
    /// can recognise it (and stay silent about it).
    fn reference(&mut self, location: &str, what: &str, reference: &str) -> String {
        if has_uuid_prefix(reference) {
            return match EntryUuid::parse(reference) {
                Ok(uuid) => uuid.into(),
                Err(e) => {
                    self.report.metadata(location, format!("{what}: {e}"));
                    reference.to_owned()
                }
            };
        }
        match self.map.assigned.get(reference) {
            Some(uuid) => uuid.as_str().to_owned(),
            None => {
                self.report.metadata(
                    location,
                    format!(
                        "{what} refers to '{reference}', which is neither an object in this submission nor a urn:uuid entryUUID"
                    ),
                );
                reference.to_owned()
            }
        }
    }
}

fn default_type(given: &Option<String>, default: &str) -> Option<String> {
    match given.as_deref() {
        None | Some("") => Some(default.to_owned()),
        Some(_) => given.clone(),
    }
}
