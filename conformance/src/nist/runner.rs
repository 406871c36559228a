//! Plays the toolkit's part: runs the in-scope test plans in dependency
//! order against a hub, keeping what each step produced (assigned ids,
//! reports, request and reply) for the steps and tests that read it back.

use super::contents::{self, Check, QueryResult};
use super::convert;
use super::dom::Element;
use super::exchange::{self, Reply};
use super::index::{self, IndexEntry};
use super::plan::{
    self, Instructions, Section, StepAction, TestCase, TestStep, Transaction, TransactionKind,
    UseId, UseReport,
};
use super::raw;
use super::report::{Outcome, RunReport, Scope, StepResult, TestResult};
use super::toolkit::{self, Assigned};
use super::vocab;
use super::xpath;
use crate::client::HubClient;
use crate::harness::TestHub;
use anyhow::{Context, Result};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// What to replay.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// The `nist-tests` folder (with INDEX.md).
    pub tests_dir: PathBuf,
    /// Test ids to run (plus the tests they read from); empty = every in-scope test.
    pub only: Vec<String>,
    /// Where to write each step's request and reply (for debugging), if anywhere.
    pub trace_dir: Option<PathBuf>,
}

/// The `nist-tests` folder of the shared conformance material.
pub fn default_tests_dir() -> PathBuf {
    crate::xsd::conformance_dir().join("xds/nist-tests")
}

/// Starts the hub the replay runs against. The toolkit submits for many
/// sources (its metadata names their sourceIds and authorInstitutions), so
/// the demo facility is allowed to act for any organisation, as the hub's
/// `[policy.allow_on_behalf_of]` provides for conformance tools.
pub async fn start_hub() -> Result<TestHub> {
    TestHub::start_with(|settings| {
        // `init` issues the demo facility as <root>.10.1, next to repository <root>.2.
        if let Some(root) = settings.repository_unique_id.strip_suffix(".2") {
            let demo = format!("{root}.10.1");
            settings.policy.allow_on_behalf_of(&demo, &["*"]);
        }
    })
    .await
}

/// What one step left behind for later steps.
#[derive(Debug, Clone, Default)]
pub struct StepRecord {
    pub transaction: String,
    pub reports: BTreeMap<String, String>,
    pub assigned: Assigned,
    /// The request metadata (the toolkit's `InputMetadata`).
    pub input: Option<String>,
    /// The reply body (the toolkit's `Result`).
    pub result: Option<String>,
    /// ITI-41: the bytes sent under each document uniqueId.
    pub documents: BTreeMap<String, Vec<u8>>,
}

type StepKey = (String, String, String);

#[derive(Default)]
struct Ledger {
    steps: HashMap<StepKey, StepRecord>,
    order: Vec<StepKey>,
}

impl Ledger {
    fn get(&self, test: &str, section: &str, step: &str) -> Option<&StepRecord> {
        self.steps
            .get(&(test.to_string(), section.to_string(), step.to_string()))
    }

    /// The latest run of a step id anywhere in a test (for UseIds that name
    /// a step of another section without saying which).
    fn latest_in_test(&self, test: &str, step: &str) -> Option<&StepRecord> {
        self.order
            .iter()
            .rev()
            .find(|(t, _, s)| t == test && s == step)
            .and_then(|k| self.steps.get(k))
    }

    /// The bytes an earlier ITI-41 step sent under this uniqueId.
    fn submitted(&self, unique_id: &str) -> Option<&Vec<u8>> {
        self.order
            .iter()
            .rev()
            .filter_map(|k| self.steps.get(k))
            .find_map(|r| r.documents.get(unique_id))
    }

    fn put(&mut self, key: StepKey, rec: StepRecord) {
        self.order.retain(|k| *k != key);
        self.order.push(key.clone());
        self.steps.insert(key, rec);
    }
}

/// The state of one test run: the toolkit's current patient id.
struct TestState {
    patient_id: String,
    /// Patient symbols left open by the test plan (`$patient_id1$`), each
    /// bound to a fed patient id, as the toolkit's orchestration does.
    open_patients: BTreeMap<String, String>,
}

/// The steps of the section being run, for `DataRef file="THIS"` assertions.
struct SectionLog {
    steps: Vec<(String, StepRecord)>,
}

impl SectionLog {
    /// The section log as the toolkit writes it (log.xml), for XPath.
    fn to_xml(&self) -> String {
        let mut s = String::from("<TestResults>");
        for (id, rec) in &self.steps {
            let tx = if rec.transaction.is_empty() {
                "Transaction"
            } else {
                rec.transaction.as_str()
            };
            s.push_str(&format!(
                "<TestStep id=\"{}\"><{tx}>",
                super::dom::escape(id)
            ));
            if let Some(i) = &rec.input {
                s.push_str(&format!("<InputMetadata>{i}</InputMetadata>"));
            }
            if let Some(r) = &rec.result {
                s.push_str(&format!("<Result>{r}</Result>"));
            }
            s.push_str(&format!("</{tx}></TestStep>"));
        }
        s.push_str("</TestResults>");
        s
    }
}

