//! Results of a replay and the Markdown table committed as REPORT.md.

use std::fmt::Write;

/// The verdict on one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    /// Expected X, got Y (with the RegistryError codes), or a failed check.
    Fail(String),
    /// Part of the step could not be judged by this replay; never a pass.
    NotEvaluated(String),
}

#[derive(Debug, Clone)]
pub struct StepResult {
    pub section: String,
    pub step: String,
    /// IHE transaction label (`ITI-42`, ...).
    pub transaction: String,
    pub outcome: Outcome,
}

/// Why a test of INDEX.md is not replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    InScope,
    /// Needs a transaction this replay (or the hub) does not implement.
    OutOfScope(String),
    /// The copy holds no runnable test plan.
    Empty(String),
}

#[derive(Debug, Clone)]
pub struct TestResult {
    pub id: String,
    pub title: String,
    pub scope: Scope,
    pub steps: Vec<StepResult>,
    /// Steps of sections index.idx does not list (the toolkit skips them)
    /// but INDEX.md gives outcomes for: reported, not part of the verdict.
    pub supplementary: Vec<StepResult>,
    /// Remarks about how the test was run (extra sections, emulation choices).
    pub notes: Vec<String>,
}

impl TestResult {
    pub fn passed_steps(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| s.outcome == Outcome::Pass)
            .count()
    }

    /// Pass when every step passed (and there was at least one).
    pub fn verdict(&self) -> &'static str {
        match &self.scope {
            Scope::OutOfScope(_) => "out of scope",
            Scope::Empty(_) => "no test plan",
            Scope::InScope if self.steps.is_empty() => "no steps",
            Scope::InScope if self.steps.iter().all(|s| s.outcome == Outcome::Pass) => "pass",
            Scope::InScope
                if self
                    .steps
                    .iter()
                    .any(|s| matches!(s.outcome, Outcome::Fail(_))) =>
            {
                "FAIL"
            }
            Scope::InScope => "not evaluated",
        }
    }

    pub fn passed(&self) -> bool {
        self.verdict() == "pass"
    }
}

#[derive(Debug, Clone, Default)]
pub struct RunReport {
    pub tests: Vec<TestResult>,
    /// `sqlite` or `postgresql`.
    pub database: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub tests_in_scope: usize,
    pub tests_passed: usize,
    pub tests_failed: usize,
    pub tests_not_evaluated: usize,
    pub steps: usize,
    pub steps_passed: usize,
    pub steps_failed: usize,
    pub steps_not_evaluated: usize,
    pub out_of_scope: usize,
    pub empty: usize,
}

