//! Enumerated URNs: availabilityStatus and DocumentEntry objectType.

use crate::vocab;
use serde::{Deserialize, Serialize};

/// `availabilityStatus` of a registry object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AvailabilityStatus {
    Approved,
    Deprecated,
}

impl AvailabilityStatus {
    /// From the full StatusType URN; other values are not XDS statuses.
    pub fn from_urn(urn: &str) -> Option<Self> {
        match urn {
            vocab::STATUS_APPROVED => Some(Self::Approved),
            vocab::STATUS_DEPRECATED => Some(Self::Deprecated),
            _ => None,
        }
    }

    pub fn as_urn(self) -> &'static str {
        match self {
            Self::Approved => vocab::STATUS_APPROVED,
            Self::Deprecated => vocab::STATUS_DEPRECATED,
        }
    }
}

/// DocumentEntry `objectType`: stable or On-Demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DocumentEntryType {
    Stable,
    OnDemand,
}

impl DocumentEntryType {
    pub fn from_urn(urn: &str) -> Option<Self> {
        match urn {
            vocab::OBJ_DOCUMENT_ENTRY_STABLE => Some(Self::Stable),
            vocab::OBJ_DOCUMENT_ENTRY_ON_DEMAND => Some(Self::OnDemand),
            _ => None,
        }
    }

    pub fn as_urn(self) -> &'static str {
        match self {
            Self::Stable => vocab::OBJ_DOCUMENT_ENTRY_STABLE,
            Self::OnDemand => vocab::OBJ_DOCUMENT_ENTRY_ON_DEMAND,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urns_round_trip() {
        for s in [AvailabilityStatus::Approved, AvailabilityStatus::Deprecated] {
            assert_eq!(AvailabilityStatus::from_urn(s.as_urn()), Some(s));
        }
        for t in [DocumentEntryType::Stable, DocumentEntryType::OnDemand] {
            assert_eq!(DocumentEntryType::from_urn(t.as_urn()), Some(t));
        }
        assert_eq!(AvailabilityStatus::from_urn("Approved"), None);
        assert_eq!(AvailabilityStatus::from_urn(vocab::STATUS_SUBMITTED), None);
    }
}