/// Runs the NIST replay against `hub` and returns the results (in INDEX.md order).
pub async fn replay(hub: &TestHub, opts: &ReplayOptions) -> Result<RunReport> {
    let index = index::load_index(&opts.tests_dir.join("INDEX.md"))?;
    let mut cases: BTreeMap<String, (TestCase, Scope, String)> = BTreeMap::new();
    for entry in &index {
        let dir = opts.tests_dir.join(&entry.test);
        if !dir.is_dir() {
            continue;
        }
        let extra = extra_sections(entry, &dir);
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        let tc = plan::load_test(&dir, &extra)
            .with_context(|| format!("loading test {}", entry.test))?;
        let scope = index::scope_of(&tc);
        cases.insert(entry.test.clone(), (tc, scope, entry.title.clone()));
    }
    for id in &opts.only {
        if !cases.contains_key(id) {
            anyhow::bail!(
                "test {id} is not in {}",
                opts.tests_dir.join("INDEX.md").display()
            );
        }
    }
    let selected: Vec<String> = if opts.only.is_empty() {
        index.iter().map(|e| e.test.clone()).collect()
    } else {
        opts.only.clone()
    };
    let order = run_order(&selected, &cases);
    let mut replay = Replay::new(hub)?;
    if let Some(dir) = &opts.trace_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        replay.trace_dir = Some(dir.clone());
    }
    let mut results: HashMap<String, TestResult> = HashMap::new();
    for id in &order {
        let Some((tc, scope, title)) = cases.get(id) else {
            continue;
        };
        if *scope != Scope::InScope {
            continue;
        }
        let mut r = replay.run_test(tc).await;
        r.title = title.clone();
        results.insert(id.clone(), r);
    }
    let mut report = RunReport {
        tests: Vec::new(),
        database: if std::env::var("RENKEI_TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
            "postgresql".into()
        } else {
            "sqlite".into()
        },
    };
    for entry in &index {
        if let Some(r) = results.remove(&entry.test) {
            report.tests.push(r);
        } else if opts.only.is_empty()
            && let Some((_, scope, title)) = cases.get(&entry.test)
            && *scope != Scope::InScope
        {
            report.tests.push(TestResult {
                id: entry.test.clone(),
                title: title.clone(),
                scope: scope.clone(),
                steps: Vec::new(),
                supplementary: Vec::new(),
                notes: Vec::new(),
            });
        }
    }
    Ok(report)
}

/// Sections INDEX.md gives outcomes for although index.idx does not list them.
fn extra_sections(entry: &IndexEntry, dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (section, _, _) in &entry.non_success {
        if dir.join(section).join("testplan.xml").is_file() && !out.contains(section) {
            out.push(section.clone());
        }
    }
    out
}

/// Selected in-scope tests, each after the tests it reads from.
fn run_order(
    selected: &[String],
    cases: &BTreeMap<String, (TestCase, Scope, String)>,
) -> Vec<String> {
    fn visit(
        id: &str,
        cases: &BTreeMap<String, (TestCase, Scope, String)>,
        seen: &mut HashSet<String>,
        out: &mut Vec<String>,
    ) {
        if !seen.insert(id.to_string()) {
            return;
        }
        let Some((tc, scope, _)) = cases.get(id) else {
            return;
        };
        if *scope != Scope::InScope {
            return;
        }
        for dep in tc.dependencies() {
            visit(&dep, cases, seen, out);
        }
        out.push(id.to_string());
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for id in selected {
        visit(id, cases, &mut seen, &mut out);
    }
    out
}

/// Finds a file a test plan names: relative to the section, else to the test.
fn find_file(section_dir: &Path, test_dir: &Path, name: &str) -> Result<PathBuf, String> {
    let mut candidates = vec![section_dir.join(name), test_dir.join(name)];
    if let Some(base) = Path::new(name).file_name() {
        candidates.push(test_dir.join(base));
    }
    candidates.into_iter().find(|p| p.is_file()).ok_or_else(|| {
        format!(
            "file {name} not found in {} or {}",
            section_dir.display(),
            test_dir.display()
        )
    })
}

fn read_text(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))
}

/// Combines the checks of a step: any failure fails it; anything not
/// evaluated keeps it from passing.
fn combine(checks: Vec<Outcome>) -> Outcome {
    let fails: Vec<String> = checks
        .iter()
        .filter_map(|c| match c {
            Outcome::Fail(m) => Some(m.clone()),
            _ => None,
        })
        .collect();
    if !fails.is_empty() {
        return Outcome::Fail(fails.join("; "));
    }
    let open: Vec<String> = checks
        .iter()
        .filter_map(|c| match c {
            Outcome::NotEvaluated(m) => Some(m.clone()),
            _ => None,
        })
        .collect();
    if open.is_empty() {
        Outcome::Pass
    } else {
        Outcome::NotEvaluated(open.join("; "))
    }
}

