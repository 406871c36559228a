//! ITI-8 Patient Identity Feed (ADT A01/A04/A05/A08/A40), v2.3.1 and v2.5.

use crate::cx::{Cx, Demographics};
use crate::v2::{Field, Message, Segment};

use super::error::{ErrLocation, ErrorCode, FeedError, RequestError};

/// The ADT trigger events ITI-8 uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeedTrigger {
    /// Admit/visit notification: create or update.
    A01,
    /// Register a patient: create or update.
    A04,
    /// Pre-admit: create or update.
    A05,
    /// Update patient information.
    A08,
    /// Merge patient, patient identifier list (ADT_A39 structure).
    A40,
}

impl FeedTrigger {
    pub fn parse(trigger: &str) -> Option<FeedTrigger> {
        match trigger {
            "A01" => Some(FeedTrigger::A01),
            "A04" => Some(FeedTrigger::A04),
            "A05" => Some(FeedTrigger::A05),
            "A08" => Some(FeedTrigger::A08),
            "A40" => Some(FeedTrigger::A40),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FeedTrigger::A01 => "A01",
            FeedTrigger::A04 => "A04",
            FeedTrigger::A05 => "A05",
            FeedTrigger::A08 => "A08",
            FeedTrigger::A40 => "A40",
        }
    }

    /// A01/A04/A05: the identifiers are created (or updated if known).
    pub fn is_create(self) -> bool {
        matches!(self, FeedTrigger::A01 | FeedTrigger::A04 | FeedTrigger::A05)
    }

    pub fn is_update(self) -> bool {
        self == FeedTrigger::A08
    }

    pub fn is_merge(self) -> bool {
        self == FeedTrigger::A40
    }
}

/// One patient of a feed: the PID-3 identifiers and demographics, and for a
/// merge the MRG-1 identifiers that are subsumed by them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FeedRecord {
    /// PID-3, every repetition (each with an id and an assigning authority).
    pub identifiers: Vec<Cx>,
    /// PID-5/7/8/11.
    pub demographics: Demographics,
    /// MRG-1 (A40 only; empty otherwise): the prior ids, now subsumed by
    /// `identifiers` (the surviving ids).
    pub prior_identifiers: Vec<Cx>,
}

/// A parsed ITI-8 message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientFeed {
    pub trigger: FeedTrigger,
    /// MSH-10 (also the ATNA object detail).
    pub control_id: String,
    /// MSH-12.
    pub version: String,
    /// A01/A04/A05/A08: exactly one record. A40: one per PID/MRG group.
    pub records: Vec<FeedRecord>,
}

impl PatientFeed {
    /// Reads an ITI-8 message. Other messages and triggers give an error
    /// whose `ack_code` is AR (unsupported type/event); content errors give AE.
    pub fn from_message(message: &Message) -> Result<PatientFeed, FeedError> {
        let mt = message.message_type();
        if mt.code != "ADT" {
            return Err(RequestError::reject(
                ErrorCode::UnsupportedMessageType,
                Some(ErrLocation::field("MSH", 9)),
                format!("message type {:?} is not a patient identity feed", mt.code),
            ));
        }
        let Some(trigger) = FeedTrigger::parse(&mt.trigger) else {
            return Err(RequestError::reject(
                ErrorCode::UnsupportedEventCode,
                Some(ErrLocation::field("MSH", 9)),
                format!(
                    "ADT event {:?} is not supported (A01, A04, A05, A08, A40)",
                    mt.trigger
                ),
            ));
        };
        let control_id = message.control_id().into_owned();
        if control_id.is_empty() {
            return Err(RequestError::error(
                ErrorCode::RequiredFieldMissing,
                Some(ErrLocation::field("MSH", 10)),
                "MSH-10 message control id is empty",
            ));
        }
        let records = if trigger.is_merge() {
            merge_records(message)?
        } else {
            let pid = message.segment("PID").ok_or_else(missing_pid)?;
            vec![FeedRecord {
                identifiers: pid_identifiers(&pid, 1)?,
                demographics: Demographics::from_pid(&pid),
                prior_identifiers: Vec::new(),
            }]
        };
        Ok(PatientFeed {
            trigger,
            control_id,
            version: message.version().into_owned(),
            records,
        })
    }
}

