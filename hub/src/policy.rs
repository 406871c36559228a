//! Who may do what: facility kinds, the transactions each kind may use, and
//! which facilities may submit on behalf of others. Configured in the
//! `[policy]` table of `renkei.toml`; enforced per request against the
//! facility named by the client certificate.
//!
//! ```toml
//! [policy.transactions]          # kinds not listed keep their defaults
//! pharmacy = ["query", "retrieve"]
//!
//! [policy.allow_on_behalf_of]    # facility OID -> OID roots it may also name
//! "1.2.392.200119.6.102.1111111111" = ["1.2.392.200119.6.102.2222222222"]
//! ```

use anyhow::{Result, bail};
use arc_swap::ArcSwap;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use store::Store;

/// What kind of participant a facility is (`renkei facility add --kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FacilityKind {
    Hospital,
    Clinic,
    Pharmacy,
    CareFacility,
    HomeNursing,
    /// The network operator: administration only.
    Operator,
}

impl FacilityKind {
    pub const ALL: [FacilityKind; 6] = [
        FacilityKind::Hospital,
        FacilityKind::Clinic,
        FacilityKind::Pharmacy,
        FacilityKind::CareFacility,
        FacilityKind::HomeNursing,
        FacilityKind::Operator,
    ];

    /// The name used on the CLI, in the database and in `renkei.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            FacilityKind::Hospital => "hospital",
            FacilityKind::Clinic => "clinic",
            FacilityKind::Pharmacy => "pharmacy",
            FacilityKind::CareFacility => "care-facility",
            FacilityKind::HomeNursing => "home-nursing",
            FacilityKind::Operator => "operator",
        }
    }

    /// Transactions the kind may use when `renkei.toml` says nothing:
    /// the operator administers, every care provider submits and reads.
    pub fn default_permissions(self) -> BTreeSet<Permission> {
        match self {
            FacilityKind::Operator => BTreeSet::from([Permission::Admin]),
            _ => BTreeSet::from([Permission::Submit, Permission::Query, Permission::Retrieve]),
        }
    }
}

