//! The region's consent policy: which model grants follow, which
//! confidentiality codes mark restricted and secret documents, which classes
//! each facility kind may see, how long emergency access lasts, and what the
//! policy codes of BPPC consent documents mean. Read from `[consent]` in
//! `renkei.toml`.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// HL7 Confidentiality (2.16.840.1.113883.5.25).
pub const HL7_CONFIDENTIALITY: &str = "2.16.840.1.113883.5.25";
/// A grant's facility value meaning "every participating facility".
pub const ALL_FACILITIES: &str = "*";
/// BPPC formatCodes (CDA, and CDA with scanned document).
pub const BPPC_FORMAT_CODES: [&str; 2] = ["urn:ihe:iti:bppc:2007", "urn:ihe:iti:bppc-sd:2007"];

/// How a patient's consent names the facilities that may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Model {
    /// One consent opens every participating facility (a `*` grant).
    #[default]
    AllParticipants,
    /// Consent is given at each facility visited; that facility joins the circle.
    PerVisitedFacility,
    /// The patient picks facilities from the participant list.
    DesignatedList,
}

impl Model {
    pub fn as_str(self) -> &'static str {
        match self {
            Model::AllParticipants => "all-participants",
            Model::PerVisitedFacility => "per-visited-facility",
            Model::DesignatedList => "designated-list",
        }
    }
}

/// How much of the record a grant opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Every document except restricted and secret ones.
    #[default]
    Normal,
    /// Also documents whose confidentialityCode marks them restricted.
    Restricted,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Normal => "normal",
            Scope::Restricted => "restricted",
        }
    }
    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "normal" => Some(Scope::Normal),
            "restricted" => Some(Scope::Restricted),
            _ => None,
        }
    }
}

/// What acknowledging one BPPC policy code does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case", deny_unknown_fields)]
pub enum BppcAction {
    /// Consent for every participating facility (all-participants model).
    GrantAll {
        #[serde(default)]
        scope: Scope,
    },
    /// Consent for the facility that submitted the consent document (the
    /// visited facility in the per-visited-facility model).
    GrantAuthor {
        #[serde(default)]
        scope: Scope,
    },
    /// Consent for the listed facilities (designated-list model; one policy
    /// code per facility or per group the region publishes).
    GrantFacilities {
        facilities: Vec<String>,
        #[serde(default)]
        scope: Scope,
    },
    /// Opt-out: withdraws every consent of the patient.
    Withdraw,
}

/// The `[consent]` table as written in `renkei.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsentPolicy {
    pub model: Model,
    /// confidentialityCode values (`code^^scheme`) that mark a document restricted.
    pub restricted_codes: BTreeSet<String>,
    /// confidentialityCode values that mark a document secret (author only).
    pub secret_codes: BTreeSet<String>,
    /// Facility kind -> classCodes (`code^^scheme`) it may see; kinds not listed see all.
    pub kind_classes: BTreeMap<String, BTreeSet<String>>,
    /// How long an emergency access stays open unless asked for less.
    pub emergency_hours: u32,
    /// Facilities (OIDs) with the emergency capability.
    pub emergency_facilities: BTreeSet<String>,
    /// BPPC policy code (eventCodeList code value) -> what acknowledging it does.
    pub bppc_policies: BTreeMap<String, BppcAction>,
}

/// Longest emergency access anyone may ask for (7 days).
pub const MAX_EMERGENCY_HOURS: u32 = 168;

impl Default for ConsentPolicy {
    fn default() -> Self {
        ConsentPolicy {
            model: Model::AllParticipants,
            restricted_codes: BTreeSet::from([format!("R^^{HL7_CONFIDENTIALITY}")]),
            secret_codes: BTreeSet::from([format!("V^^{HL7_CONFIDENTIALITY}")]),
            kind_classes: BTreeMap::new(),
            emergency_hours: 24,
            emergency_facilities: BTreeSet::new(),
            bppc_policies: BTreeMap::new(),
        }
    }
}

/// A `[consent]` table that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("[consent] {0}")]
    Invalid(String),
}

impl ConsentPolicy {
    /// Checks what serde cannot: codes are `code^^scheme`, hours are bounded,
    /// a code is not both restricted and secret, BPPC facility lists are not empty.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let bad = |m: String| Err(PolicyError::Invalid(m));
        for (name, codes) in [
            ("restricted_codes", &self.restricted_codes),
            ("secret_codes", &self.secret_codes),
        ] {
            for c in codes {
                if !is_code(c) {
                    return bad(format!(
                        "{name} value {c:?} is not code^^codingScheme (e.g. R^^{HL7_CONFIDENTIALITY})"
                    ));
                }
            }
        }
        if let Some(c) = self
            .restricted_codes
            .intersection(&self.secret_codes)
            .next()
        {
            return bad(format!("{c} is listed as both restricted and secret"));
        }
        for (kind, classes) in &self.kind_classes {
            if let Some(c) = classes.iter().find(|c| !is_code(c)) {
                return bad(format!(
                    "kind_classes.{kind} value {c:?} is not code^^codingScheme"
                ));
            }
        }
        if self.emergency_hours == 0 || self.emergency_hours > MAX_EMERGENCY_HOURS {
            return bad(format!(
                "emergency_hours = {} must be between 1 and {MAX_EMERGENCY_HOURS}",
                self.emergency_hours
            ));
        }
        for (code, action) in &self.bppc_policies {
            if code.trim().is_empty() {
                return bad("bppc_policies has an empty policy code".into());
            }
            if let BppcAction::GrantFacilities { facilities, .. } = action
                && (facilities.is_empty() || facilities.iter().any(|f| f == ALL_FACILITIES))
            {
                return bad(format!(
                    "bppc_policies.{code:?}: grant-facilities needs a list of facility OIDs (use grant-all for everyone)"
                ));
            }
            if matches!(action, BppcAction::GrantAll { .. }) && self.model != Model::AllParticipants
            {
                return bad(format!(
                    "bppc_policies.{code:?}: grant-all only exists in the all-participants model (model = {:?})",
                    self.model.as_str()
                ));
            }
        }
        Ok(())
    }

    /// Whether the facility may open emergency access.
    pub fn has_emergency_capability(&self, facility_oid: &str) -> bool {
        self.emergency_facilities.contains(facility_oid)
    }

    pub fn is_bppc_format(format_code: &str) -> bool {
        BPPC_FORMAT_CODES.contains(&format_code)
    }

    /// Whether a grant naming `facility` (`*` = all) may be recorded in this
    /// region's model. `None` = yes; otherwise why not.
    pub fn grant_refusal(&self, facility: &str) -> Option<String> {
        if facility == ALL_FACILITIES && self.model != Model::AllParticipants {
            return Some(format!(
                "this region uses the {} model: a consent names facilities, not all participants",
                self.model.as_str()
            ));
        }
        None
    }
}

fn is_code(c: &str) -> bool {
    c.split_once("^^")
        .is_some_and(|(code, scheme)| !code.is_empty() && !scheme.is_empty())
}
