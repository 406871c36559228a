//! `ExpectedContents` of a stored query step: the shape of the returned
//! metadata, with the meaning the toolkit's validator gives each check
//! (counts, `SSwithOneDoc`-style patterns, statuses).

use super::dom::Element;
use super::vocab;

/// One registry object of a query result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Obj {
    pub id: String,
    pub status: String,
    pub object_type: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assoc {
    pub id: String,
    pub kind: String,
    pub source: String,
    pub target: String,
}

/// The objects of an AdhocQueryResponse, in document order.
#[derive(Debug, Clone, Default)]
pub struct QueryResult {
    pub documents: Vec<Obj>,
    pub submission_sets: Vec<Obj>,
    pub folders: Vec<Obj>,
    pub associations: Vec<Assoc>,
    pub object_refs: Vec<String>,
}

impl QueryResult {
    /// Reads the `RegistryObjectList` of a query response (any element of the
    /// document; absent list = empty result).
    pub fn from_response(doc: &roxmltree::Document<'_>) -> QueryResult {
        let mut r = QueryResult::default();
        let Some(list) = doc
            .descendants()
            .find(|n| n.has_tag_name((vocab::RIM, "RegistryObjectList")))
        else {
            return r;
        };
        // SubmissionSet / Folder are told apart by their classification node,
        // nested or at top level, or failing that by their uniqueId scheme.
        let node_of = |pkg_id: &str| -> Option<&str> {
            list.descendants()
                .filter(|n| n.has_tag_name((vocab::RIM, "Classification")))
                .filter(|n| n.attribute("classifiedObject") == Some(pkg_id))
                .find_map(|n| n.attribute("classificationNode"))
        };
        for n in list.children().filter(|n| n.is_element()) {
            let id = n.attribute("id").unwrap_or_default().to_string();
            let obj = Obj {
                id: id.clone(),
                status: n.attribute("status").unwrap_or_default().to_string(),
                object_type: n.attribute("objectType").unwrap_or_default().to_string(),
            };
            match n.tag_name().name() {
                "ExtrinsicObject" => r.documents.push(obj),
                "RegistryPackage" => {
                    let schemes: Vec<&str> = n
                        .children()
                        .filter(|c| c.has_tag_name((vocab::RIM, "ExternalIdentifier")))
                        .filter_map(|c| c.attribute("identificationScheme"))
                        .collect();
                    let is_folder = match node_of(&id) {
                        Some(node) => node.eq_ignore_ascii_case(vocab::FD_NODE),
                        None => schemes.iter().any(|s| {
                            s.eq_ignore_ascii_case(vocab::FD_UNIQUE_ID)
                                || s.eq_ignore_ascii_case(vocab::FD_PATIENT_ID)
                        }),
                    };
                    if is_folder {
                        r.folders.push(obj);
                    } else {
                        r.submission_sets.push(obj);
                    }
                }
                "Association" => r.associations.push(Assoc {
                    id,
                    kind: n
                        .attribute("associationType")
                        .unwrap_or_default()
                        .to_string(),
                    source: n.attribute("sourceObject").unwrap_or_default().to_string(),
                    target: n.attribute("targetObject").unwrap_or_default().to_string(),
                }),
                "ObjectRef" => r.object_refs.push(id),
                _ => {}
            }
        }
        r
    }
}

/// The result of one ExpectedContents check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    Pass,
    Fail(String),
    /// The check is not implemented here: reported, never counted as a pass.
    NotEvaluated(String),
}

/// `urn:...:StatusType:Approved` -> `Approved` (the toolkit strips the namespace).
fn short_status(s: &str) -> &str {
    s.rsplit(':').next().unwrap_or(s)
}

fn short_type(s: &str) -> &str {
    s.rsplit(':').next().unwrap_or(s)
}

struct Checker<'r> {
    r: &'r QueryResult,
    errors: Vec<String>,
}