impl RunReport {
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for r in &self.tests {
            match r.scope {
                Scope::OutOfScope(_) => t.out_of_scope += 1,
                Scope::Empty(_) => t.empty += 1,
                Scope::InScope => {
                    t.tests_in_scope += 1;
                    match r.verdict() {
                        "pass" => t.tests_passed += 1,
                        "FAIL" => t.tests_failed += 1,
                        _ => t.tests_not_evaluated += 1,
                    }
                    for s in &r.steps {
                        t.steps += 1;
                        match s.outcome {
                            Outcome::Pass => t.steps_passed += 1,
                            Outcome::Fail(_) => t.steps_failed += 1,
                            Outcome::NotEvaluated(_) => t.steps_not_evaluated += 1,
                        }
                    }
                }
            }
        }
        t
    }

    /// True when every in-scope test passed every step.
    pub fn all_in_scope_pass(&self) -> bool {
        let t = self.totals();
        t.tests_in_scope > 0 && t.tests_passed == t.tests_in_scope
    }

    /// Steps that did not pass, as `test section:step (ITI-x): reason` lines.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for r in self.tests.iter().filter(|r| r.scope == Scope::InScope) {
            for s in &r.steps {
                let why = match &s.outcome {
                    Outcome::Pass => continue,
                    Outcome::Fail(m) => format!("FAIL: {m}"),
                    Outcome::NotEvaluated(m) => format!("not evaluated: {m}"),
                };
                out.push(format!(
                    "{} {}:{} ({}): {why}",
                    r.id, s.section, s.step, s.transaction
                ));
            }
            if r.steps.is_empty() {
                out.push(format!("{}: no steps ran", r.id));
            }
        }
        out
    }

    /// The Markdown report: `command` is how to regenerate it.
    pub fn markdown(&self, command: &str) -> String {
        let t = self.totals();
        let mut md = String::new();
        let _ = writeln!(md, "# NIST XDS Toolkit replay");
        let _ = writeln!(md);
        let _ = writeln!(md, "Regenerate with:");
        let _ = writeln!(md);
        let _ = writeln!(md, "```");
        let _ = writeln!(md, "{command}");
        let _ = writeln!(md, "```");
        let _ = writeln!(md);
        let _ = writeln!(
            md,
            "The test cases are the NIST XDS Toolkit's, copied in `../shared/conformance/xds/nist-tests/` (INDEX.md there lists \
             them). `renkei-conformance` plays the toolkit's part against a hub it starts in-process ({} database): it converts \
             ebXML 2.1 metadata to ebRIM 3.0, assigns uniqueIds / entryUUIDs / patient ids as the toolkit does, emulates the \
             patient identity feed by registering a fresh regional patient id, sends each step over mutual TLS (MTOM for ITI-41 \
             and ITI-43), and checks the expected status, error codes, ExpectedContents and XPath assertions. As the \
             toolkit's metadata names its own sources and institutions, the submitting (demo) facility is allowed to act for \
             any organisation (`[policy.allow_on_behalf_of]` = `[\"*\"]`, the setting meant for conformance tools). Add \
             `--trace DIR` to keep every request and reply, `--only ID,ID` to run some tests (and what they depend on).",
            if self.database.is_empty() {
                "sqlite"
            } else {
                &self.database
            }
        );
        let _ = writeln!(md);
        let _ = writeln!(
            md,
            "**Totals:** {} of {} in-scope tests pass ({} fail, {} not fully evaluated); steps: {} of {} pass, {} fail, {} not \
             evaluated. {} tests are out of scope, {} have no test plan in the copy.",
            t.tests_passed,
            t.tests_in_scope,
            t.tests_failed,
            t.tests_not_evaluated,
            t.steps_passed,
            t.steps,
            t.steps_failed,
            t.steps_not_evaluated,
            t.out_of_scope,
            t.empty
        );
        let _ = writeln!(md);
        let _ = writeln!(
            md,
            "## In scope (ITI-41, ITI-42, ITI-43, ITI-18, patient feed)"
        );
        let _ = writeln!(md);
        let _ = writeln!(md, "| test | title | steps passed | result | notes |");
        let _ = writeln!(md, "|---|---|---|---|---|");
        for r in self.tests.iter().filter(|r| r.scope == Scope::InScope) {
            let mut notes: Vec<String> = r.notes.clone();
            for s in &r.steps {
                match &s.outcome {
                    Outcome::Pass => {}
                    Outcome::Fail(m) => notes.push(format!("{}:{} FAIL: {m}", s.section, s.step)),
                    Outcome::NotEvaluated(m) => {
                        notes.push(format!("{}:{} not evaluated: {m}", s.section, s.step))
                    }
                }
            }
            let _ = writeln!(
                md,
                "| {} | {} | {}/{} | {} | {} |",
                r.id,
                cell(&r.title),
                r.passed_steps(),
                r.steps.len(),
                r.verdict(),
                cell(&notes.join("; "))
            );
        }
        let extra: Vec<(&TestResult, &StepResult)> = self
            .tests
            .iter()
            .flat_map(|r| r.supplementary.iter().map(move |s| (r, s)))
            .collect();
        if !extra.is_empty() {
            let _ = writeln!(md);
            let _ = writeln!(md, "## Supplementary sections (not in index.idx)");
            let _ = writeln!(md);
            let _ = writeln!(
                md,
                "INDEX.md gives expected outcomes for these sections, but the test's index.idx does not list them, \
                 so the toolkit does not run them and they are not part of the verdicts above."
            );
            let _ = writeln!(md);
            let _ = writeln!(md, "| test | section:step | transaction | result |");
            let _ = writeln!(md, "|---|---|---|---|");
            for (r, s) in extra {
                let result = match &s.outcome {
                    Outcome::Pass => "pass".to_string(),
                    Outcome::Fail(m) => format!("FAIL: {m}"),
                    Outcome::NotEvaluated(m) => format!("not evaluated: {m}"),
                };
                let _ = writeln!(
                    md,
                    "| {} | {}:{} | {} | {} |",
                    r.id,
                    cell(&s.section),
                    cell(&s.step),
                    s.transaction,
                    cell(&result)
                );
            }
        }
        let others: Vec<&TestResult> = self
            .tests
            .iter()
            .filter(|r| r.scope != Scope::InScope)
            .collect();
        if !others.is_empty() {
            let _ = writeln!(md);
            let _ = writeln!(md, "## Not replayed");
            let _ = writeln!(md);
            let _ = writeln!(md, "| test | title | reason |");
            let _ = writeln!(md, "|---|---|---|");
            for r in others {
                let reason = match &r.scope {
                    Scope::OutOfScope(why) => format!("out of scope: {why}"),
                    Scope::Empty(why) => why.clone(),
                    Scope::InScope => String::new(),
                };
                let _ = writeln!(md, "| {} | {} | {} |", r.id, cell(&r.title), cell(&reason));
            }
        }
        md
    }
}

