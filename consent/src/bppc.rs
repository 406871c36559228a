//! What a BPPC consent document means: its eventCodeList policy codes mapped
//! through the region's `[consent.bppc_policies]`.

use crate::policy::{ALL_FACILITIES, BppcAction, ConsentPolicy, Scope};

/// The consent changes one BPPC document asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BppcEffect {
    /// (facility OID or `*`, scope) to grant.
    pub grants: Vec<(String, Scope)>,
    /// The document withdraws every consent of the patient.
    pub withdraw_all: bool,
}

/// A policy code the region has not configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "BPPC policy code {0:?} in the consent document's eventCodeList is not configured in this region's [consent.bppc_policies]; use one of the region's published policy codes"
)]
pub struct UnknownPolicyCode(pub String);

/// The effect of acknowledging `policy_codes` (eventCodeList code values)
/// in a consent document submitted by `author_facility`.
pub fn effect_of(
    policy: &ConsentPolicy,
    policy_codes: &[&str],
    author_facility: &str,
) -> Result<BppcEffect, UnknownPolicyCode> {
    let mut effect = BppcEffect::default();
    for code in policy_codes {
        let action = policy
            .bppc_policies
            .get(*code)
            .ok_or_else(|| UnknownPolicyCode((*code).to_string()))?;
        match action {
            BppcAction::GrantAll { scope } => {
                effect.grants.push((ALL_FACILITIES.to_string(), *scope));
            }
            BppcAction::GrantAuthor { scope } => {
                effect.grants.push((author_facility.to_string(), *scope));
            }
            BppcAction::GrantFacilities { facilities, scope } => {
                effect
                    .grants
                    .extend(facilities.iter().map(|f| (f.clone(), *scope)));
            }
            BppcAction::Withdraw => effect.withdraw_all = true,
        }
    }
    if effect.withdraw_all {
        // An opt-out document grants nothing, whatever else it lists.
        effect.grants.clear();
    }
    Ok(effect)
}