fn from_result(r: Result<(), String>) -> Outcome {
    match r {
        Ok(()) => Outcome::Pass,
        Err(m) => Outcome::Fail(m),
    }
}

/// What a transaction step works from.
#[derive(Clone, Copy)]
struct StepCx<'a> {
    tc: &'a TestCase,
    section: &'a Section,
    step: &'a TestStep,
    tx: &'a Transaction,
    symbols: &'a BTreeMap<String, String>,
}

/// The replay engine bound to one hub.
pub struct Replay<'h> {
    hub: &'h TestHub,
    client: HubClient,
    ledger: Ledger,
    patients: usize,
    /// Distinguishes this run's patient ids from any other run's.
    tag: String,
    trace_dir: Option<PathBuf>,
}

impl<'h> Replay<'h> {
    pub fn new(hub: &'h TestHub) -> Result<Replay<'h>> {
        let tag = uuid::Uuid::new_v4()
            .simple()
            .to_string()
            .chars()
            .take(6)
            .collect::<String>()
            .to_uppercase();
        Ok(Replay {
            hub,
            client: hub.client()?,
            ledger: Ledger::default(),
            patients: 0,
            tag,
            trace_dir: None,
        })
    }

    /// A fresh regional patient id; `register` = what a patient identity feed does.
    async fn new_patient(&mut self, register: bool) -> Result<String, String> {
        self.patients += 1;
        let local = format!("NIST{}{:04}", self.tag, self.patients);
        if register {
            self.hub
                .add_patient(&local)
                .await
                .map_err(|e| format!("registering patient {local}: {e:#}"))
        } else {
            Ok(self.hub.patient(&local))
        }
    }

    async fn run_test(&mut self, tc: &TestCase) -> TestResult {
        let mut result = TestResult {
            id: tc.id.clone(),
            title: tc.title.clone(),
            scope: Scope::InScope,
            steps: Vec::new(),
            supplementary: Vec::new(),
            notes: Vec::new(),
        };
        // The toolkit's session patient id: registered, fresh for each test.
        let patient_id = match self.new_patient(true).await {
            Ok(p) => p,
            Err(e) => {
                result.steps.push(StepResult {
                    section: String::new(),
                    step: "patient feed".into(),
                    transaction: "ITI-8".into(),
                    outcome: Outcome::Fail(e),
                });
                return result;
            }
        };
        let mut state = TestState {
            patient_id,
            open_patients: BTreeMap::new(),
        };
        for section in &tc.sections {
            let mut log = SectionLog { steps: Vec::new() };
            for step in &section.plan.steps {
                let (label, outcome) = self
                    .run_step(tc, section, step, &mut state, &mut log, &mut result.notes)
                    .await;
                let r = StepResult {
                    section: section.name.clone(),
                    step: step.id.clone(),
                    transaction: label.to_string(),
                    outcome,
                };
                // Sections index.idx leaves out are not part of the test as the
                // toolkit runs it; INDEX.md names them, so they run and are shown apart.
                if section.indexed {
                    result.steps.push(r);
                } else {
                    result.supplementary.push(r);
                }
            }
        }
        // Repeated sections (12345 runs its sections 13 times) repeat notes.
        let mut seen = HashSet::new();
        result.notes.retain(|n| seen.insert(n.clone()));
        result
    }

    fn resolve_use_id(
        &self,
        tc: &TestCase,
        section: &Section,
        u: &UseId,
    ) -> Result<String, String> {
        let (test, sec) = match &u.testdir {
            Some(td) => {
                let (t, s) = plan::split_testdir(td);
                (t.unwrap_or_else(|| tc.id.clone()), s)
            }
            None => (tc.id.clone(), section.name.clone()),
        };
        let rec = self.ledger.get(&test, &sec, &u.step).or_else(|| {
            if u.testdir.is_none() {
                self.ledger.latest_in_test(&test, &u.step)
            } else {
                None
            }
        });
        let Some(rec) = rec else {
            return Err(format!(
                "UseId {}: step {test}/{sec}/{} has not run",
                u.symbol, u.step
            ));
        };
        let map = match u.kind.as_str() {
            "AssignedUids" => &rec.assigned.uids,
            "AssignedUuids" => &rec.assigned.uuids,
            "AssignedPatientId" => &rec.assigned.patient_ids,
            other => return Err(format!("UseId {}: unknown section {other}", u.symbol)),
        };
        map.get(&u.id).cloned().ok_or_else(|| {
            format!(
                "UseId {}: step {test}/{sec}/{} has no {} entry for {} (has: {})",
                u.symbol,
                u.step,
                u.kind,
                u.id,
                map.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })
    }

    fn resolve_use_report(
        &self,
        tc: &TestCase,
        section: &Section,
        u: &UseReport,
    ) -> Result<String, String> {
        let test = u.test.clone().unwrap_or_else(|| tc.id.clone());
        let sec = if u.section == "THIS" {
            section.name.clone()
        } else {
            u.section.clone()
        };
        let rec = self.ledger.get(&test, &sec, &u.step).ok_or_else(|| {
            format!(
                "UseReport {}: step {test}/{sec}/{} has not run",
                u.report, u.step
            )
        })?;
        rec.reports.get(&u.report).cloned().ok_or_else(|| {
            format!(
                "UseReport {}: step {test}/{sec}/{} produced no such report (has: {})",
                u.report,
                u.step,
                rec.reports.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })
    }

    /// The symbols of a step: built-ins, then UseId and UseReport values.
    fn symbols(
        &self,
        tc: &TestCase,
        section: &Section,
        ins: &Instructions,
    ) -> Result<BTreeMap<String, String>, String> {
        let mut m = BTreeMap::new();
        m.insert(
            "$repuid$".to_string(),
            self.hub.settings.repository_unique_id.clone(),
        );
        // Time symbols the toolkit fills in itself (UTC, DTM precision).
        let now = chrono::Utc::now();
        m.insert("$DATE$".to_string(), now.format("%Y%m%d").to_string());
        m.insert("$now$".to_string(), now.format("%Y%m%d%H%M%S").to_string());
        let last_year = now
            .checked_sub_months(chrono::Months::new(12))
            .unwrap_or(now);
        m.insert(
            "$lastyear$".to_string(),
            last_year.format("%Y%m%d%H%M%S").to_string(),
        );
        for u in &ins.use_ids {
            m.insert(u.symbol.clone(), self.resolve_use_id(tc, section, u)?);
        }
        for u in &ins.use_reports {
            m.insert(u.use_as.clone(), self.resolve_use_report(tc, section, u)?);
        }
        Ok(m)
    }

    async fn run_step(
        &mut self,
        tc: &TestCase,
        section: &Section,
        step: &TestStep,
        state: &mut TestState,
        log: &mut SectionLog,
        notes: &mut Vec<String>,
    ) -> (&'static str, Outcome) {
        let key = (tc.id.clone(), section.name.clone(), step.id.clone());
        let tx = match &step.action {
            StepAction::Transaction(tx) => tx,
            StepAction::NewPatientId => {
                return (
                    "bookkeeping",
                    match self.new_patient(true).await {
                        Ok(p) => {
                            state.patient_id = p;
                            self.ledger.put(key, StepRecord::default());
                            Outcome::Pass
                        }
                        Err(e) => Outcome::Fail(e),
                    },
                );
            }
            StepAction::Nothing => {
                // A step with only an ExpectedStatus sends nothing; the toolkit
                // records it as done.
                self.ledger.put(key, StepRecord::default());
                notes.push(format!(
                    "{}:{}: step has no transaction (nothing sent or checked)",
                    section.name, step.id
                ));
                return ("none", expect_success(step, "step without transaction"));
            }
        };
        let label = tx.kind.label();
        if let Some(ms) = tx.ins.wait_before_ms {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
        let mut checks: Vec<Outcome> = tx
            .ins
            .unknown
            .iter()
            .map(|u| Outcome::NotEvaluated(format!("instruction {u} is not implemented")))
            .collect();
        let mut record = StepRecord {
            transaction: tx.element.clone(),
            ..StepRecord::default()
        };
        // `$now$` bounds a half-open time range (From <= t < To): let the
        // clock pass the second of earlier updates, as it does between a
        // person's toolkit runs.
        if uses_now(tc, section, tx) {
            tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        }
        let symbols = match self.symbols(tc, section, &tx.ins) {
            Ok(s) => s,
            Err(e) => {
                self.ledger.put(key, record);
                return (label, Outcome::Fail(format!("not sent: {e}")));
            }
        };
        let cx = StepCx {
            tc,
            section,
            step,
            tx,
            symbols: &symbols,
        };
        let sent = match tx.kind {
            TransactionKind::PatientIdentityFeed => match self.new_patient(true).await {
                Ok(pid) => {
                    state.patient_id = pid.clone();
                    record.reports.insert("$patientid$".into(), pid);
                    expect_success(step, "patient identity feed")
                }
                Err(e) => Outcome::Fail(e),
            },
            TransactionKind::Register | TransactionKind::ProvideAndRegister => {
                self.submit(cx, state, &mut record, notes).await
            }
            TransactionKind::StoredQuery => self.query(cx, &mut record).await,
            TransactionKind::Retrieve => self.retrieve(cx, &mut record, notes).await,
            TransactionKind::Http => self.http(cx, state, &mut record).await,
            TransactionKind::Null => expect_success(step, "bookkeeping step"),
            TransactionKind::Unsupported => {
                Outcome::NotEvaluated(format!("{} is not implemented", tx.element))
            }
        };
        checks.push(sent);
        // Reports the toolkit always makes, then the test plan's own.
        for (id, uid) in &record.assigned.uids {
            record.reports.insert(format!("{id}_uid"), uid.clone());
        }
        for (id, uuid) in &record.assigned.uuids {
            record.reports.insert(format!("{id}_uuid"), uuid.clone());
        }
        for r in &tx.ins.reports {
            let source = match r.section.as_str() {
                "InputMetadata" => record.input.as_deref(),
                "Result" => record.result.as_deref(),
                other => {
                    checks.push(Outcome::NotEvaluated(format!(
                        "Report {} from section {other}",
                        r.name
                    )));
                    continue;
                }
            };
            let value = source.map(|xml| {
                roxmltree::Document::parse(xml)
                    .map_err(|e| e.to_string())
                    .and_then(|d| xpath::eval_string(&r.xpath, &d).map_err(|e| e.to_string()))
            });
            match value {
                Some(Ok(Some(v))) => {
                    record.reports.insert(r.name.clone(), v);
                }
                Some(Ok(None)) | None => notes.push(format!(
                    "{}:{}: Report {} selected nothing in {}",
                    section.name, step.id, r.name, r.section
                )),
                Some(Err(e)) => {
                    checks.push(Outcome::NotEvaluated(format!("Report {}: {e}", r.name)))
                }
            }
        }
        if let Some(dir) = &self.trace_dir {
            let base = format!("{}_{}_{}", tc.id, section.name, step.id).replace(['/', ' '], "_");
            for (suffix, text) in [("request", &record.input), ("reply", &record.result)] {
                if let Some(t) = text {
                    let path = dir.join(format!("{base}.{suffix}.xml"));
                    if let Err(e) = std::fs::write(&path, t) {
                        notes.push(format!("trace {}: {e}", path.display()));
                    }
                }
            }
        }
        log.steps.push((step.id.clone(), record.clone()));
        self.ledger.put(key, record);
        if !tx.ins.assertions.is_empty() {
            let log_xml = log.to_xml();
            match roxmltree::Document::parse(&log_xml) {
                Ok(doc) => {
                    for a in &tx.ins.assertions {
                        let expr = toolkit::substitute_text(&a.xpath, &symbols);
                        checks.push(match xpath::eval_bool(&expr, &doc) {
                            Ok(true) => Outcome::Pass,
                            Ok(false) => Outcome::Fail(format!(
                                "assertion {} is false: {}",
                                a.id,
                                expr.trim()
                            )),
                            Err(e) => Outcome::NotEvaluated(format!("assertion {}: {e}", a.id)),
                        });
                    }
                }
                Err(e) => checks.push(Outcome::NotEvaluated(format!(
                    "section log is not XML: {e}"
                ))),
            }
        }
        (label, combine(checks))
    }

    /// Loads, converts and substitutes a step's metadata file.
    fn metadata(
        &self,
        tc: &TestCase,
        section: &Section,
        tx: &Transaction,
        symbols: &BTreeMap<String, String>,
    ) -> Result<Element, String> {
        let name = tx.ins.metadata_file.as_deref().ok_or("no MetadataFile")?;
        let path = find_file(&section.dir, &tc.dir, name)?;
        let text = read_text(&path)?;
        let root =
            Element::parse(text.trim_start()).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut root = convert::normalize(root).map_err(|e| format!("{}: {e}", path.display()))?;
        // Some ITI-41 metadata files hold the whole request; the documents
        // come from the test plan, so keep only the metadata.
        if root.is(vocab::XDS_B, "ProvideAndRegisterDocumentSetRequest") {
            let inner = root
                .elements()
                .find(|e| e.is(vocab::LCM, "SubmitObjectsRequest"))
                .cloned()
                .ok_or_else(|| format!("{}: no lcm:SubmitObjectsRequest", path.display()))?;
            root = inner;
        }
        toolkit::substitute(&mut root, symbols);
        Ok(root)
    }

    async fn submit(
        &mut self,
        cx: StepCx<'_>,
        state: &mut TestState,
        record: &mut StepRecord,
        notes: &mut Vec<String>,
    ) -> Outcome {
        let StepCx {
            tc,
            section,
            step,
            tx,
            symbols,
        } = cx;
        let mut root = match self.metadata(tc, section, tx, symbols) {
            Ok(r) => r,
            Err(e) => return Outcome::Fail(format!("not sent: {e}")),
        };
        for symbol in toolkit::open_patient_symbols(&root) {
            let pid = match state.open_patients.get(&symbol) {
                Some(p) => p.clone(),
                None => match self.new_patient(true).await {
                    Ok(p) => {
                        notes.push(format!(
                            "{}:{}: {symbol} is bound by no UseReport; a fresh fed patient id stands in for it",
                            section.name, step.id
                        ));
                        state.open_patients.insert(symbol.clone(), p.clone());
                        p
                    }
                    Err(e) => return Outcome::Fail(e),
                },
            };
            root.replace_text(&symbol, &pid);
        }
        let patient = if tx.ins.no_patient_id {
            None
        } else if step.alt_patient_id {
            // A patient id the registry was never fed.
            match self.new_patient(false).await {
                Ok(p) => Some(p),
                Err(e) => return Outcome::Fail(e),
            }
        } else {
            Some(state.patient_id.clone())
        };
        record.assigned = toolkit::prepare_submission(
            &mut root,
            patient.as_deref(),
            &tx.ins.uids,
            tx.ins.assign_uuids,
            toolkit::fresh_oid,
        );
        let input = root.to_xml();
        record.input = Some(input.clone());
        let reply = if tx.kind == TransactionKind::Register {
            self.client
                .soap("/xds/registry", vocab::ACTION_REGISTER, &input)
                .await
        } else {
            let mut attachments = Vec::new();
            let mut docs = String::new();
            for (n, (id, file)) in tx.ins.documents.iter().enumerate() {
                let bytes = match find_file(&section.dir, &tc.dir, file).and_then(|p| {
                    std::fs::read(&p).map_err(|e| format!("reading {}: {e}", p.display()))
                }) {
                    Ok(b) => b,
                    Err(e) => return Outcome::Fail(format!("not sent: {e}")),
                };
                let final_id = record
                    .assigned
                    .uuids
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| id.clone());
                if let Some(uid) = toolkit::identifiers(&mut root).0.get(&final_id) {
                    record.documents.insert(uid.clone(), bytes.clone());
                }
                let mime = root
                    .descendants()
                    .into_iter()
                    .find(|e| {
                        e.name == "ExtrinsicObject" && e.attr("id") == Some(final_id.as_str())
                    })
                    .and_then(|e| e.attr("mimeType"))
                    .unwrap_or("application/octet-stream")
                    .to_string();
                let cid = format!(
                    "doc{n}.{}@renkei-conformance",
                    uuid::Uuid::new_v4().simple()
                );
                docs.push_str(&format!(
                    r#"<xds:Document id="{}"><xop:Include xmlns:xop="{}" href="cid:{cid}"/></xds:Document>"#,
                    super::dom::escape(&final_id),
                    vocab::XOP
                ));
                attachments.push((cid, mime, bytes));
            }
            let body = format!(
                r#"<xds:ProvideAndRegisterDocumentSetRequest xmlns:xds="{}">{input}{docs}</xds:ProvideAndRegisterDocumentSetRequest>"#,
                vocab::XDS_B
            );
            self.client
                .mtom("/xds/repository", vocab::ACTION_PNR, &body, &attachments)
                .await
        };
        let reply = match reply.and_then(|r| Ok((r.status, r.envelope()?))) {
            Ok((status, env)) => exchange::interpret(status, &env),
            Err(e) => return Outcome::Fail(format!("transport: {e:#}")),
        };
        record.result = reply.body.clone();
        from_result(exchange::judge(&step.expected, &reply))
    }

    async fn query(&mut self, cx: StepCx<'_>, record: &mut StepRecord) -> Outcome {
        let StepCx {
            tc,
            section,
            step,
            tx,
            symbols,
        } = cx;
        let root = match self.metadata(tc, section, tx, symbols) {
            Ok(r) => r,
            Err(e) => return Outcome::Fail(format!("not sent: {e}")),
        };
        let input = root.to_xml();
        record.input = Some(input.clone());
        let reply = match self
            .client
            .soap("/xds/registry", vocab::ACTION_QUERY, &input)
            .await
        {
            Ok(r) => match r.envelope() {
                Ok(env) => exchange::interpret(r.status, &env),
                Err(e) => return Outcome::Fail(format!("reply: {e:#}")),
            },
            Err(e) => return Outcome::Fail(format!("transport: {e:#}")),
        };
        record.result = reply.body.clone();
        let mut checks = vec![from_result(exchange::judge(&step.expected, &reply))];
        if let Some(expected) = &tx.ins.expected_contents {
            checks.extend(self.expected_contents(tc, section, expected, &reply));
        }
        combine(checks)
    }

    fn expected_contents(
        &self,
        tc: &TestCase,
        section: &Section,
        expected: &[Element],
        reply: &Reply,
    ) -> Vec<Outcome> {
        let Some(body) = &reply.body else {
            return vec![Outcome::Fail("ExpectedContents: no query response".into())];
        };
        let Ok(doc) = roxmltree::Document::parse(body) else {
            return vec![Outcome::Fail(
                "ExpectedContents: response is not XML".into(),
            )];
        };
        let result = QueryResult::from_response(&doc);
        let mut resolve = |e: &Element| -> Result<String, String> {
            let u = plan::parse_use_id(e, &section.dir, "ExpectedContents")
                .map_err(|e| e.to_string())?;
            self.resolve_use_id(tc, section, &u)
        };
        expected
            .iter()
            .map(|e| match contents::check(e, &result, &mut resolve) {
                Check::Pass => Outcome::Pass,
                Check::Fail(m) => Outcome::Fail(m),
                Check::NotEvaluated(m) => Outcome::NotEvaluated(m),
            })
            .collect()
    }

    async fn retrieve(
        &mut self,
        cx: StepCx<'_>,
        record: &mut StepRecord,
        notes: &mut Vec<String>,
    ) -> Outcome {
        let StepCx {
            tc,
            section,
            step,
            tx,
            symbols,
        } = cx;
        let root = match self.metadata(tc, section, tx, symbols) {
            Ok(r) => r,
            Err(e) => return Outcome::Fail(format!("not sent: {e}")),
        };
        let input = root.to_xml();
        record.input = Some(input.clone());
        let (reply, parts) = match self
            .client
            .mtom("/xds/repository", vocab::ACTION_RETRIEVE, &input, &[])
            .await
        {
            Ok(r) => match r.parts() {
                Ok((env, parts)) => (
                    exchange::interpret(r.status, &env),
                    parts
                        .into_iter()
                        .map(|(cid, b)| (cid, b.to_vec()))
                        .collect::<Vec<_>>(),
                ),
                Err(e) => return Outcome::Fail(format!("reply: {e:#}")),
            },
            Err(e) => return Outcome::Fail(format!("transport: {e:#}")),
        };
        record.result = reply.body.clone();
        let mut checks = vec![from_result(exchange::judge(&step.expected, &reply))];
        let docs = reply
            .body
            .as_deref()
            .map(|b| exchange::retrieved_documents(b, &parts))
            .unwrap_or_default();
        for rd in &tx.ins.reference_documents {
            let uid = toolkit::substitute_text(&rd.uid, symbols);
            let expected = find_file(&section.dir, &tc.dir, &rd.path).and_then(|p| {
                std::fs::read(&p).map_err(|e| format!("reading {}: {e}", p.display()))
            });
            // The repository owes back what was submitted under the uid; when
            // the plan's reference file is another file, say so.
            let expected = match (expected, self.ledger.submitted(&uid)) {
                (Ok(file), Some(sent)) if file != *sent => {
                    notes.push(format!(
                        "{}:{}: ReferenceDocument {} is not the file submitted under {uid}; compared with the {} bytes submitted",
                        section.name,
                        step.id,
                        rd.path,
                        sent.len()
                    ));
                    Ok(sent.clone())
                }
                (_, Some(sent)) => Ok(sent.clone()),
                (file, None) => file,
            };
            checks.push(match (expected, docs.iter().find(|d| d.unique_id == uid)) {
                (Err(e), _) => Outcome::NotEvaluated(format!("ReferenceDocument: {e}")),
                (_, None) => Outcome::Fail(format!("document {uid} was not returned")),
                (Ok(want), Some(d)) => match &d.content {
                    Ok(got) if *got == want => Outcome::Pass,
                    Ok(got) => Outcome::Fail(format!(
                        "document {uid}: {} bytes returned, {} expected (content differs)",
                        got.len(),
                        want.len()
                    )),
                    Err(e) => Outcome::Fail(format!("document {uid}: {e}")),
                },
            });
        }
        if let Some(mime) = &tx.ins.expected_mime_type {
            for d in &docs {
                if d.mime_type != *mime {
                    checks.push(Outcome::Fail(format!(
                        "document {} has mimeType {}, expected {mime}",
                        d.unique_id, d.mime_type
                    )));
                }
            }
        }
        if let Some((testdir, ref_step)) = &tx.ins.reference_metadata {
            let (test, sec) = plan::split_testdir(testdir);
            let test = test.unwrap_or_else(|| tc.id.clone());
            match self
                .ledger
                .get(&test, &sec, ref_step)
                .and_then(|r| r.result.clone())
            {
                None => checks.push(Outcome::Fail(format!(
                    "ReferenceMetadata: step {test}/{sec}/{ref_step} has no result"
                ))),
                Some(xml) => checks.push(compare_with_metadata(&xml, &docs)),
            }
        }
        combine(checks)
    }

    async fn http(
        &mut self,
        cx: StepCx<'_>,
        state: &TestState,
        record: &mut StepRecord,
    ) -> Outcome {
        let StepCx {
            tc,
            section,
            step,
            tx,
            symbols: _,
        } = cx;
        let Some(file) = &tx.ins.http_body_file else {
            return Outcome::Fail("not sent: HttpTransaction without BodyFile".into());
        };
        let text = match find_file(&section.dir, &tc.dir, file).and_then(|p| read_text(&p)) {
            Ok(t) => t,
            Err(e) => return Outcome::Fail(format!("not sent: {e}")),
        };
        let sub = match raw::prepare(
            &tx.ins.http_headers,
            &text,
            &state.patient_id,
            toolkit::fresh_oid,
        ) {
            Ok(s) => s,
            Err(e) => return Outcome::Fail(format!("not sent: {e}")),
        };
        if raw::header_param(&sub.content_type, "action").as_deref() != Some(vocab::ACTION_PNR) {
            return Outcome::NotEvaluated(format!(
                "HttpTransaction with Content-Type {}",
                sub.content_type
            ));
        }
        record.assigned = sub.assigned;
        record.input = sub.input;
        let reply = match self
            .client
            .post("/xds/repository", sub.content_type, sub.body)
            .await
        {
            Ok(r) => match r.envelope() {
                Ok(env) => exchange::interpret(r.status, &env),
                Err(e) => return Outcome::Fail(format!("reply: {e:#}")),
            },
            Err(e) => return Outcome::Fail(format!("transport: {e:#}")),
        };
        record.result = reply.body.clone();
        from_result(exchange::judge(&step.expected, &reply))
    }
}

/// Whether a step's metadata file uses the `$now$` time symbol.
fn uses_now(tc: &TestCase, section: &Section, tx: &Transaction) -> bool {
    tx.ins
        .metadata_file
        .as_deref()
        .and_then(|f| find_file(&section.dir, &tc.dir, f).ok())
        .and_then(|p| std::fs::read_to_string(p).ok())
        .is_some_and(|t| t.contains("$now$"))
}

/// Steps that send nothing can only be expected to succeed.
fn expect_success(step: &TestStep, what: &str) -> Outcome {
    if step.expected.status == plan::ExpectedStatus::Success {
        Outcome::Pass
    } else {
        Outcome::NotEvaluated(format!(
            "{what} expected to end in {}",
            step.expected.status.name()
        ))
    }
}

/// ReferenceMetadata: each retrieved document matches the DocumentEntry
/// the registry returned for it (mimeType, and size/hash when present).
fn compare_with_metadata(query_result: &str, docs: &[exchange::RetrievedDocument]) -> Outcome {
    use sha1::{Digest, Sha1};
    let Ok(doc) = roxmltree::Document::parse(query_result) else {
        return Outcome::Fail("ReferenceMetadata: query result is not XML".into());
    };
    let mut problems = Vec::new();
    for d in docs {
        let entry = doc
            .descendants()
            .filter(|n| n.has_tag_name((vocab::RIM, "ExtrinsicObject")))
            .find(|eo| {
                eo.children().any(|c| {
                    c.has_tag_name((vocab::RIM, "ExternalIdentifier"))
                        && c.attribute("identificationScheme")
                            .is_some_and(|s| s.eq_ignore_ascii_case(vocab::DE_UNIQUE_ID))
                        && c.attribute("value") == Some(d.unique_id.as_str())
                })
            });
        let Some(eo) = entry else {
            problems.push(format!(
                "no DocumentEntry with uniqueId {} in the reference query",
                d.unique_id
            ));
            continue;
        };
        if eo.attribute("mimeType") != Some(d.mime_type.as_str()) {
            problems.push(format!(
                "{}: mimeType {} returned, metadata says {:?}",
                d.unique_id,
                d.mime_type,
                eo.attribute("mimeType")
            ));
        }
        let slot = |name: &str| -> Option<String> {
            eo.children()
                .find(|c| c.has_tag_name((vocab::RIM, "Slot")) && c.attribute("name") == Some(name))
                .and_then(|s| {
                    s.descendants()
                        .find(|v| v.has_tag_name((vocab::RIM, "Value")))
                })
                .and_then(|v| v.text())
                .map(|t| t.trim().to_string())
        };
        if let Ok(bytes) = &d.content {
            if let Some(size) = slot("size")
                && size != bytes.len().to_string()
            {
                problems.push(format!(
                    "{}: {} bytes returned, metadata size {size}",
                    d.unique_id,
                    bytes.len()
                ));
            }
            if let Some(hash) = slot("hash")
                && !hash.eq_ignore_ascii_case(&hex::encode(Sha1::digest(bytes)))
            {
                problems.push(format!(
                    "{}: returned bytes do not match metadata hash {hash}",
                    d.unique_id
                ));
            }
        }
    }
    if problems.is_empty() {
        Outcome::Pass
    } else {
        Outcome::Fail(problems.join("; "))
    }
}