/// Makes text safe inside a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(outcome: Outcome) -> StepResult {
        StepResult {
            section: "submit".into(),
            step: "submit".into(),
            transaction: "ITI-42".into(),
            outcome,
        }
    }

    fn test(id: &str, scope: Scope, steps: Vec<StepResult>) -> TestResult {
        TestResult {
            id: id.into(),
            title: format!("title {id}"),
            scope,
            steps,
            supplementary: Vec::new(),
            notes: Vec::new(),
        }
    }

    #[test]
    fn verdicts_and_totals() {
        let report = RunReport {
            tests: vec![
                test("1", Scope::InScope, vec![step(Outcome::Pass)]),
                test(
                    "2",
                    Scope::InScope,
                    vec![
                        step(Outcome::Pass),
                        step(Outcome::Fail("expected Success".into())),
                    ],
                ),
                test(
                    "3",
                    Scope::InScope,
                    vec![step(Outcome::NotEvaluated("assertion".into()))],
                ),
                test("4", Scope::OutOfScope("needs ITI-57".into()), Vec::new()),
            ],
            database: "sqlite".into(),
        };
        assert_eq!(report.tests[0].verdict(), "pass");
        assert_eq!(report.tests[1].verdict(), "FAIL");
        assert_eq!(report.tests[2].verdict(), "not evaluated");
        let t = report.totals();
        assert_eq!(
            (
                t.tests_in_scope,
                t.tests_passed,
                t.tests_failed,
                t.out_of_scope
            ),
            (3, 1, 1, 1)
        );
        assert_eq!((t.steps, t.steps_passed), (4, 2));
        assert!(!report.all_in_scope_pass());
        assert_eq!(report.problems().len(), 2);
        let md = report.markdown("cargo run -p conformance --bin renkei-conformance -- nist");
        assert!(
            md.contains("| 2 | title 2 | 1/2 | FAIL | submit:submit FAIL: expected Success |"),
            "{md}"
        );
        assert!(md.contains("| 4 | title 4 | out of scope: needs ITI-57 |"));
        assert!(md.contains("cargo run -p conformance"));
    }

    #[test]
    fn pipes_in_cells_are_escaped() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
    }
}
