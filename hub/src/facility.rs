//! Admitting facilities and issuing their certificates (shared by `init`,
//! the CLI and later the admin API).

use crate::pki_files::write_file;
use anyhow::{Context, Result};
use std::path::Path;
use store::Store;

/// Records the facility and writes `key.pem`, `cert.pem`, `ca.pem` into `out`.
pub async fn admit_and_issue(
    store: &Store,
    ca: &certs::OperatorCa,
    oid: &str,
    name: &str,
    kind: &str,
    out: &Path,
) -> Result<String> {
    let facility = store::NewFacility {
        oid: oid.to_string(),
        name: name.to_string(),
        kind: kind.to_string(),
    };
    store
        .write(move |conn| store::insert_facility(conn, &facility))
        .await
        .with_context(|| format!("recording facility {oid}"))?;
    issue_to_dir(store, ca, oid, name, out).await
}

pub async fn issue_to_dir(
    store: &Store,
    ca: &certs::OperatorCa,
    oid: &str,
    name: &str,
    out: &Path,
) -> Result<String> {
    let issued = ca
        .issue_participant(
            &certs::ParticipantSubject {
                facility_oid: oid.to_string(),
                facility_name: name.to_string(),
                common_name: name.to_string(),
            },
            825,
        )
        .with_context(|| format!("issuing a certificate for {oid}"))?;
    let row = store::NewCertificate {
        serial_hex: issued.serial_hex.clone(),
        facility_oid: oid.to_string(),
        subject: issued.subject.clone(),
        not_before: issued.not_before.naive_utc(),
        not_after: issued.not_after.naive_utc(),
        pem: issued.cert_pem.clone(),
    };
    store
        .write(move |conn| store::insert_certificate(conn, &row))
        .await?;
    if let Some(key) = &issued.key_pem {
        write_file(&out.join("key.pem"), key.as_bytes(), true)?;
    }
    write_file(&out.join("cert.pem"), issued.cert_pem.as_bytes(), false)?;
    write_file(&out.join("ca.pem"), ca.cert_pem().as_bytes(), false)?;
    Ok(issued.serial_hex)
}