impl fmt::Display for FacilityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A facility kind that is not one of [`FacilityKind::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown facility kind {0:?}; use one of hospital, clinic, pharmacy, care-facility, home-nursing, operator"
)]
pub struct UnknownKind(pub String);

impl FromStr for FacilityKind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, UnknownKind> {
        FacilityKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| UnknownKind(s.to_string()))
    }
}

/// A group of transactions a kind may be allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Permission {
    /// ITI-41 Provide and Register, ITI-42 Register.
    Submit,
    /// ITI-18 Registry Stored Query.
    Query,
    /// ITI-43 Retrieve Document Set.
    Retrieve,
    /// The `/admin/` JSON API.
    Admin,
}

impl Permission {
    /// The permission a SOAP action needs; `None` for actions this hub does
    /// not answer (the endpoint then faults with ActionNotSupported).
    pub fn for_action(action: &str) -> Option<Permission> {
        use crate::actions::*;
        match action {
            // A patient identity feed is a submission; a PIX query a query.
            ITI41 | ITI42 | ITI44_ADD | ITI44_REVISE | ITI44_MERGE => Some(Permission::Submit),
            ITI18 | ITI45 => Some(Permission::Query),
            ITI43 => Some(Permission::Retrieve),
            _ => None,
        }
    }

    /// Permissions of which at least one is needed to use anything under `path`
    /// (checked before the body is read); empty = no path-level restriction.
    pub fn for_path(path: &str) -> &'static [Permission] {
        if path == "/admin" || path.starts_with("/admin/") {
            &[Permission::Admin]
        } else if path == "/xds/registry" || path == "/pix" {
            &[Permission::Submit, Permission::Query]
        } else if path == "/xds/repository" {
            &[Permission::Submit, Permission::Retrieve]
        } else {
            &[]
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Submit => "submit",
            Permission::Query => "query",
            Permission::Retrieve => "retrieve",
            Permission::Admin => "admin",
        }
    }
}

/// The `[policy]` table of `renkei.toml` as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyFile {
    /// Kind -> permissions; replaces that kind's defaults.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub transactions: BTreeMap<FacilityKind, BTreeSet<Permission>>,
    /// Facility OID -> OID roots it may name as sourceId / authorInstitution
    /// besides its own; `"*"` = any organisation (gateways, conformance tools).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub allow_on_behalf_of: BTreeMap<String, Vec<String>>,
}

/// The checked policy the hub runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    transactions: BTreeMap<FacilityKind, BTreeSet<Permission>>,
    allow_on_behalf_of: BTreeMap<String, Vec<String>>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            transactions: FacilityKind::ALL
                .into_iter()
                .map(|k| (k, k.default_permissions()))
                .collect(),
            allow_on_behalf_of: BTreeMap::new(),
        }
    }
}

impl Policy {
    /// Applies the file over the defaults after checking every OID.
    pub fn from_file(file: &PolicyFile) -> Result<Policy> {
        let mut policy = Policy::default();
        for (kind, permissions) in &file.transactions {
            policy.transactions.insert(*kind, permissions.clone());
        }
        for (facility, roots) in &file.allow_on_behalf_of {
            if let Err(e) = certs::validate_facility_oid(facility) {
                bail!("[policy.allow_on_behalf_of] key {facility:?}: {e}");
            }
            for root in roots {
                if root != registry::identity::ANY_ORGANIZATION
                    && ebrim::datatypes::Oid::parse(root).is_err()
                {
                    bail!(
                        "[policy.allow_on_behalf_of] {facility:?} lists {root:?}, which is neither an OID nor \"*\""
                    );
                }
            }
        }
        policy.allow_on_behalf_of = file.allow_on_behalf_of.clone();
        Ok(policy)
    }

    pub fn permits(&self, kind: FacilityKind, permission: Permission) -> bool {
        self.transactions
            .get(&kind)
            .is_some_and(|p| p.contains(&permission))
    }

    /// OID roots `facility_oid` may name besides its own.
    pub fn acts_for(&self, facility_oid: &str) -> Vec<String> {
        self.allow_on_behalf_of
            .get(facility_oid)
            .cloned()
            .unwrap_or_default()
    }

    /// Lets `facility_oid` name organisations under `roots` (tests, tools).
    pub fn allow_on_behalf_of(&mut self, facility_oid: &str, roots: &[&str]) {
        self.allow_on_behalf_of.insert(
            facility_oid.to_string(),
            roots.iter().map(|r| (*r).to_string()).collect(),
        );
    }
}

/// Why a facility may not do what it asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "facility {0} is not registered with this network; ask the network operator to admit it"
    )]
    UnknownFacility(String),
    #[error("facility {oid} is a {kind}, and the network policy does not allow a {kind} to {what}")]
    NotPermitted {
        oid: String,
        kind: FacilityKind,
        what: String,
    },
}

/// The policy plus the current kind of every facility, refreshed from the
/// database with the revocation list. Cheap to clone.
#[derive(Clone)]
pub struct Access {
    policy: Arc<Policy>,
    kinds: Arc<ArcSwap<HashMap<String, FacilityKind>>>,
}

impl fmt::Debug for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Access")
            .field("policy", &self.policy)
            .field("facilities", &self.kinds.load().len())
            .finish()
    }
}

impl Access {
    pub fn new(policy: Policy) -> Self {
        Access {
            policy: Arc::new(policy),
            kinds: Arc::new(ArcSwap::from_pointee(HashMap::new())),
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Reloads facility kinds. A row with a kind this version does not know
    /// is left out, so that facility is refused rather than guessed.
    pub async fn refresh(&self, store: &Store) -> Result<()> {
        let rows = store.read(store::list_facilities).await?;
        let kinds = rows
            .into_iter()
            .filter_map(|row| match row.kind.parse::<FacilityKind>() {
                Ok(kind) => Some((row.oid, kind)),
                Err(e) => {
                    tracing::warn!(facility = %row.oid, error = %e, "facility has an unknown kind; it is refused");
                    None
                }
            })
            .collect();
        self.kinds.store(Arc::new(kinds));
        Ok(())
    }

    pub fn kind_of(&self, facility_oid: &str) -> Option<FacilityKind> {
        self.kinds.load().get(facility_oid).copied()
    }

    /// Whether the facility may use `permission`.
    pub fn check(&self, facility_oid: &str, permission: Permission) -> Result<(), Refusal> {
        self.check_any(facility_oid, &[permission], describe(permission))
    }

    /// Whether the facility holds at least one of `permissions` (empty = allowed
    /// for any registered facility).
    pub fn check_any(
        &self,
        facility_oid: &str,
        permissions: &[Permission],
        what: &str,
    ) -> Result<(), Refusal> {
        let kind = self
            .kind_of(facility_oid)
            .ok_or_else(|| Refusal::UnknownFacility(facility_oid.to_string()))?;
        if permissions.is_empty() || permissions.iter().any(|p| self.policy.permits(kind, *p)) {
            Ok(())
        } else {
            Err(Refusal::NotPermitted {
                oid: facility_oid.to_string(),
                kind,
                what: what.to_string(),
            })
        }
    }

    /// The registry's view of the sender, with the roots it may act for.
    pub fn submitter(&self, facility_oid: &str) -> registry::Submitter {
        registry::Submitter {
            facility_oid: facility_oid.to_string(),
            acts_for: self.policy.acts_for(facility_oid),
        }
    }
}

/// The words an error message uses for a permission.
pub fn describe(permission: Permission) -> &'static str {
    match permission {
        Permission::Submit => "submit documents",
        Permission::Query => "query the registry",
        Permission::Retrieve => "retrieve documents",
        Permission::Admin => "use the operator's admin API",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults_give_the_operator_admin_only_and_providers_exchange_only() {
        let p = Policy::default();
        assert!(p.permits(FacilityKind::Operator, Permission::Admin));
        assert!(!p.permits(FacilityKind::Operator, Permission::Submit));
        assert!(!p.permits(FacilityKind::Operator, Permission::Query));
        for kind in FacilityKind::ALL
            .into_iter()
            .filter(|k| *k != FacilityKind::Operator)
        {
            assert!(p.permits(kind, Permission::Submit), "{kind}");
            assert!(p.permits(kind, Permission::Query), "{kind}");
            assert!(p.permits(kind, Permission::Retrieve), "{kind}");
            assert!(!p.permits(kind, Permission::Admin), "{kind}");
        }
    }

    #[test]
    fn file_overrides_one_kind_and_checks_oids() {
        let file: PolicyFile = toml::from_str(
            r#"
            [transactions]
            pharmacy = ["query", "retrieve"]
            [allow_on_behalf_of]
            "1.2.3" = ["1.2.4", "*"]
            "#,
        )
        .unwrap();
        let p = Policy::from_file(&file).unwrap();
        assert!(!p.permits(FacilityKind::Pharmacy, Permission::Submit));
        assert!(p.permits(FacilityKind::Pharmacy, Permission::Query));
        assert!(p.permits(FacilityKind::Hospital, Permission::Submit));
        assert_eq!(p.acts_for("1.2.3"), vec!["1.2.4", "*"]);
        assert!(p.acts_for("1.2.4").is_empty());

        let bad: PolicyFile = toml::from_str("[allow_on_behalf_of]\n\"x\" = []").unwrap();
        assert!(Policy::from_file(&bad).is_err());
        let bad: PolicyFile =
            toml::from_str("[allow_on_behalf_of]\n\"1.2.3\" = [\"not an oid\"]").unwrap();
        assert!(Policy::from_file(&bad).is_err());
        assert!(toml::from_str::<PolicyFile>("[transactions]\nclinic = [\"fly\"]").is_err());
        assert!(toml::from_str::<PolicyFile>("[transactions]\nbakery = []").is_err());
    }

    #[test]
    fn kinds_round_trip_and_unknown_kinds_say_what_is_allowed() {
        for kind in FacilityKind::ALL {
            assert_eq!(kind.as_str().parse::<FacilityKind>().unwrap(), kind);
        }
        let err = "dentist".parse::<FacilityKind>().unwrap_err();
        assert!(err.to_string().contains("care-facility"), "{err}");
    }

    #[test]
    fn actions_and_paths_map_to_permissions() {
        assert_eq!(
            Permission::for_action(crate::actions::ITI41),
            Some(Permission::Submit)
        );
        assert_eq!(
            Permission::for_action(crate::actions::ITI43),
            Some(Permission::Retrieve)
        );
        assert_eq!(Permission::for_action("urn:x"), None);
        assert_eq!(
            Permission::for_path("/admin/facilities"),
            &[Permission::Admin]
        );
        assert!(Permission::for_path("/administrator").is_empty());
    }
}
