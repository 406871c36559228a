//! `renkei consent grant | withdraw | show | emergency`: the operator records
//! paper consent forms and opens emergency access on the hub's data dir.
//! A running hub sees the change at its next read (state is read per request).

use crate::config::Settings;
use anyhow::{Result, bail};
use registry::consents::{ConsentReport, GrantRequest, GrantView};
use registry::{Registry, RegistryConfig};

/// Who the operator's command-line changes are recorded by.
pub const OPERATOR_CLI: &str = "operator-cli";

/// The registry of the data dir, with the region's consent policy.
pub async fn registry(settings: &Settings) -> Result<Registry> {
    let store = store::Store::open(&settings.database_url, 1).await?;
    Ok(Registry::new(
        store,
        RegistryConfig {
            max_query_results: settings.max_query_results,
            home_community_id: settings.home_community_id.clone(),
        },
    )
    .with_audit_source(crate::auditing::audit_source(settings))
    .with_consent_policy(settings.consent.clone()))
}

pub async fn grant(
    settings: &Settings,
    patient: String,
    all: bool,
    facilities: Vec<String>,
    restricted: bool,
    days: Option<u32>,
) -> Result<String> {
    let facilities = match (all, facilities.is_empty()) {
        (true, true) => vec![consent::ALL_FACILITIES.to_string()],
        (false, false) => facilities,
        _ => bail!("give either --all or one or more --facility OID"),
    };
    let request = GrantRequest {
        patient,
        facilities,
        scope: if restricted {
            consent::Scope::Restricted
        } else {
            consent::Scope::Normal
        },
        days,
        source: store::CONSENT_SOURCE_CLI,
    };
    let rows = registry(settings)
        .await?
        .grant_consent(
            request,
            OPERATOR_CLI.to_string(),
            audit::Requestor::operator_cli(),
        )
        .await?;
    Ok(grants_table("recorded", &rows))
}

pub async fn withdraw(
    settings: &Settings,
    patient: String,
    facility: Option<String>,
) -> Result<String> {
    let rows = registry(settings)
        .await?
        .withdraw_consent(patient, facility, audit::Requestor::operator_cli())
        .await?;
    if rows.is_empty() {
        return Ok("no active consent matched; nothing withdrawn\n".to_string());
    }
    Ok(grants_table("withdrawn", &rows))
}

pub async fn show(settings: &Settings, patient: String) -> Result<String> {
    let report = registry(settings).await?.consent_report(patient).await?;
    Ok(report_text(&report))
}

pub async fn emergency(
    settings: &Settings,
    patient: String,
    facility: String,
    reason: String,
    hours: Option<u32>,
) -> Result<String> {
    let access = registry(settings)
        .await?
        .open_emergency_access(
            patient,
            facility,
            reason,
            hours,
            OPERATOR_CLI.to_string(),
            audit::Requestor::operator_cli(),
        )
        .await?;
    Ok(format!(
        "emergency access {} opened for {} until {} (audited; listed by `renkei consent show`)\n",
        access.id,
        access.facility,
        access.expires_at.to_rfc3339()
    ))
}

fn time(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| "-".to_string())
}

fn grants_table(what: &str, rows: &[GrantView]) -> String {
    let mut out = String::new();
    for g in rows {
        out.push_str(&format!(
            "{what} {} facility={} scope={} expires={}\n",
            g.id,
            g.facility,
            g.scope,
            time(g.expires_at)
        ));
    }
    out
}

/// The report as text: consents, then emergency accesses with their uses.
pub fn report_text(r: &ConsentReport) -> String {
    let mut out = format!("patient {} (model {})\n\nconsents:\n", r.patient, r.model);
    if r.grants.is_empty() {
        out.push_str("  none\n");
    }
    for g in &r.grants {
        let state = if g.active {
            "active"
        } else if g.withdrawn_at.is_some() {
            "withdrawn"
        } else {
            "expired"
        };
        out.push_str(&format!(
            "  {state:<9} facility={} scope={} given={} expires={} withdrawn={} source={} by={}{}\n",
            g.facility,
            g.scope,
            time(Some(g.given_at)),
            time(g.expires_at),
            time(g.withdrawn_at),
            g.source,
            g.recorded_by,
            g.document_unique_id
                .as_ref()
                .map(|d| format!(" document={d}"))
                .unwrap_or_default()
        ));
    }
    out.push_str("\nemergency accesses:\n");
    if r.emergency_accesses.is_empty() {
        out.push_str("  none\n");
    }
    for e in &r.emergency_accesses {
        out.push_str(&format!(
            "  {} facility={} opened={} expires={} {} by={} reason={:?}\n",
            e.id,
            e.facility,
            time(Some(e.opened_at)),
            time(Some(e.expires_at)),
            if e.active { "active" } else { "closed" },
            e.opened_by,
            e.reason
        ));
        for u in &e.uses {
            out.push_str(&format!(
                "    used {} documents={}\n",
                u.time,
                u.documents.join(",")
            ));
        }
    }
    out
}
