//! Conversions between chrono (our API) and time (rcgen's API), and validity rules.

use chrono::{DateTime, TimeDelta, Utc};
use time::OffsetDateTime;

use crate::error::CertError;

/// Certificates start this long before "now" so peers with slightly slow
/// clocks do not refuse a certificate issued a moment ago.
pub(crate) const BACKDATE: TimeDelta = TimeDelta::minutes(5);

/// Upper bound on any validity we issue (CA included), a guard against typos.
pub(crate) const MAX_VALIDITY_DAYS: u32 = 36_525;

pub(crate) fn to_offset(t: DateTime<Utc>) -> Result<OffsetDateTime, CertError> {
    OffsetDateTime::from_unix_timestamp(t.timestamp())
        .map_err(|e| CertError::InvalidValidity(format!("{t} cannot be encoded: {e}")))
}

pub(crate) fn from_unix(secs: i64) -> Result<DateTime<Utc>, CertError> {
    DateTime::from_timestamp(secs, 0)
        .ok_or_else(|| CertError::MalformedCertificate(format!("time {secs} is out of range")))
}

/// `[now - BACKDATE, now + days]`, after checking `days` is sensible.
pub(crate) fn window_from_now(days: u32) -> Result<(DateTime<Utc>, DateTime<Utc>), CertError> {
    if days == 0 || days > MAX_VALIDITY_DAYS {
        return Err(CertError::InvalidValidity(format!(
            "{days} days requested; give between 1 and {MAX_VALIDITY_DAYS} days"
        )));
    }
    let now = Utc::now();
    let not_after = now
        .checked_add_signed(TimeDelta::days(i64::from(days)))
        .ok_or_else(|| CertError::InvalidValidity(format!("{days} days overflow the calendar")))?;
    Ok((now - BACKDATE, not_after))
}
