//! Association rules that need no database (ITI TF-3 4.2.2, ITI-42
//! 3.42.4.1.3): known types, HasMember shapes and SubmissionSetStatus,
//! relationship sources and targets, the documentation classification.

use super::entries::{AssociationEntry, AssociationKind, SubmissionSetStatus};
use super::ids::IdMap;
use super::options::ValidationOptions;
use super::report::{Report, Subject};
use crate::datatypes::{EntryUuid, has_uuid_prefix};
use crate::error::XdsErrorCode;
use crate::model::Association;
use crate::vocab;
use std::collections::{BTreeSet, HashMap};

/// What an id in the submission is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Node {
    SubmissionSet,
    DocumentEntry,
    Folder,
    Association,
    /// A RegistryPackage that is neither (already reported).
    Unclassified,
}

/// One end of an association.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    InSubmission(Node),
    /// A urn:uuid not in the submission: an object the registry must find.
    Registered,
    /// A dangling or malformed reference, already reported by the id pass.
    Unresolved,
}

pub(super) struct Context<'a> {
    pub(super) nodes: &'a HashMap<String, Node>,
    pub(super) ids: &'a IdMap,
    pub(super) options: &'a ValidationOptions,
}

impl Context<'_> {
    fn end(&self, id: &str) -> End {
        match self.nodes.get(id) {
            Some(node) => End::InSubmission(*node),
            None if has_uuid_prefix(id) && EntryUuid::parse(id).is_ok() => End::Registered,
            None => End::Unresolved,
        }
    }
}

/// Checks every association; returns the typed ones and the entryUUIDs
/// they reference outside the submission.
pub(super) fn check_associations(
    report: &mut Report,
    cx: &Context<'_>,
    associations: Vec<Association>,
) -> (Vec<AssociationEntry>, BTreeSet<EntryUuid>) {
    let mut entries = Vec::with_capacity(associations.len());
    let mut references = BTreeSet::new();
    for a in associations {
        let label = cx.ids.label(&a.core.id).to_owned();
        let s = Subject {
            kind: "Association",
            label: &label,
            ids: cx.ids,
        };
        let Some(kind) = kind(report, s, cx, &a) else {
            continue;
        };
        let source = cx.end(&a.source_object);
        let target = cx.end(&a.target_object);
        if source == End::Unresolved || target == End::Unresolved {
            continue;
        }
        if a.source_object == a.target_object {
            s.metadata(report, "sourceObject and targetObject are the same object");
        }
        let documented = a.core.classifications.iter().any(|c| {
            c.classification_scheme.as_deref() == Some(vocab::ASSOCIATION_DOCUMENTATION)
                || c.classification_node.as_deref() == Some(vocab::ASSOCIATION_DOCUMENTATION)
        });
        match kind {
            AssociationKind::HasMember {
                submission_set_status,
            } => {
                if documented {
                    s.metadata(
                        report,
                        format!(
                            "the documentation classification ({}) is allowed on RPLC, APND, XFRM, XFRM_RPLC and signs associations, not on HasMember",
                            vocab::ASSOCIATION_DOCUMENTATION
                        ),
                    );
                }
                let target_label = cx.ids.label(&a.target_object);
                has_member(
                    report,
                    s,
                    target_label,
                    source,
                    target,
                    submission_set_status,
                );
            }
            k if k.is_relationship() => relationship(report, s, cx, &a, k, source, target),
            _ => {
                if source != End::InSubmission(Node::SubmissionSet) {
                    s.metadata(
                        report,
                        format!(
                            "the source of {} must be the SubmissionSet",
                            a.association_type
                        ),
                    );
                }
            }
        }
        for (end, id) in [(source, &a.source_object), (target, &a.target_object)] {
            if end == End::Registered
                && let Ok(uuid) = EntryUuid::parse(id)
            {
                references.insert(uuid);
            }
        }
        let (Ok(entry_uuid), Ok(source), Ok(target)) = (
            EntryUuid::parse(&a.core.id),
            EntryUuid::parse(&a.source_object),
            EntryUuid::parse(&a.target_object),
        ) else {
            continue;
        };
        entries.push(AssociationEntry {
            object: a,
            entry_uuid,
            kind,
            source,
            target,
        });
    }
    (entries, references)
}

