//! ebXML Registry 2.1 submissions -> ebRIM 3.0, as the NIST toolkit does
//! before sending when a test plan says `<XDSb/>` (INDEX.md lists the rules).

use super::NistError;
use super::dom::{Element, Node};
use super::vocab;
use std::collections::HashSet;

/// Which ebXML generation a metadata file is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// `urn:oasis:names:tc:ebxml-regrep:registry:xsd:2.1` root.
    Ebxml21,
    /// Anything else (ebRIM 3.0 submissions, queries, retrieve requests).
    Current,
}

pub fn syntax_of(root: &Element) -> Syntax {
    if root.ns.as_deref() == Some(vocab::RS21) || root.ns.as_deref() == Some(vocab::RIM21) {
        Syntax::Ebxml21
    } else {
        Syntax::Current
    }
}

/// Converts a metadata document to ebRIM 3.0 when it is 2.1; 3.0 documents
/// are returned untouched.
pub fn normalize(root: Element) -> Result<Element, NistError> {
    match syntax_of(&root) {
        Syntax::Ebxml21 => to_ebrim30(root),
        Syntax::Current => Ok(root),
    }
}

/// Converts an ebXML 2.1 `rs:SubmitObjectsRequest` to an `lcm:SubmitObjectsRequest`.
pub fn to_ebrim30(root: Element) -> Result<Element, NistError> {
    if !root.is(vocab::RS21, "SubmitObjectsRequest") {
        return Err(NistError::Conversion(format!(
            "expected a 2.1 rs:SubmitObjectsRequest, found {{{}}}{}",
            root.ns.as_deref().unwrap_or(""),
            root.name
        )));
    }
    let mut ids = IdGen::new(&root);
    let mut out = Element::new(Some(vocab::LCM), "SubmitObjectsRequest");
    for child in root.elements() {
        if child.name == "LeafRegistryObjectList" || child.name == "RegistryObjectList" {
            let mut list = Element::new(Some(vocab::RIM), "RegistryObjectList");
            for obj in child.elements() {
                if obj.name == "ObjectRef" && obj.attr("id").is_some_and(vocab::is_standard_uuid) {
                    // 2.1 needed refs to the XDS classification schemes; 3.0 does not.
                    continue;
                }
                list.children
                    .push(Node::Element(convert_object(obj, None, &mut ids)));
            }
            out.children.push(Node::Element(list));
        }
    }
    Ok(out)
}

/// Generates symbolic ids that do not collide with ids already in the document.
struct IdGen {
    taken: HashSet<String>,
    next: usize,
}

impl IdGen {
    fn new(root: &Element) -> IdGen {
        let taken = root
            .descendants()
            .into_iter()
            .filter_map(|e| e.attr("id").map(str::to_string))
            .collect();
        IdGen { taken, next: 0 }
    }

    fn fresh(&mut self, kind: &str) -> String {
        loop {
            self.next += 1;
            let id = format!("{kind}{:02}", self.next);
            if self.taken.insert(id.clone()) {
                return id;
            }
        }
    }
}

/// Converts one registry object (and its nested Classifications /
/// ExternalIdentifiers); `owner` is the id of the enclosing object.
fn convert_object(obj: &Element, owner: Option<&str>, ids: &mut IdGen) -> Element {
    let mut el = Element::new(Some(vocab::RIM), &obj.name);
    el.attrs = obj.attrs.clone();
    let is_registry_object = matches!(
        obj.name.as_str(),
        "ExtrinsicObject"
            | "RegistryPackage"
            | "Association"
            | "Classification"
            | "ExternalIdentifier"
    );
    if is_registry_object && el.attr("id").is_none() {
        let id = ids.fresh(match obj.name.as_str() {
            "Classification" => "Classification",
            "ExternalIdentifier" => "ExternalIdentifier",
            "Association" => "Association",
            other => other,
        });
        el.set_attr("id", &id);
    }
    if let Some(status) = el.attr("status").map(str::to_string) {
        el.set_attr("status", &vocab::status_urn(&status));
    }
    match obj.name.as_str() {
        "Association" => {
            if let Some(t) = el.attr("associationType").map(str::to_string) {
                el.set_attr("associationType", &vocab::association_type_urn(&t));
            }
        }
        "Classification" => {
            if el.attr("classifiedObject").is_none()
                && let Some(o) = owner
            {
                el.set_attr("classifiedObject", o);
            }
        }
        "ExternalIdentifier" => {
            if el.attr("registryObject").is_none()
                && let Some(o) = owner
            {
                el.set_attr("registryObject", o);
            }
        }
        _ => {}
    }
    let my_id = el.attr("id").map(str::to_string);
    if is_registry_object {
        // 2.1 puts Name/Description before Slots; 3.0 wants Slot*, Name?,
        // Description?, VersionInfo?, Classification*, ExternalIdentifier*.
        const ORDER: &[&str] = &[
            "Slot",
            "Name",
            "Description",
            "VersionInfo",
            "Classification",
            "ExternalIdentifier",
            "ContentVersionInfo",
        ];
        let kids: Vec<&Element> = obj.elements().collect();
        let rank = |e: &Element| {
            ORDER
                .iter()
                .position(|n| *n == e.name)
                .unwrap_or(ORDER.len())
        };
        let mut sorted = kids;
        sorted.sort_by_key(|e| rank(e));
        for k in sorted {
            let converted = match k.name.as_str() {
                "Classification" | "ExternalIdentifier" => convert_object(k, my_id.as_deref(), ids),
                _ => rename_namespace(k),
            };
            el.children.push(Node::Element(converted));
        }
    } else {
        for c in &obj.children {
            match c {
                Node::Element(k) => el.children.push(Node::Element(rename_namespace(k))),
                Node::Text(t) => el.children.push(Node::Text(t.clone())),
            }
        }
    }
    el
}

