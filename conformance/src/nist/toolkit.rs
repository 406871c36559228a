//! What the toolkit engine does to a metadata file before sending it:
//! symbol substitution, forcing the test's patient id, fresh uniqueIds
//! (unless `NoAssignUids`), fresh entryUUIDs (`AssignUuids`), and the
//! bookkeeping later steps read back (`AssignedUids`, `AssignedUuids`,
//! `AssignedPatientId`).

use super::dom::Element;
use super::plan::UidAssignment;
use super::vocab;
use std::collections::BTreeMap;

/// Ids the toolkit recorded for one submission, keyed by the symbolic id
/// the metadata file gave the object (`Document01`, `SubmissionSet01`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assigned {
    pub uids: BTreeMap<String, String>,
    pub uuids: BTreeMap<String, String>,
    pub patient_ids: BTreeMap<String, String>,
}

/// Replaces each symbol (`$patientid$`, `orig_uuid`) by its value in every
/// attribute and text node, longest symbol first so `$uid$` cannot eat
/// part of `$uid2$`.
pub fn substitute(root: &mut Element, symbols: &BTreeMap<String, String>) {
    let mut ordered: Vec<(&String, &String)> = symbols.iter().collect();
    ordered.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(b.0)));
    for (from, to) in ordered {
        root.replace_text(from, to);
    }
}

/// The same, for text that is not XML (assertion XPath).
pub fn substitute_text(text: &str, symbols: &BTreeMap<String, String>) -> String {
    let mut ordered: Vec<(&String, &String)> = symbols.iter().collect();
    ordered.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(b.0)));
    let mut out = text.to_string();
    for (from, to) in ordered {
        if !from.is_empty() {
            out = out.replace(from.as_str(), to);
        }
    }
    out
}

/// The id of the object an ExternalIdentifier belongs to: its
/// `registryObject`, else the enclosing element's id.
fn owner_of(ei: &Element, parent_id: Option<&str>) -> Option<String> {
    parent_id
        .map(str::to_string)
        .or_else(|| ei.attr("registryObject").map(str::to_string))
}

/// Visits every ExternalIdentifier with the id of its owner.
fn for_each_external_identifier(
    root: &mut Element,
    f: &mut impl FnMut(&mut Element, Option<String>),
) {
    fn visit(
        e: &mut Element,
        parent_id: Option<String>,
        f: &mut impl FnMut(&mut Element, Option<String>),
    ) {
        if e.name == "ExternalIdentifier" {
            let owner = owner_of(e, parent_id.as_deref());
            f(e, owner);
            return;
        }
        let my_id = e.attr("id").map(str::to_string);
        for c in e.elements_mut() {
            visit(c, my_id.clone(), f);
        }
    }
    visit(root, None, f);
}

/// Without `<NoPatientId/>` the toolkit puts the test's patient id on every
/// DocumentEntry, SubmissionSet and Folder.
pub fn force_patient_id(root: &mut Element, patient_id: &str) {
    for_each_external_identifier(root, &mut |ei, _| {
        if ei
            .attr("identificationScheme")
            .is_some_and(vocab::is_patient_id_scheme)
        {
            ei.set_attr("value", patient_id);
        }
    });
}

/// Gives every DocumentEntry / SubmissionSet / Folder a fresh uniqueId,
/// except where `NoAssignUids` says otherwise; returns owner id -> uid.
pub fn assign_uids(
    root: &mut Element,
    policy: &UidAssignment,
    mut fresh: impl FnMut() -> String,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for_each_external_identifier(root, &mut |ei, owner| {
        if !ei
            .attr("identificationScheme")
            .is_some_and(vocab::is_unique_id_scheme)
        {
            return;
        }
        let owner = owner.unwrap_or_default();
        let skip = match policy {
            UidAssignment::All => false,
            UidAssignment::None => true,
            UidAssignment::AllExcept(ids) => ids.contains(&owner),
        };
        if !skip {
            let uid = fresh();
            ei.set_attr("value", &uid);
            out.insert(owner, uid);
        }
    });
    out
}

/// The uniqueId and patient id each object carries, keyed by owner id.
pub fn identifiers(root: &mut Element) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let mut uids = BTreeMap::new();
    let mut pids = BTreeMap::new();
    for_each_external_identifier(root, &mut |ei, owner| {
        let (Some(scheme), Some(value), Some(owner)) =
            (ei.attr("identificationScheme"), ei.attr("value"), owner)
        else {
            return;
        };
        if vocab::is_unique_id_scheme(scheme) {
            uids.insert(owner, value.to_string());
        } else if vocab::is_patient_id_scheme(scheme) {
            pids.insert(owner, value.to_string());
        }
    });
    (uids, pids)
}