/// The association's kind with its SubmissionSetStatus; `None` (reported)
/// for unknown types, Metadata Update types outside ITI-57, and bad
/// status slots.
fn kind(
    report: &mut Report,
    s: Subject<'_>,
    cx: &Context<'_>,
    a: &Association,
) -> Option<AssociationKind> {
    let Some(kind) = AssociationKind::from_urn(&a.association_type) else {
        s.metadata(
            report,
            format!(
                "associationType '{}' is not an XDS association type (HasMember, RPLC, APND, XFRM, XFRM_RPLC, signs, IsSnapshotOf, as full URNs)",
                a.association_type
            ),
        );
        return None;
    };
    let update_only = matches!(
        kind,
        AssociationKind::UpdateAvailabilityStatus | AssociationKind::SubmitAssociation
    );
    if update_only && !cx.options.allow_metadata_update_constructs {
        s.metadata(
            report,
            format!(
                "associationType '{}' belongs to Metadata Update (ITI-57) and is not allowed in this transaction",
                a.association_type
            ),
        );
        return None;
    }
    if !matches!(kind, AssociationKind::HasMember { .. }) {
        return Some(kind);
    }
    let status = match a.core.slot("SubmissionSetStatus") {
        None => None,
        Some([value]) => match SubmissionSetStatus::parse(value) {
            Some(status) => Some(status),
            None => {
                s.metadata(
                    report,
                    format!("SubmissionSetStatus '{value}' is neither Original nor Reference"),
                );
                return None;
            }
        },
        Some(values) => {
            s.metadata(
                report,
                format!(
                    "SubmissionSetStatus has {} values; it takes exactly one",
                    values.len()
                ),
            );
            return None;
        }
    };
    Some(AssociationKind::HasMember {
        submission_set_status: status,
    })
}

/// HasMember: SubmissionSet -> DocumentEntry / Folder / FD-DE Association,
/// Folder -> DocumentEntry. Ends outside the submission are the registry's
/// to check once it knows what they are (e.g. a SubmissionSet ->
/// registered DocumentEntry without SubmissionSetStatus Reference).
fn has_member(
    report: &mut Report,
    s: Subject<'_>,
    target_label: &str,
    source: End,
    target: End,
    status: Option<SubmissionSetStatus>,
) {
    use End::{InSubmission, Registered};
    match (source, target) {
        (InSubmission(Node::SubmissionSet), InSubmission(Node::DocumentEntry)) => match status {
            Some(SubmissionSetStatus::Original) => {}
            Some(SubmissionSetStatus::Reference) => s.metadata(
                report,
                format!(
                    "SubmissionSetStatus is Reference, but DocumentEntry '{target_label}' is submitted here: use Original"
                ),
            ),
            None => s.metadata(
                report,
                "a SubmissionSet -> DocumentEntry HasMember needs the SubmissionSetStatus slot (Original)",
            ),
        },
        (InSubmission(Node::SubmissionSet), Registered)
            if status == Some(SubmissionSetStatus::Original) =>
        {
            s.metadata(
                report,
                format!(
                    "SubmissionSetStatus is Original, but '{target_label}' is not in this submission: use Reference for a registered DocumentEntry"
                ),
            );
        }
        (InSubmission(Node::SubmissionSet), Registered) => {}
        (InSubmission(Node::SubmissionSet), InSubmission(Node::Folder | Node::Association)) => {}
        (InSubmission(Node::Folder) | Registered, InSubmission(Node::DocumentEntry) | Registered) => {}
        (InSubmission(Node::Folder) | Registered, InSubmission(_)) => s.metadata(
            report,
            "a Folder HasMember association must point to a DocumentEntry",
        ),
        (InSubmission(Node::SubmissionSet), InSubmission(_)) => s.metadata(
            report,
            "a SubmissionSet may contain DocumentEntries, Folders and Folder membership Associations only",
        ),
        (InSubmission(Node::DocumentEntry | Node::Association), _) => s.metadata(
            report,
            "the source of a HasMember association must be the SubmissionSet or a Folder",
        ),
        _ => {}
    }
}

/// RPLC, APND, XFRM, XFRM_RPLC, signs, IsSnapshotOf: the source is the new
/// DocumentEntry of this submission; RPLC / XFRM_RPLC / IsSnapshotOf
/// targets are already registered.
fn relationship(
    report: &mut Report,
    s: Subject<'_>,
    cx: &Context<'_>,
    a: &Association,
    kind: AssociationKind,
    source: End,
    target: End,
) {
    let name = a.association_type.rsplit(':').next().unwrap_or_default();
    match source {
        End::InSubmission(Node::DocumentEntry) => {}
        End::Registered if cx.options.allow_metadata_update_constructs => {}
        End::Registered => report.error(
            XdsErrorCode::UnresolvedReferenceException,
            s.label,
            s.say(format!(
                "sourceObject '{}' is not a DocumentEntry of this submission; the source of {name} must be the new DocumentEntry",
                a.source_object
            )),
        ),
        _ => s.metadata(
            report,
            format!("the source of {name} must be a DocumentEntry of this submission"),
        ),
    }
    let must_be_registered = kind.replaces() || kind == AssociationKind::IsSnapshotOf;
    match target {
        End::InSubmission(_) if must_be_registered => s.metadata(
            report,
            format!(
                "the target of {name} must be an already registered DocumentEntry, not '{}' from this submission",
                cx.ids.label(&a.target_object)
            ),
        ),
        End::InSubmission(Node::Association) if kind == AssociationKind::Signs => s.metadata(
            report,
            "the target of signs must be a DocumentEntry or SubmissionSet",
        ),
        End::InSubmission(Node::DocumentEntry) => {}
        End::InSubmission(_) if kind != AssociationKind::Signs => s.metadata(
            report,
            format!("the target of {name} must be a DocumentEntry"),
        ),
        _ => {}
    }
}