impl Checker<'_> {
    fn err(&mut self, msg: String) {
        self.errors.push(msg);
    }

    fn count(&mut self, what: &str, found: usize, expected: usize) {
        if found != expected {
            self.err(format!("found {found} {what} instead of {expected}"));
        }
    }

    fn has_submission_set(&mut self) -> Option<String> {
        match self.r.submission_sets.first() {
            Some(s) => Some(s.id.clone()),
            None => {
                self.err("no SubmissionSet in the result".into());
                None
            }
        }
    }

    fn has_no_submission_set(&mut self) {
        if !self.r.submission_sets.is_empty() {
            self.err("a SubmissionSet was returned".into());
        }
    }

    /// The association (source, target, type), reporting when it is missing.
    fn assoc(&mut self, source: &str, target: &str, kind: &str) -> Option<Assoc> {
        let found = self
            .r
            .associations
            .iter()
            .find(|a| a.source == source && a.target == target && short_type(&a.kind) == kind)
            .cloned();
        if found.is_none() {
            self.err(format!("{kind} association {source} -> {target} missing"));
        }
        found
    }

    fn assoc_to_one_of(&mut self, source: &str, targets: &[String], kind: &str) -> Option<Assoc> {
        let found = self
            .r
            .associations
            .iter()
            .find(|a| {
                a.source == source && targets.contains(&a.target) && short_type(&a.kind) == kind
            })
            .cloned();
        if found.is_none() {
            self.err(format!(
                "{kind} association {source} -> one of {targets:?} missing"
            ));
        }
        found
    }

    fn doc_id(&self, i: usize) -> String {
        self.r
            .documents
            .get(i)
            .map(|d| d.id.clone())
            .unwrap_or_default()
    }

    fn folder_id(&self, i: usize) -> String {
        self.r
            .folders
            .get(i)
            .map(|d| d.id.clone())
            .unwrap_or_default()
    }

    fn ss_approved(&mut self) {
        match self.r.submission_sets.first() {
            None => self.err("no SubmissionSet in the result".into()),
            Some(ss) if short_status(&ss.status) != "Approved" => self.err(format!(
                "SubmissionSet {} has status {:?}, not Approved",
                ss.id, ss.status
            )),
            Some(_) => {}
        }
    }

    fn all_docs(&mut self, status: &str) {
        let bad: Vec<String> = self
            .r
            .documents
            .iter()
            .filter(|d| short_status(&d.status) != status)
            .map(|d| format!("{} is {:?}", d.id, d.status))
            .collect();
        if !bad.is_empty() {
            self.err(format!("DocumentEntries not {status}: {}", bad.join(", ")));
        }
    }

    fn one_doc(&mut self, status: &str) {
        let n = self
            .r
            .documents
            .iter()
            .filter(|d| short_status(&d.status) == status)
            .count();
        if n != 1 {
            self.err(format!("found {n} {status} DocumentEntries instead of one"));
        }
    }

    /// A SubmissionSet holding `docs` DocumentEntries and nothing else.
    fn ss_with_docs(&mut self, docs: usize) {
        let ss = self.has_submission_set();
        self.count("DocumentEntries", self.r.documents.len(), docs);
        self.count("Associations", self.r.associations.len(), docs);
        if self.errors.is_empty()
            && let Some(ss) = ss
        {
            for i in 0..docs {
                let d = self.doc_id(i);
                self.assoc(&ss, &d, "HasMember");
            }
        }
        self.ss_approved();
    }

    fn ss_with_one_fol(&mut self) {
        let ss = self.has_submission_set();
        self.count("DocumentEntries", self.r.documents.len(), 0);
        self.count("Folders", self.r.folders.len(), 1);
        if self.errors.is_empty()
            && let Some(ss) = ss
        {
            self.count("Associations", self.r.associations.len(), 1);
            let f = self.folder_id(0);
            self.assoc(&ss, &f, "HasMember");
        }
    }

    /// SubmissionSet with `docs` documents, one Folder holding `in_folder` of
    /// them, and the SubmissionSet -> (Folder-DocumentEntry) associations.
    fn ss_with_docs_and_folder(&mut self, docs: usize, in_folder: usize, assocs: usize) {
        let ss = self.has_submission_set();
        self.count("DocumentEntries", self.r.documents.len(), docs);
        self.count("Folders", self.r.folders.len(), 1);
        if !self.errors.is_empty() {
            return;
        }
        let Some(ss) = ss else { return };
        self.count("Associations", self.r.associations.len(), assocs);
        let folder = self.folder_id(0);
        for i in 0..docs {
            let d = self.doc_id(i);
            self.assoc(&ss, &d, "HasMember");
        }
        self.assoc(&ss, &folder, "HasMember");
        if in_folder == docs {
            for i in 0..docs {
                let d = self.doc_id(i);
                if let Some(fd) = self.assoc(&folder, &d, "HasMember") {
                    self.assoc(&ss, &fd.id, "HasMember");
                }
            }
        } else {
            let doc_ids: Vec<String> = (0..docs).map(|i| self.doc_id(i)).collect();
            if let Some(fd) = self.assoc_to_one_of(&folder, &doc_ids, "HasMember") {
                self.assoc(&ss, &fd.id, "HasMember");
            }
        }
    }

    fn none(&mut self) {
        self.has_no_submission_set();
        self.count("DocumentEntries", self.r.documents.len(), 0);
        self.count("Folders", self.r.folders.len(), 0);
        if self.errors.is_empty() {
            self.count("Associations", self.r.associations.len(), 0);
        }
    }
}