/// `$symbol$` values still standing in patientId ExternalIdentifiers after
/// substitution (patients the test plan expects its orchestration to supply).
pub fn open_patient_symbols(root: &Element) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in root.descendants() {
        if e.name == "ExternalIdentifier"
            && e.attr("identificationScheme")
                .is_some_and(vocab::is_patient_id_scheme)
            && let Some(v) = e.attr("value")
            && v.len() > 2
            && v.starts_with('$')
            && v.ends_with('$')
            && !out.iter().any(|o| o == v)
        {
            out.push(v.to_string());
        }
    }
    out
}

const REGISTRY_OBJECTS: &[&str] = &[
    "ExtrinsicObject",
    "RegistryPackage",
    "Association",
    "Classification",
    "ExternalIdentifier",
];

const REFERENCE_ATTRS: &[&str] = &[
    "classifiedObject",
    "registryObject",
    "sourceObject",
    "targetObject",
    "lid",
];

/// `<AssignUuids/>`: every object with a symbolic id gets a fresh
/// `urn:uuid:` (each object its own, even where a file reuses a symbolic id
/// for unrelated Classifications), and references follow the first object
/// of that name; returns symbolic id -> UUID.
pub fn assign_uuids(root: &mut Element) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    root.walk_mut(&mut |e| {
        if REGISTRY_OBJECTS.contains(&e.name.as_str())
            && let Some(id) = e.attr("id")
            && !id.starts_with("urn:uuid:")
        {
            let uuid = format!("urn:uuid:{}", uuid::Uuid::new_v4());
            map.entry(id.to_string()).or_insert_with(|| uuid.clone());
            e.set_attr("id", &uuid);
        }
    });
    root.walk_mut(&mut |e| {
        for attr in REFERENCE_ATTRS {
            if let Some(v) = e.attr(attr)
                && let Some(u) = map.get(v)
            {
                let u = u.clone();
                e.set_attr(attr, &u);
            }
        }
    });
    map
}

/// Applies the toolkit's id and patient bookkeeping to a submission, in
/// the toolkit's order. `patient_id` None = `<NoPatientId/>`.
pub fn prepare_submission(
    root: &mut Element,
    patient_id: Option<&str>,
    uids: &UidAssignment,
    assign_uuid: bool,
    fresh_uid: impl FnMut() -> String,
) -> Assigned {
    if let Some(pid) = patient_id {
        force_patient_id(root, pid);
    }
    let assigned_uids = assign_uids(root, uids, fresh_uid);
    let (_, patient_ids) = identifiers(root);
    let uuids = if assign_uuid {
        assign_uuids(root)
    } else {
        BTreeMap::new()
    };
    Assigned {
        uids: assigned_uids,
        uuids,
        patient_ids,
    }
}

