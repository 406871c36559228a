//! `renkei audit verify | patient | search`: the command implementations,
//! returning what the command prints (the CLI wiring only parses arguments).

use crate::config::Settings;
use anyhow::{Context, Result, bail};
use audit::report::{self, AuditQuery, AuditRecord};
use chrono::{DateTime, Utc};
use store::Store;

/// Output format of reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportFormat {
    /// One JSON object per line (DESIGN.md "Audit search output").
    #[default]
    Json,
    Csv,
}

impl std::str::FromStr for ReportFormat {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "json" => Ok(ReportFormat::Json),
            "csv" => Ok(ReportFormat::Csv),
            other => bail!("--format {other}: use json or csv"),
        }
    }
}

/// Arguments of `renkei audit search`.
#[derive(Debug, Clone, Default)]
pub struct SearchArgs {
    pub patient: Option<String>,
    pub facility: Option<String>,
    /// RFC 3339 (or a date, `2025-01-31`).
    pub since: Option<String>,
    pub until: Option<String>,
    /// `ITI-43`, `cert-revoke`, ...
    pub transaction: Option<String>,
    /// DICOM EventID code (`110106`).
    pub event_id: Option<String>,
    pub format: ReportFormat,
}

/// `renkei audit verify`: walks the chain. Returns the report and whether it
/// is intact (the CLI exits non-zero when it is not).
pub async fn verify(store: &Store) -> Result<(String, bool)> {
    let report = audit::verify(store).await?;
    Ok((format!("{report}\n"), report.is_intact()))
}

/// `renkei audit patient CX [--since] [--format]`: every read or change of
/// this patient's records, by which facility, when, on what basis.
pub async fn patient(
    store: &Store,
    settings: &Settings,
    cx: &str,
    since: Option<&str>,
    format: ReportFormat,
) -> Result<String> {
    let patient = regional_patient(settings, cx)?;
    let since = since.map(parse_time).transpose()?;
    let records = report::patient_report(store, &patient, since).await?;
    Ok(render(&records, format))
}

/// `renkei audit search [--patient] [--facility] [--since] [--until]
/// [--transaction] [--event-id] [--format]`.
pub async fn search(store: &Store, settings: &Settings, args: &SearchArgs) -> Result<String> {
    let query = AuditQuery {
        patient: args
            .patient
            .as_deref()
            .map(|p| regional_patient(settings, p))
            .transpose()?,
        facility: args.facility.clone(),
        since: args.since.as_deref().map(parse_time).transpose()?,
        until: args.until.as_deref().map(parse_time).transpose()?,
        transaction: args.transaction.clone(),
        event_id: args.event_id.clone(),
        limit: None,
    };
    let records = report::search(store, &query).await?;
    Ok(render(&records, args.format))
}

/// Opens the configured database for a command.
pub async fn open_store(settings: &Settings) -> Result<Store> {
    Store::open(&settings.database_url, 1)
        .await
        .context("opening the database")
}

/// The report text in `format` (what the CLI prints and the admin API sends).
pub fn render(records: &[AuditRecord], format: ReportFormat) -> String {
    match format {
        ReportFormat::Json => report::to_json_lines(records),
        ReportFormat::Csv => report::to_csv(records),
    }
}

/// The patient id in the form the audit trail stores (normalised CX).
fn regional_patient(settings: &Settings, cx: &str) -> Result<String> {
    regional_patient_in(&settings.affinity_domain, cx)
}

/// [`regional_patient`] for the affinity domain `affinity_domain`.
pub fn regional_patient_in(affinity_domain: &str, cx: &str) -> Result<String> {
    let pid = ebrim::datatypes::PatientId::parse(cx).map_err(|e| anyhow::anyhow!("{cx}: {e}"))?;
    if pid.assigning_authority() != affinity_domain {
        bail!(
            "{cx} is not in the affinity domain {affinity_domain}; regional ids look like ID^^^&{affinity_domain}&ISO"
        );
    }
    Ok(pid.as_str().to_string())
}

/// RFC 3339 (`2025-01-31T09:00:00+09:00`) or a date (`2025-01-31`, UTC midnight).
pub fn parse_time(s: &str) -> Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .with_context(|| {
            format!("{s} is not an RFC 3339 time (2025-01-31T09:00:00+09:00) or a date")
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn times_parse() {
        assert_eq!(
            parse_time("2025-01-31T09:00:00+09:00")
                .unwrap()
                .to_rfc3339(),
            "2025-01-31T00:00:00+00:00"
        );
        assert_eq!(
            parse_time("2025-01-31").unwrap().to_rfc3339(),
            "2025-01-31T00:00:00+00:00"
        );
        assert!(parse_time("yesterday").is_err());
        assert!("xml".parse::<ReportFormat>().is_err());
    }
}