fn count_attr(e: &Element) -> Result<usize, String> {
    e.attr("count")
        .ok_or_else(|| format!("{} without count", e.name))?
        .trim()
        .parse()
        .map_err(|_| format!("{} count {:?}", e.name, e.attr("count")))
}

/// Evaluates one ExpectedContents child. `resolve` turns a nested
/// `<UseId>` (in `DocumentEntries`) into the id it names.
pub fn check(
    e: &Element,
    r: &QueryResult,
    resolve: &mut dyn FnMut(&Element) -> Result<String, String>,
) -> Check {
    let mut c = Checker {
        r,
        errors: Vec::new(),
    };
    let counted = |c: &mut Checker, what: &str, found: usize| match count_attr(e) {
        Ok(n) => c.count(what, found, n),
        Err(msg) => c.err(msg),
    };
    match e.name.as_str() {
        "SSwithOneDoc" => c.ss_with_docs(1),
        "SSwithTwoDoc" => c.ss_with_docs(2),
        "SSwithOneFol" => c.ss_with_one_fol(),
        "SSwithOneDocOneFol" => c.ss_with_docs_and_folder(1, 1, 4),
        "SSwithTwoDocOneFol" => c.ss_with_docs_and_folder(2, 2, 7),
        "SSwithTwoDocOneFolOneDocInFol" => c.ss_with_docs_and_folder(2, 1, 5),
        "SSApproved" => c.ss_approved(),
        "DocApp" => c.all_docs("Approved"),
        "DocDep" => c.all_docs("Deprecated"),
        "OneDocApp" => c.one_doc("Approved"),
        "OneDocDep" => c.one_doc("Deprecated"),
        "FolApp" => {
            let bad: Vec<String> = r
                .folders
                .iter()
                .filter(|f| short_status(&f.status) != "Approved")
                .map(|f| f.id.clone())
                .collect();
            if !bad.is_empty() {
                c.err(format!("Folders not Approved: {}", bad.join(", ")));
            }
        }
        "HasXFRM_RPLC" => {
            if !r.associations.iter().any(|a| a.kind == vocab::XFRM_RPLC) {
                c.err("no XFRM_RPLC association in the result".into());
            }
        }
        "None" => c.none(),
        "ObjectRefs" => {
            counted(&mut c, "ObjectRefs", r.object_refs.len());
            c.has_no_submission_set();
            c.count("DocumentEntries", r.documents.len(), 0);
            c.count("Folders", r.folders.len(), 0);
            c.count("Associations", r.associations.len(), 0);
        }
        "Documents" => counted(&mut c, "DocumentEntries", r.documents.len()),
        "Folders" => counted(&mut c, "Folders", r.folders.len()),
        "SubmissionSets" => counted(&mut c, "SubmissionSets", r.submission_sets.len()),
        "Associations" => counted(&mut c, "Associations", r.associations.len()),
        "DocumentEntries" => {
            if e.attr("count").is_some() {
                counted(&mut c, "DocumentEntries", r.documents.len());
            }
            for part in e.elements() {
                match part.name.as_str() {
                    "MustOnlyInclude" | "Include" | "Exclude" => {
                        let mut matched = 0;
                        for de in part.elements().filter(|x| x.name == "DocumentEntry") {
                            let mut found: Option<&Obj> = None;
                            for ins in de.elements() {
                                match ins.name.as_str() {
                                    "UseId" => match resolve(ins) {
                                        Ok(id) => {
                                            found = r.documents.iter().find(|d| d.id == id);
                                            match (part.name.as_str(), found.is_some()) {
                                                ("Exclude", true) => {
                                                    c.err(format!("{id} must not be returned"))
                                                }
                                                ("Exclude", false) => {}
                                                (_, true) => matched += 1,
                                                (_, false) => {
                                                    c.err(format!("{id} was not returned"))
                                                }
                                            }
                                        }
                                        Err(msg) => c.err(msg),
                                    },
                                    "DocumentEntryType" => {
                                        let want = ins.text().trim().to_string();
                                        if let Some(d) = found
                                            && d.object_type != want
                                        {
                                            c.err(format!(
                                                "{} has objectType {:?}, expected {want}",
                                                d.id, d.object_type
                                            ));
                                        }
                                    }
                                    other => {
                                        return Check::NotEvaluated(format!(
                                            "DocumentEntry/{other}"
                                        ));
                                    }
                                }
                            }
                        }
                        if part.name == "MustOnlyInclude" && matched != r.documents.len() {
                            c.err(format!(
                                "{} DocumentEntries returned, {matched} of them expected",
                                r.documents.len()
                            ));
                        }
                    }
                    "DocumentEntryType" => {
                        let want = part.text().trim().to_string();
                        for d in &r.documents {
                            if d.object_type != want {
                                c.err(format!(
                                    "{} has objectType {:?}, expected {want}",
                                    d.id, d.object_type
                                ));
                            }
                        }
                    }
                    other => return Check::NotEvaluated(format!("DocumentEntries/{other}")),
                }
            }
        }
        other => {
            return Check::NotEvaluated(format!("ExpectedContents/{other} is not implemented"));
        }
    }
    if c.errors.is_empty() {
        Check::Pass
    } else {
        Check::Fail(format!("{}: {}", e.name, c.errors.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn response(objects: &str) -> String {
        format!(
            r#"<query:AdhocQueryResponse xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0" status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"><rim:RegistryObjectList>{objects}</rim:RegistryObjectList></query:AdhocQueryResponse>"#
        )
    }

    const APPROVED: &str = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved";

    fn ss(id: &str) -> String {
        format!(
            r#"<rim:RegistryPackage id="{id}" status="{APPROVED}"/><rim:Classification id="c{id}" classifiedObject="{id}" classificationNode="urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"/>"#
        )
    }

    fn fol(id: &str) -> String {
        format!(
            r#"<rim:RegistryPackage id="{id}" status="{APPROVED}"><rim:Classification id="c{id}" classifiedObject="{id}" classificationNode="urn:uuid:d9d542f3-6cc4-48b6-8870-ea235fbc94c2"/></rim:RegistryPackage>"#
        )
    }

    fn doc(id: &str, status: &str) -> String {
        format!(
            r#"<rim:ExtrinsicObject id="{id}" status="urn:oasis:names:tc:ebxml-regrep:StatusType:{status}" objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"/>"#
        )
    }

    fn hm(id: &str, s: &str, t: &str) -> String {
        format!(
            r#"<rim:Association id="{id}" associationType="urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember" sourceObject="{s}" targetObject="{t}"/>"#
        )
    }

    fn run(check_xml: &str, objects: &str) -> Check {
        let xml = response(objects);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let r = QueryResult::from_response(&doc);
        let e = Element::parse(check_xml).unwrap();
        check(&e, &r, &mut |u| {
            Ok(u.attr("id").unwrap_or_default().to_string())
        })
    }

    #[test]
    fn ss_with_one_doc() {
        let objs = format!(
            "{}{}{}",
            ss("ss"),
            doc("d1", "Approved"),
            hm("a1", "ss", "d1")
        );
        assert_eq!(run("<SSwithOneDoc/>", &objs), Check::Pass);
        let missing_assoc = format!("{}{}", ss("ss"), doc("d1", "Approved"));
        assert!(matches!(
            run("<SSwithOneDoc/>", &missing_assoc),
            Check::Fail(_)
        ));
    }

    #[test]
    fn ss_with_one_doc_one_folder_needs_the_ss_to_folder_doc_link() {
        let base = format!(
            "{}{}{}{}{}{}",
            ss("ss"),
            doc("d1", "Approved"),
            fol("f1"),
            hm("a1", "ss", "d1"),
            hm("a2", "ss", "f1"),
            hm("a3", "f1", "d1")
        );
        assert!(matches!(
            run("<SSwithOneDocOneFol/>", &base),
            Check::Fail(_)
        ));
        let full = format!("{base}{}", hm("a4", "ss", "a3"));
        assert_eq!(run("<SSwithOneDocOneFol/>", &full), Check::Pass);
    }

    #[test]
    fn counts_and_statuses() {
        let objs = format!("{}{}", doc("d1", "Approved"), doc("d2", "Deprecated"));
        assert_eq!(run(r#"<Documents count="2"/>"#, &objs), Check::Pass);
        assert!(matches!(
            run(r#"<Documents count="1"/>"#, &objs),
            Check::Fail(_)
        ));
        assert!(matches!(run("<DocApp/>", &objs), Check::Fail(_)));
        assert_eq!(run("<OneDocDep/>", &objs), Check::Pass);
        assert_eq!(run(r#"<Folders count="0"/>"#, &objs), Check::Pass);
    }

    #[test]
    fn none_and_object_refs() {
        assert_eq!(run("<None/>", ""), Check::Pass);
        assert!(matches!(
            run("<None/>", &doc("d1", "Approved")),
            Check::Fail(_)
        ));
        let refs = r#"<rim:ObjectRef id="urn:uuid:1"/><rim:ObjectRef id="urn:uuid:2"/>"#;
        assert_eq!(run(r#"<ObjectRefs count="2"/>"#, refs), Check::Pass);
    }

    #[test]
    fn must_only_include() {
        let objs = doc("Document01", "Approved");
        let xml = r#"<DocumentEntries><MustOnlyInclude><DocumentEntry><UseId id="Document01"/><DocumentEntryType>urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1</DocumentEntryType></DocumentEntry></MustOnlyInclude></DocumentEntries>"#;
        assert_eq!(run(xml, &objs), Check::Pass);
        let two = format!("{objs}{}", doc("d2", "Approved"));
        assert!(matches!(run(xml, &two), Check::Fail(_)));
    }

    #[test]
    fn unknown_checks_are_not_passed() {
        assert!(matches!(run("<Mystery/>", ""), Check::NotEvaluated(_)));
    }
}