/// An OID under the UUID arc (2.25), at most 44 characters.
pub fn fresh_oid() -> String {
    format!("2.25.{}", uuid::Uuid::new_v4().as_u128())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const SUB: &str = r#"<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><rim:RegistryObjectList>
      <rim:ExtrinsicObject id="Document01" mimeType="text/plain" objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1">
        <rim:Classification id="cl1" classifiedObject="Document01" classificationScheme="urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a" nodeRepresentation="x"/>
        <rim:ExternalIdentifier id="ei1" registryObject="Document01" identificationScheme="urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427" value="$patientid$"/>
        <rim:ExternalIdentifier id="ei2" registryObject="Document01" identificationScheme="urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab" value="Document01"/>
      </rim:ExtrinsicObject>
      <rim:RegistryPackage id="SubmissionSet01">
        <rim:ExternalIdentifier id="ei3" registryObject="SubmissionSet01" identificationScheme="urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8" value="SubmissionSet01"/>
        <rim:ExternalIdentifier id="ei4" registryObject="SubmissionSet01" identificationScheme="urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446" value="$patientid$"/>
      </rim:RegistryPackage>
      <rim:Association id="a1" associationType="urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember" sourceObject="SubmissionSet01" targetObject="Document01"/>
      <rim:Association id="a2" associationType="urn:ihe:iti:2007:AssociationType:RPLC" sourceObject="Document01" targetObject="$rplc$"/>
    </rim:RegistryObjectList></lcm:SubmitObjectsRequest>"#;

    fn counter() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("1.2.3.{n}")
        }
    }

    #[test]
    fn substitution_prefers_the_longest_symbol() {
        let mut symbols = BTreeMap::new();
        symbols.insert("$uid$".to_string(), "A".to_string());
        symbols.insert("$uid2$".to_string(), "B".to_string());
        assert_eq!(substitute_text("'$uid$' '$uid2$'", &symbols), "'A' 'B'");
    }

    #[test]
    fn patient_id_uids_and_uuids_are_assigned_and_recorded() {
        let mut root = Element::parse(SUB).unwrap();
        let mut symbols = BTreeMap::new();
        symbols.insert("$rplc$".to_string(), "urn:uuid:0000".to_string());
        substitute(&mut root, &symbols);
        let a = prepare_submission(
            &mut root,
            Some("P1^^^&1.2&ISO"),
            &UidAssignment::All,
            true,
            counter(),
        );
        assert_eq!(
            a.uids.get("Document01").map(String::as_str),
            Some("1.2.3.1")
        );
        assert_eq!(
            a.uids.get("SubmissionSet01").map(String::as_str),
            Some("1.2.3.2")
        );
        assert_eq!(
            a.patient_ids.get("SubmissionSet01").map(String::as_str),
            Some("P1^^^&1.2&ISO")
        );
        let doc_uuid = a.uuids.get("Document01").unwrap();
        assert!(doc_uuid.starts_with("urn:uuid:"));
        let xml = root.to_xml();
        assert!(!xml.contains("\"Document01\""), "{xml}");
        assert!(!xml.contains("$patientid$"));
        assert!(xml.contains(&format!("targetObject=\"{doc_uuid}\"")));
        assert!(xml.contains(&format!("classifiedObject=\"{doc_uuid}\"")));
        assert!(
            xml.contains("targetObject=\"urn:uuid:0000\""),
            "substituted reference kept"
        );
        // Every registry object got a UUID, Classifications and ExternalIdentifiers too.
        assert!(
            root.descendants()
                .iter()
                .filter(|e| e.attr("id").is_some())
                .all(|e| e.attr("id").unwrap().starts_with("urn:uuid:")
                    || e.name == "RegistryObjectList")
        );
    }

    #[test]
    fn no_patient_id_keeps_the_file_values_and_no_assign_uids_one_object() {
        let mut root = Element::parse(SUB).unwrap();
        let a = prepare_submission(
            &mut root,
            None,
            &UidAssignment::AllExcept(vec!["Document01".into()]),
            false,
            counter(),
        );
        assert!(a.uuids.is_empty());
        assert_eq!(a.uids.len(), 1);
        assert_eq!(
            a.patient_ids.get("Document01").map(String::as_str),
            Some("$patientid$")
        );
        let (uids, _) = identifiers(&mut root);
        assert_eq!(
            uids.get("Document01").map(String::as_str),
            Some("Document01")
        );
    }

    #[test]
    fn reused_symbolic_ids_still_give_distinct_uuids() {
        let xml = r#"<l><ExtrinsicObject id="d"><Classification id="c1" classifiedObject="d"/></ExtrinsicObject><RegistryPackage id="s"><Classification id="c1" classifiedObject="s"/></RegistryPackage></l>"#;
        let mut root = Element::parse(xml).unwrap();
        let map = assign_uuids(&mut root);
        let ids: Vec<&str> = root
            .descendants()
            .into_iter()
            .filter(|e| e.name == "Classification")
            .filter_map(|e| e.attr("id"))
            .collect();
        assert_eq!(ids.len(), 2);
        assert_ne!(ids[0], ids[1]);
        assert_eq!(map.get("c1").map(String::as_str), Some(ids[0]));
    }

    #[test]
    fn open_patient_symbols_are_the_unbound_patient_ids() {
        let mut root = Element::parse(SUB).unwrap();
        assert_eq!(open_patient_symbols(&root), ["$patientid$"]);
        force_patient_id(&mut root, "P1^^^&1.2&ISO");
        assert!(open_patient_symbols(&root).is_empty());
    }

    #[test]
    fn fresh_oids_fit_the_64_character_limit() {
        let oid = fresh_oid();
        assert!(oid.len() <= 64 && oid.starts_with("2.25."));
        assert!(oid.chars().all(|c| c.is_ascii_digit() || c == '.'));
    }
}
