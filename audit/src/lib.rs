//! The ATNA audit trail of the renkei hub.
//!
//! - Pure: the event catalogue ([`catalogue`]: DICOM EventID, action and
//!   type codes per IHE transaction and per hub event), the DICOM PS3.15 audit
//!   message ([`xml`]), the hash chain ([`chain`]) and RFC 5424 framing
//!   ([`syslog`]).
//! - I/O: [`append`] writes a record inside the caller's database transaction
//!   (so an action that commits has its record, and one that rolls back has
//!   none: the caller then records the failure with [`record`]); [`verify`]
//!   walks the chain; [`report`] searches; [`forward`] sends every record to
//!   the region's audit repositories over syslog/TLS or UDP from a cursor per
//!   destination; [`retention`] archives and prunes old forwarded records.

pub mod catalogue;
pub mod chain;
mod error;
mod event;
pub mod forward;
mod group;
mod record;
pub mod report;
pub mod retention;
pub mod syslog;
pub mod xml;

pub use catalogue::{Action, Outcome, Side, Transaction};
pub use error::AuditError;
pub use event::{AuditEvent, AuditSource, DocumentRef, QueryRef, Requestor, Target, TargetKind};
pub use record::{VerifyReport, append, link_inbox, record, run_inbox_linker, verify};

use chrono::{DateTime, SubsecRound, Utc};

/// Audit times are kept to the millisecond: the stored value, the XML and the
/// hash input are then the same on both database backends.
pub fn audit_time(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(3)
}

/// RFC 3339 / xs:dateTime with milliseconds, UTC (`2025-01-02T03:04:05.678Z`).
pub fn format_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}