fn missing_pid() -> RequestError {
    RequestError::error(
        ErrorCode::SegmentSequenceError,
        Some(ErrLocation::segment("PID")),
        "PID segment is missing",
    )
}

/// ADT_A39: { PID [PD1] MRG [PV1] } after MSH and EVN.
fn merge_records(message: &Message) -> Result<Vec<FeedRecord>, FeedError> {
    let mut records = Vec::new();
    let mut current: Option<FeedRecord> = None;
    let mut pid_no = 0u32;
    let mut mrg_no = 0u32;
    for segment in message.segments() {
        match segment.name() {
            "PID" => {
                if current.is_some() {
                    return Err(missing_mrg(pid_no));
                }
                pid_no += 1;
                current = Some(FeedRecord {
                    identifiers: pid_identifiers(&segment, pid_no)?,
                    demographics: Demographics::from_pid(&segment),
                    prior_identifiers: Vec::new(),
                });
            }
            "MRG" => {
                mrg_no += 1;
                let Some(mut record) = current.take() else {
                    return Err(RequestError::error(
                        ErrorCode::SegmentSequenceError,
                        Some(ErrLocation::segment("MRG").in_occurrence(mrg_no)),
                        "MRG segment without a preceding PID",
                    ));
                };
                record.prior_identifiers =
                    identifiers(segment.field(1), "MRG", mrg_no, 1, "MRG-1 prior patient id")?;
                records.push(record);
            }
            _ => {}
        }
    }
    if current.is_some() {
        return Err(missing_mrg(pid_no));
    }
    if records.is_empty() {
        return Err(missing_pid());
    }
    Ok(records)
}

fn missing_mrg(pid_no: u32) -> RequestError {
    RequestError::error(
        ErrorCode::SegmentSequenceError,
        Some(ErrLocation::segment("MRG").in_occurrence(pid_no)),
        "A40: PID without the MRG segment naming the merged id",
    )
}

fn pid_identifiers(pid: &Segment<'_>, occurrence: u32) -> Result<Vec<Cx>, FeedError> {
    identifiers(
        pid.field(3),
        "PID",
        occurrence,
        3,
        "PID-3 patient identifier list",
    )
}

/// A repeating CX field where every repetition needs an id and an assigning
/// authority: PIX cannot place an id without its domain.
pub(crate) fn identifiers(
    field: Option<Field<'_>>,
    segment: &str,
    occurrence: u32,
    field_no: u32,
    what: &str,
) -> Result<Vec<Cx>, FeedError> {
    let mut out = Vec::new();
    let reps = field
        .map(|f| f.repetitions().collect::<Vec<_>>())
        .unwrap_or_default();
    for (i, rep) in reps.iter().enumerate() {
        if rep.is_empty() {
            continue;
        }
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let cx = Cx::from_repetition(rep);
        if cx.id.trim().is_empty() {
            return Err(RequestError::error(
                ErrorCode::RequiredFieldMissing,
                Some(ErrLocation::component(segment, field_no, n, 1).in_occurrence(occurrence)),
                format!("{what}: repetition {n} has no id"),
            ));
        }
        if cx.assigning_authority.is_empty() {
            return Err(RequestError::error(
                ErrorCode::RequiredFieldMissing,
                Some(ErrLocation::component(segment, field_no, n, 4).in_occurrence(occurrence)),
                format!("{what}: id {:?} has no assigning authority", cx.id),
            ));
        }
        out.push(cx);
    }
    if out.is_empty() {
        return Err(RequestError::error(
            ErrorCode::RequiredFieldMissing,
            Some(ErrLocation::field(segment, field_no).in_occurrence(occurrence)),
            format!("{what} is empty"),
        ));
    }
    Ok(out)
}