/// Moves a subtree from the 2.1 rim namespace to the 3.0 one, dropping the
/// indentation whitespace between elements.
fn rename_namespace(e: &Element) -> Element {
    let mut out = Element::new(
        match e.ns.as_deref() {
            Some(vocab::RIM21) => Some(vocab::RIM),
            other => other,
        },
        &e.name,
    );
    out.attrs = e.attrs.clone();
    let has_elements = e.elements().next().is_some();
    for c in &e.children {
        match c {
            Node::Element(k) => out.children.push(Node::Element(rename_namespace(k))),
            Node::Text(t) if !(has_elements && t.trim().is_empty()) => {
                out.children.push(Node::Text(t.clone()))
            }
            Node::Text(_) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const SMALL: &str = r#"<rs:SubmitObjectsRequest xmlns:rs="urn:oasis:names:tc:ebxml-regrep:registry:xsd:2.1">
   <rim:LeafRegistryObjectList xmlns:rim="urn:oasis:names:tc:ebxml-regrep:rim:xsd:2.1">
      <rim:ObjectRef id="urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"/>
      <rim:ExtrinsicObject id="Document01" objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1" mimeType="text/plain" status="Approved">
         <rim:Name><rim:LocalizedString value="Physical"/></rim:Name>
         <rim:Slot name="creationTime"><rim:ValueList><rim:Value>20051224</rim:Value></rim:ValueList></rim:Slot>
         <rim:Classification classifiedObject="Document01" nodeRepresentation="REPORTS" classificationScheme="urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a">
            <rim:Name><rim:LocalizedString value="Reports"/></rim:Name>
            <rim:Slot name="codingScheme"><rim:ValueList><rim:Value>1.3.6.1.4.1.19376.1.2.6.1</rim:Value></rim:ValueList></rim:Slot>
         </rim:Classification>
         <rim:ExternalIdentifier value="Document01" identificationScheme="urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab">
            <rim:Name><rim:LocalizedString value="XDSDocumentEntry.uniqueId"/></rim:Name>
         </rim:ExternalIdentifier>
      </rim:ExtrinsicObject>
      <rim:Association targetObject="Document01" sourceObject="SubmissionSet01" associationType="HasMember"/>
      <rim:Association targetObject="$rplc_doc_uuid$" sourceObject="Document01" associationType="RPLC"/>
      <rim:ObjectRef id="$rplc_doc_uuid$"/>
   </rim:LeafRegistryObjectList>
</rs:SubmitObjectsRequest>"#;

    fn convert(xml: &str) -> Element {
        to_ebrim30(Element::parse(xml).unwrap()).unwrap()
    }

    #[test]
    fn converts_root_list_and_namespaces() {
        let out = convert(SMALL);
        assert!(out.is(vocab::LCM, "SubmitObjectsRequest"));
        let list = out.child("RegistryObjectList").unwrap();
        assert_eq!(list.ns.as_deref(), Some(vocab::RIM));
        assert!(
            out.descendants()
                .iter()
                .all(|e| e.ns.as_deref() != Some(vocab::RIM21))
        );
    }

    #[test]
    fn drops_only_the_standard_object_refs() {
        let out = convert(SMALL);
        let refs: Vec<&str> = out
            .child("RegistryObjectList")
            .unwrap()
            .elements()
            .filter(|e| e.name == "ObjectRef")
            .filter_map(|e| e.attr("id"))
            .collect();
        assert_eq!(refs, ["$rplc_doc_uuid$"]);
    }

    #[test]
    fn association_types_become_urns_and_get_ids() {
        let out = convert(SMALL);
        let assocs: Vec<&Element> = out
            .descendants()
            .into_iter()
            .filter(|e| e.name == "Association")
            .collect();
        assert_eq!(
            assocs[0].attr("associationType"),
            Some("urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember")
        );
        assert_eq!(
            assocs[1].attr("associationType"),
            Some("urn:ihe:iti:2007:AssociationType:RPLC")
        );
        assert!(assocs.iter().all(|a| a.attr("id").is_some()));
        assert_ne!(assocs[0].attr("id"), assocs[1].attr("id"));
    }

    #[test]
    fn nested_objects_get_ids_and_owner_references() {
        let out = convert(SMALL);
        let eo = out
            .descendants()
            .into_iter()
            .find(|e| e.name == "ExtrinsicObject")
            .unwrap();
        assert_eq!(
            eo.attr("status"),
            Some("urn:oasis:names:tc:ebxml-regrep:StatusType:Approved")
        );
        let ei = eo.child("ExternalIdentifier").unwrap();
        assert_eq!(ei.attr("registryObject"), Some("Document01"));
        assert!(ei.attr("id").is_some());
        assert!(eo.child("Classification").unwrap().attr("id").is_some());
    }

    #[test]
    fn slots_come_before_name_as_ebrim_3_requires() {
        let out = convert(SMALL);
        let eo = out
            .descendants()
            .into_iter()
            .find(|e| e.name == "ExtrinsicObject")
            .unwrap();
        let order: Vec<&str> = eo.elements().map(|e| e.name.as_str()).collect();
        assert_eq!(
            order,
            ["Slot", "Name", "Classification", "ExternalIdentifier"]
        );
        let cl = eo.child("Classification").unwrap();
        let order: Vec<&str> = cl.elements().map(|e| e.name.as_str()).collect();
        assert_eq!(order, ["Slot", "Name"]);
    }

    #[test]
    fn text_values_survive() {
        let out = convert(SMALL);
        let v = out
            .descendants()
            .into_iter()
            .find(|e| e.name == "Value")
            .unwrap();
        assert_eq!(v.text(), "20051224");
    }

    fn ebxml21_files() -> Vec<std::path::PathBuf> {
        let root = std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/conformance/xds/nist-tests"
        ));
        let mut out = Vec::new();
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "xml") {
                    let text = std::fs::read_to_string(&p).unwrap_or_default();
                    if text.contains(vocab::RS21) {
                        out.push(p);
                    }
                }
            }
        }
        out.sort();
        out
    }

    /// Every 2.1 submission in the NIST copy converts to an
    /// lcm:SubmitObjectsRequest that lcm.xsd accepts.
    #[test]
    fn every_nist_2_1_submission_converts_to_valid_ebrim_3() {
        let files = ebxml21_files();
        assert!(files.len() >= 280, "{} files", files.len());
        let out_dir =
            std::env::temp_dir().join(format!("nist-convert-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&out_dir).unwrap();
        let mut written = Vec::new();
        for (i, f) in files.iter().enumerate() {
            let text = std::fs::read_to_string(f).unwrap();
            let root = Element::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            assert_eq!(syntax_of(&root), Syntax::Ebxml21, "{}", f.display());
            let converted = to_ebrim30(root).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            let xml = converted.to_xml();
            // Every registry object must carry an id, as rim 3.0 requires.
            for e in converted.descendants() {
                if matches!(
                    e.name.as_str(),
                    "Classification" | "ExternalIdentifier" | "Association"
                ) {
                    assert!(
                        e.attr("id").is_some(),
                        "{}: {} without id",
                        f.display(),
                        e.name
                    );
                }
            }
            let path = out_dir.join(format!("{i}.xml"));
            std::fs::write(&path, xml).unwrap();
            written.push(path);
        }
        let schemas = std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/conformance/schemas"
        ));
        let out = std::process::Command::new("xmllint")
            .args(["--nonet", "--noout", "--schema"])
            .arg(schemas.join("ihe-iti/schema/ebRS/lcm.xsd"))
            .args(&written)
            .env("XML_CATALOG_FILES", schemas.join("catalog.xml"))
            .output()
            .expect("xmllint (libxml2-utils) is needed");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let failures: Vec<&str> = stderr
            .lines()
            .filter(|l| !l.ends_with(" validates"))
            .collect();
        let _ = std::fs::remove_dir_all(&out_dir);
        assert!(
            out.status.success() && failures.is_empty(),
            "{}",
            failures.join("\n")
        );
    }

    #[test]
    fn ebrim_3_documents_pass_through() {
        let xml = r#"<query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0"/>"#;
        let e = Element::parse(xml).unwrap();
        assert_eq!(normalize(e.clone()).unwrap(), e);
    }
}
