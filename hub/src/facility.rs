//! The operator's participant registry: admitting facilities, suspending
//! them, issuing / signing / revoking their certificates, CRLs and expiry
//! reports. One implementation shared by `renkei init`, the CLI and the
//! `/admin/` API, working on the database and the operator CA in the data dir.
//!
//! Every operation checks its input completely before it signs or writes
//! anything, so a refused request leaves nothing behind. Every change is
//! audited in the same database transaction as the change itself (facility
//! add / suspend / reinstate, certificate issue / revoke); a refused or
//! failed change leaves a failure record instead.

use crate::policy::{FacilityKind, UnknownKind};
use audit::{AuditEvent, AuditSource, Outcome, Requestor, TargetKind, Transaction};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use store::{CertificateRow, FacilityRow, Store, StoreError};

/// Valid (unrevoked, unexpired) certificates one facility may hold at once:
/// the one in service and its successor during a rollover.
pub const MAX_VALID_CERTIFICATES: usize = 2;
/// Validity of a participant certificate when none is asked for.
pub const DEFAULT_VALIDITY_DAYS: u32 = 730;
/// Longest participant validity (ATNA recommends at most two years; the
/// margin allows aligning renewal dates).
pub const MAX_VALIDITY_DAYS: u32 = 825;

/// Why an operation was refused or failed. The message says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error(
        "facility {0} is not registered; admit it first with `renkei facility add --oid {0} --name NAME --kind KIND`"
    )]
    UnknownFacility(String),
    #[error("facility {0} is already registered")]
    FacilityExists(String),
    #[error(
        "facility {0} is suspended; reinstate it (`renkei facility reinstate {0}`) before issuing certificates"
    )]
    FacilitySuspended(String),
    #[error(
        "facility {oid} already has {MAX_VALID_CERTIFICATES} valid certificates ({serials}); revoke the one being replaced first (`renkei certs revoke --serial SERIAL --reason superseded`)"
    )]
    TooManyCertificates { oid: String, serials: String },
    #[error("no certificate has serial {0}; `renkei certs list` shows the serials")]
    UnknownCertificate(String),
    #[error("certificate {0} is already revoked")]
    AlreadyRevoked(String),
    #[error(transparent)]
    Kind(#[from] UnknownKind),
    #[error("{0}")]
    Invalid(String),
    #[error("{0} already exists; give an empty directory or move the old files away")]
    OutputExists(PathBuf),
    #[error(transparent)]
    Cert(#[from] certs::CertError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How a caller (CLI exit message, HTTP status) should treat an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The request names something that does not exist.
    NotFound,
    /// The request conflicts with the current state.
    Conflict,
    /// The request itself is wrong (bad OID, weak CSR key...).
    Invalid,
    /// Our side failed (database, files, signing).
    Internal,
}

impl OpsError {
    pub fn class(&self) -> ErrorClass {
        use certs::CertError as C;
        match self {
            OpsError::UnknownFacility(_) | OpsError::UnknownCertificate(_) => ErrorClass::NotFound,
            OpsError::FacilityExists(_)
            | OpsError::FacilitySuspended(_)
            | OpsError::TooManyCertificates { .. }
            | OpsError::AlreadyRevoked(_)
            | OpsError::OutputExists(_) => ErrorClass::Conflict,
            OpsError::Kind(_) | OpsError::Invalid(_) => ErrorClass::Invalid,
            OpsError::Cert(
                C::InvalidFacilityOid { .. }
                | C::InvalidSubject(_)
                | C::InvalidValidity(_)
                | C::MalformedCsr(_)
                | C::CsrSignatureInvalid(_)
                | C::WeakKey(_)
                | C::UnsupportedKey(_)
                | C::InvalidSerial { .. }
                | C::Pem { .. },
            ) => ErrorClass::Invalid,
            OpsError::Cert(_) | OpsError::Store(_) => ErrorClass::Internal,
        }
    }
}

/// A facility as the operator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacilityRecord {
    pub oid: String,
    pub name: String,
    pub kind: String,
    /// `active` or `suspended`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<FacilityRow> for FacilityRecord {
    fn from(r: FacilityRow) -> Self {
        FacilityRecord {
            oid: r.oid,
            name: r.name,
            kind: r.kind,
            status: r.status,
            created_at: r.created_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
        }
    }
}

/// Status of a certificate at a given moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertificateStatus {
    Valid,
    Expired,
    Revoked,
}

impl CertificateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CertificateStatus::Valid => "valid",
            CertificateStatus::Expired => "expired",
            CertificateStatus::Revoked => "revoked",
        }
    }
}

/// A certificate the operator CA issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateRecord {
    /// Canonical lower-case hex serial.
    pub serial: String,
    pub facility_oid: String,
    pub subject: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub status: CertificateStatus,
    /// Whole days until `not_after` (negative once expired).
    pub days_left: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revocation_reason: Option<String>,
}

impl CertificateRecord {
    fn from_row(r: &CertificateRow, now: DateTime<Utc>) -> Self {
        let not_after = r.not_after.and_utc();
        let status = if r.status == store::CERTIFICATE_REVOKED {
            CertificateStatus::Revoked
        } else if not_after < now {
            CertificateStatus::Expired
        } else {
            CertificateStatus::Valid
        };
        CertificateRecord {
            serial: r.serial_hex.clone(),
            facility_oid: r.facility_oid.clone(),
            subject: r.subject.clone(),
            not_before: r.not_before.and_utc(),
            not_after,
            status,
            days_left: (not_after - now).num_days(),
            revoked_at: r.revoked_at.map(|t| t.and_utc()),
            revocation_reason: r.revocation_reason.clone(),
        }
    }
}

/// A freshly signed certificate with what the participant needs to use it.
#[derive(Clone, Serialize)]
pub struct IssuedBundle {
    pub certificate: CertificateRecord,
    pub certificate_pem: String,
    /// Only when the CA generated the key (`certs issue`); never for a CSR.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_key_pem: Option<String>,
    /// The operator CA, for the participant's trust store.
    pub ca_pem: String,
}

impl std::fmt::Debug for IssuedBundle {
    // The private key must not reach logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedBundle")
            .field("certificate", &self.certificate)
            .finish_non_exhaustive()
    }
}

/// Choices when issuing; everything else (subject O, SAN) comes from the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueOptions {
    /// Subject CN (a system or a person); defaults to the facility name.
    pub common_name: Option<String>,
    pub validity_days: u32,
}

impl Default for IssueOptions {
    fn default() -> Self {
        IssueOptions {
            common_name: None,
            validity_days: DEFAULT_VALIDITY_DAYS,
        }
    }
}

/// The participant registry over one data dir's database and CA.
#[derive(Debug, Clone)]
pub struct Participants {
    store: Store,
    pki_dir: PathBuf,
    /// How audit records name this hub.
    audit: Arc<AuditSource>,
    /// Who the changes are audited as: the operator at the command line
    /// unless [`Participants::acting_as`] names the admin API's caller.
    requestor: Requestor,
}

impl Participants {
    pub fn new(store: Store, pki_dir: &Path) -> Self {
        Participants {
            store,
            pki_dir: pki_dir.to_path_buf(),
            audit: Arc::new(AuditSource::unconfigured()),
            requestor: Requestor::operator_cli(),
        }
    }

    /// Audit records name this hub as `source` (see `auditing::audit_source`).
    pub fn with_audit_source(mut self, source: AuditSource) -> Self {
        self.audit = Arc::new(source);
        self
    }

    /// The same registry, auditing its changes as made by `requestor` (the
    /// operator facility of an admin API request).
    pub fn acting_as(&self, requestor: Requestor) -> Self {
        Participants {
            requestor,
            ..self.clone()
        }
    }

    fn event(&self, transaction: Transaction) -> AuditEvent {
        AuditEvent::new(transaction, self.requestor.clone())
    }

    /// Records a refused or failed change (its transaction wrote nothing).
    async fn audit_failure(&self, event: AuditEvent, error: &OpsError) {
        let outcome = match error.class() {
            ErrorClass::Internal => Outcome::SeriousFailure,
            _ => Outcome::MinorFailure,
        };
        let event = event.failed(outcome, error.to_string());
        if let Err(e) = audit::record(&self.store, &self.audit, vec![event]).await {
            tracing::error!(error = %e, "could not record a refused operator action in the audit trail");
        }
    }

    /// `result`, after auditing it if it is a failure.
    async fn audited<T>(
        &self,
        event: AuditEvent,
        result: Result<T, OpsError>,
    ) -> Result<T, OpsError> {
        if let Err(e) = &result {
            self.audit_failure(event, e).await;
        }
        result
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    fn ca(&self) -> Result<certs::OperatorCa, OpsError> {
        Ok(certs::OperatorCa::load(&self.pki_dir)?)
    }

    /// What participants put in their trust store: the whole CA bundle the
    /// hub trusts (old and new CA during a CA rollover).
    fn trust_bundle(&self, ca: &certs::OperatorCa) -> String {
        std::fs::read_to_string(self.pki_dir.join(certs::OperatorCa::CERT_FILE))
            .ok()
            .filter(|pem| certs::certs_from_pem(pem).is_ok())
            .unwrap_or_else(|| ca.cert_pem().to_string())
    }

    /// Admits a facility (active).
    pub async fn add_facility(
        &self,
        oid: &str,
        name: &str,
        kind: &str,
    ) -> Result<FacilityRecord, OpsError> {
        let event = self.event(Transaction::FacilityAdd).with_target_detail(
            TargetKind::Facility,
            oid.trim(),
            format!("{} ({kind})", name.trim()),
        );
        let result = self.add_facility_audited(oid, name, kind, &event).await;
        self.audited(event, result).await
    }

    async fn add_facility_audited(
        &self,
        oid: &str,
        name: &str,
        kind: &str,
        event: &AuditEvent,
    ) -> Result<FacilityRecord, OpsError> {
        let oid = oid.trim().to_string();
        let kind: FacilityKind = kind.parse()?;
        // The same rules the certificate subject will have to meet.
        certs::ParticipantSubject {
            facility_oid: oid.clone(),
            facility_name: name.to_string(),
            common_name: name.to_string(),
        }
        .validate()?;
        let row = store::NewFacility {
            oid: oid.clone(),
            name: name.trim().to_string(),
            kind: kind.as_str().to_string(),
        };
        let (source, event) = (Arc::clone(&self.audit), event.clone());
        let inserted = self
            .store
            .write(move |conn| {
                if store::facility(conn, &row.oid)?.is_some() {
                    return Ok(None);
                }
                store::insert_facility(conn, &row)?;
                let added = store::facility(conn, &row.oid)?;
                audit::append(conn, &source, &event)?;
                Ok::<_, StoreError>(added)
            })
            .await;
        match inserted {
            Ok(Some(row)) => Ok(row.into()),
            Ok(None) => Err(OpsError::FacilityExists(oid)),
            Err(e) if e.is_unique_violation() => Err(OpsError::FacilityExists(oid)),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn list_facilities(&self) -> Result<Vec<FacilityRecord>, OpsError> {
        let rows = self.store.read(store::list_facilities).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    pub async fn facility(&self, oid: &str) -> Result<FacilityRecord, OpsError> {
        let key = oid.to_string();
        self.store
            .read(move |conn| store::facility(conn, &key))
            .await?
            .map(Into::into)
            .ok_or_else(|| OpsError::UnknownFacility(oid.to_string()))
    }

    /// Suspends (`true`) or reinstates (`false`) a facility. Its connections
    /// are refused (or served again) within seconds, without a restart.
    pub async fn set_suspended(
        &self,
        oid: &str,
        suspended: bool,
    ) -> Result<FacilityRecord, OpsError> {
        let key = oid.to_string();
        let (status, transaction) = if suspended {
            (store::FACILITY_SUSPENDED, Transaction::FacilitySuspend)
        } else {
            (store::FACILITY_ACTIVE, Transaction::FacilityReinstate)
        };
        let event = self
            .event(transaction)
            .with_target(TargetKind::Facility, oid);
        let (source, recorded) = (Arc::clone(&self.audit), event.clone());
        let result = self
            .store
            .write(move |conn| {
                if store::set_facility_status(conn, &key, status)? {
                    let row = store::facility(conn, &key)?;
                    audit::append(conn, &source, &recorded)?;
                    Ok::<_, StoreError>(row)
                } else {
                    Ok(None)
                }
            })
            .await
            .map_err(OpsError::from)
            .and_then(|row| {
                row.map(Into::into)
                    .ok_or_else(|| OpsError::UnknownFacility(oid.to_string()))
            });
        self.audited(event, result).await
    }

    /// Issues a certificate with a key generated here (`certs issue`).
    pub async fn issue(&self, oid: &str, options: &IssueOptions) -> Result<IssuedBundle, OpsError> {
        self.sign(oid, None, options).await
    }

    /// Signs a participant's CSR; the participant keeps its key (`certs sign-csr`).
    pub async fn sign_csr(
        &self,
        oid: &str,
        csr_pem: &str,
        options: &IssueOptions,
    ) -> Result<IssuedBundle, OpsError> {
        self.sign(oid, Some(csr_pem), options).await
    }

    async fn sign(
        &self,
        oid: &str,
        csr_pem: Option<&str>,
        options: &IssueOptions,
    ) -> Result<IssuedBundle, OpsError> {
        let event = self
            .event(Transaction::CertIssue)
            .with_target(TargetKind::Facility, oid.trim());
        let result = self.sign_audited(oid, csr_pem, options, &event).await;
        self.audited(event, result).await
    }

    async fn sign_audited(
        &self,
        oid: &str,
        csr_pem: Option<&str>,
        options: &IssueOptions,
        event: &AuditEvent,
    ) -> Result<IssuedBundle, OpsError> {
        if options.validity_days == 0 || options.validity_days > MAX_VALIDITY_DAYS {
            return Err(OpsError::Invalid(format!(
                "validity of {} days requested; give 1 to {MAX_VALIDITY_DAYS} days (ATNA recommends at most two years)",
                options.validity_days
            )));
        }
        let facility = self.issuable(oid).await?;
        let subject = certs::ParticipantSubject {
            facility_oid: facility.oid.clone(),
            facility_name: facility.name.clone(),
            common_name: options
                .common_name
                .clone()
                .unwrap_or_else(|| facility.name.clone()),
        };
        let ca = self.ca()?;
        let issued = match csr_pem {
            Some(csr) => ca.sign_csr(csr, &subject, options.validity_days)?,
            None => ca.issue_participant(&subject, options.validity_days)?,
        };
        let row = store::NewCertificate {
            serial_hex: issued.serial_hex.clone(),
            facility_oid: facility.oid.clone(),
            subject: issued.subject.clone(),
            not_before: issued.not_before.naive_utc(),
            not_after: issued.not_after.naive_utc(),
            pem: issued.cert_pem.clone(),
        };
        // Re-checked in the recording transaction: a concurrent suspension or
        // issuance must not slip between the check above and the insert. A
        // certificate refused here was never recorded nor handed out.
        let key = facility.oid.clone();
        let now = Utc::now();
        let source = Arc::clone(&self.audit);
        let event = event.clone().with_target_detail(
            TargetKind::Certificate,
            issued.serial_hex.clone(),
            format!(
                "{}; {}",
                issued.subject,
                if csr_pem.is_some() {
                    "signed CSR"
                } else {
                    "key generated by the hub"
                }
            ),
        );
        let recorded = self
            .store
            .write(move |conn| -> Result<CertificateRow, OpsError> {
                check_issuable(conn, &key, now)?;
                store::insert_certificate(conn, &row)?;
                let recorded = store::certificate(conn, &row.serial_hex)?
                    .ok_or_else(|| OpsError::UnknownCertificate(row.serial_hex.clone()))?;
                audit::append(conn, &source, &event)?;
                Ok(recorded)
            })
            .await?;
        Ok(IssuedBundle {
            certificate: CertificateRecord::from_row(&recorded, now),
            certificate_pem: issued.cert_pem.clone(),
            private_key_pem: issued.key_pem.clone(),
            ca_pem: self.trust_bundle(&ca),
        })
    }

    /// `certs issue --out DIR`: issues and writes key.pem, cert.pem, ca.pem.
    /// If the files cannot be written the new certificate is revoked again,
    /// so no usable certificate exists whose key nobody holds.
    pub async fn issue_to_dir(
        &self,
        oid: &str,
        options: &IssueOptions,
        dir: &Path,
    ) -> Result<IssuedBundle, OpsError> {
        check_bundle_dir(dir)?;
        let bundle = self.issue(oid, options).await?;
        if let Err(e) = write_bundle(dir, &bundle) {
            self.withdraw(&bundle).await;
            return Err(e);
        }
        Ok(bundle)
    }

    /// `certs sign-csr --out FILE`: signs and writes the certificate (PEM).
    pub async fn sign_csr_to_file(
        &self,
        oid: &str,
        csr_pem: &str,
        options: &IssueOptions,
        out: &Path,
    ) -> Result<IssuedBundle, OpsError> {
        if out.exists() {
            return Err(OpsError::OutputExists(out.to_path_buf()));
        }
        let bundle = self.sign_csr(oid, csr_pem, options).await?;
        let file = [(
            out.to_path_buf(),
            bundle.certificate_pem.as_str(),
            certs::PUBLIC_FILE_MODE,
        )];
        if let Err(e) = write_all_or_nothing(&file) {
            self.withdraw(&bundle).await;
            return Err(e);
        }
        Ok(bundle)
    }

    async fn withdraw(&self, bundle: &IssuedBundle) {
        let serial = &bundle.certificate.serial;
        if let Err(e) = self
            .revoke_serial(serial, certs::RevocationReason::Superseded)
            .await
        {
            tracing::error!(%serial, error = %e, "could not revoke a certificate whose files were not written; revoke it by hand");
        }
    }

    /// The facility, if it may receive another certificate now.
    async fn issuable(&self, oid: &str) -> Result<FacilityRecord, OpsError> {
        let key = oid.trim().to_string();
        let now = Utc::now();
        self.store
            .read(move |conn| check_issuable(conn, &key, now))
            .await
            .map(Into::into)
    }

    /// Revokes one certificate; refused on new and open connections within seconds.
    pub async fn revoke_serial(
        &self,
        serial: &str,
        reason: certs::RevocationReason,
    ) -> Result<CertificateRecord, OpsError> {
        let event = self.event(Transaction::CertRevoke).with_target_detail(
            TargetKind::Certificate,
            serial.trim(),
            reason.as_str(),
        );
        let result = self.revoke_serial_audited(serial, reason, &event).await;
        self.audited(event, result).await
    }

    async fn revoke_serial_audited(
        &self,
        serial: &str,
        reason: certs::RevocationReason,
        event: &AuditEvent,
    ) -> Result<CertificateRecord, OpsError> {
        check_reason(reason)?;
        let serial = certs::normalize_serial_hex(serial)?;
        let now = Utc::now();
        let source = Arc::clone(&self.audit);
        let mut event = event.clone();
        let row = self
            .store
            .write(move |conn| -> Result<CertificateRow, OpsError> {
                let row = store::certificate(conn, &serial)?
                    .ok_or_else(|| OpsError::UnknownCertificate(serial.clone()))?;
                if !store::revoke_certificate(conn, &serial, reason_text(reason), now.naive_utc())?
                {
                    return Err(OpsError::AlreadyRevoked(row.serial_hex));
                }
                // The canonical serial, and whose certificate it was.
                event.targets.clear();
                let event = event
                    .with_target_detail(TargetKind::Certificate, &serial, reason.as_str())
                    .with_target(TargetKind::Facility, &row.facility_oid);
                let revoked = store::certificate(conn, &serial)?
                    .ok_or_else(|| OpsError::UnknownCertificate(serial.clone()))?;
                audit::append(conn, &source, &event)?;
                Ok(revoked)
            })
            .await?;
        Ok(CertificateRecord::from_row(&row, now))
    }

    /// Revokes every unrevoked certificate of a facility (expired ones too, so
    /// the CRL is complete). Returns what was revoked; empty if nothing was left.
    pub async fn revoke_facility(
        &self,
        oid: &str,
        reason: certs::RevocationReason,
    ) -> Result<Vec<CertificateRecord>, OpsError> {
        let event = self.event(Transaction::CertRevoke).with_target_detail(
            TargetKind::Facility,
            oid.trim(),
            reason.as_str(),
        );
        let result = self.revoke_facility_audited(oid, reason, &event).await;
        self.audited(event, result).await
    }

    /// One record per revoked certificate, all in the revoking transaction.
    async fn revoke_facility_audited(
        &self,
        oid: &str,
        reason: certs::RevocationReason,
        event: &AuditEvent,
    ) -> Result<Vec<CertificateRecord>, OpsError> {
        check_reason(reason)?;
        let key = oid.trim().to_string();
        let now = Utc::now();
        let source = Arc::clone(&self.audit);
        let mut template = event.clone();
        template.targets.clear();
        let rows = self
            .store
            .write(move |conn| -> Result<Vec<CertificateRow>, OpsError> {
                if store::facility(conn, &key)?.is_none() {
                    return Err(OpsError::UnknownFacility(key.clone()));
                }
                let mut revoked = Vec::new();
                for cert in store::certificates_of(conn, &key)? {
                    if store::revoke_certificate(
                        conn,
                        &cert.serial_hex,
                        reason_text(reason),
                        now.naive_utc(),
                    )? && let Some(row) = store::certificate(conn, &cert.serial_hex)?
                    {
                        revoked.push(row);
                    }
                }
                for row in &revoked {
                    let event = template
                        .clone()
                        .with_target_detail(
                            TargetKind::Certificate,
                            &row.serial_hex,
                            reason.as_str(),
                        )
                        .with_target(TargetKind::Facility, &row.facility_oid);
                    audit::append(conn, &source, &event)?;
                }
                Ok(revoked)
            })
            .await?;
        Ok(rows
            .iter()
            .map(|r| CertificateRecord::from_row(r, now))
            .collect())
    }

    /// All certificates, or one facility's.
    pub async fn certificates(
        &self,
        facility_oid: Option<&str>,
    ) -> Result<Vec<CertificateRecord>, OpsError> {
        let filter = facility_oid.map(|s| s.trim().to_string());
        let rows = self
            .store
            .read(move |conn| match &filter {
                Some(oid) => store::certificates_of(conn, oid),
                None => store::all_certificates(conn),
            })
            .await?;
        let now = Utc::now();
        Ok(rows
            .iter()
            .map(|r| CertificateRecord::from_row(r, now))
            .collect())
    }

    /// Unrevoked certificates whose validity ends within `days` (already
    /// expired ones included: they need the same attention), soonest first.
    pub async fn expiring(&self, days: u32) -> Result<Vec<CertificateRecord>, OpsError> {
        let horizon = Utc::now() + TimeDelta::days(i64::from(days));
        let mut certs: Vec<CertificateRecord> = self
            .certificates(None)
            .await?
            .into_iter()
            .filter(|c| c.status != CertificateStatus::Revoked && c.not_after <= horizon)
            .collect();
        certs.sort_by_key(|c| c.not_after);
        Ok(certs)
    }

    /// A CRL (PEM) of every revoked certificate, signed by the operator CA.
    /// The CRL number is the signing time in milliseconds, so it grows with
    /// every CRL without a counter to keep.
    pub async fn crl(&self, next_update_days: u32) -> Result<String, OpsError> {
        let rows = self.store.read(store::revoked_certificates).await?;
        let entries = rows
            .iter()
            .map(|r| certs::RevokedEntry {
                serial_hex: r.serial_hex.clone(),
                revoked_at: r.revoked_at.unwrap_or(r.created_at).and_utc(),
                reason: r
                    .revocation_reason
                    .as_deref()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(certs::RevocationReason::Unspecified),
            })
            .collect::<Vec<_>>();
        let number = u64::try_from(Utc::now().timestamp_millis()).unwrap_or_default();
        Ok(self.ca()?.crl(&entries, number, next_update_days)?)
    }
}

/// The facility exists, is active and holds fewer than the allowed valid certificates.
fn check_issuable(
    conn: &mut store::AnyConnection,
    oid: &str,
    now: DateTime<Utc>,
) -> Result<FacilityRow, OpsError> {
    let facility =
        store::facility(conn, oid)?.ok_or_else(|| OpsError::UnknownFacility(oid.to_string()))?;
    if facility.status == store::FACILITY_SUSPENDED {
        return Err(OpsError::FacilitySuspended(facility.oid));
    }
    let valid: Vec<String> = store::certificates_of(conn, oid)?
        .into_iter()
        .filter(|c| c.status == store::CERTIFICATE_VALID && c.not_after > now.naive_utc())
        .map(|c| c.serial_hex)
        .collect();
    if valid.len() >= MAX_VALID_CERTIFICATES {
        return Err(OpsError::TooManyCertificates {
            oid: facility.oid,
            serials: valid.join(", "),
        });
    }
    Ok(facility)
}

/// Revocation is final here; the reversible switch is suspension.
fn check_reason(reason: certs::RevocationReason) -> Result<(), OpsError> {
    if reason == certs::RevocationReason::CertificateHold {
        return Err(OpsError::Invalid(
            "revocation is permanent here; to put a facility on hold, suspend it (`renkei facility suspend OID`) and reinstate it later".into(),
        ));
    }
    Ok(())
}

fn reason_text(reason: certs::RevocationReason) -> Option<&'static str> {
    (reason != certs::RevocationReason::Unspecified).then_some(reason.as_str())
}

/// Writes `key.pem` (0600, when there is a key), `cert.pem` and `ca.pem` into
/// `dir`, refusing to overwrite anything; on failure removes what it wrote.
pub fn write_bundle(dir: &Path, bundle: &IssuedBundle) -> Result<Vec<PathBuf>, OpsError> {
    let mut files: Vec<(PathBuf, &str, u32)> = Vec::new();
    if let Some(key) = &bundle.private_key_pem {
        files.push((dir.join("key.pem"), key, certs::PRIVATE_FILE_MODE));
    }
    files.push((
        dir.join("cert.pem"),
        &bundle.certificate_pem,
        certs::PUBLIC_FILE_MODE,
    ));
    files.push((dir.join("ca.pem"), &bundle.ca_pem, certs::PUBLIC_FILE_MODE));
    write_all_or_nothing(&files)
}

/// Refuses early (before anything is signed) if `dir` already holds an issued bundle.
pub fn check_bundle_dir(dir: &Path) -> Result<(), OpsError> {
    for name in ["key.pem", "cert.pem", "ca.pem"] {
        let path = dir.join(name);
        if path.exists() {
            return Err(OpsError::OutputExists(path));
        }
    }
    Ok(())
}

/// Writes each file as new; if one fails, the ones already written are removed.
pub fn write_all_or_nothing(files: &[(PathBuf, &str, u32)]) -> Result<Vec<PathBuf>, OpsError> {
    let mut written = Vec::new();
    for (path, contents, mode) in files {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
            && let Err(e) = std::fs::create_dir_all(parent)
        {
            remove_all(&written);
            return Err(OpsError::Invalid(format!(
                "cannot create {}: {e}",
                parent.display()
            )));
        }
        match certs::write_file_atomically(
            path,
            contents.as_bytes(),
            *mode,
            certs::WriteMode::CreateNew,
        ) {
            Ok(()) => written.push(path.clone()),
            Err(certs::CertError::AlreadyExists(p)) => {
                remove_all(&written);
                return Err(OpsError::OutputExists(p));
            }
            Err(e) => {
                remove_all(&written);
                return Err(e.into());
            }
        }
    }
    Ok(written)
}

fn remove_all(paths: &[PathBuf]) {
    for p in paths {
        let _ = std::fs::remove_file(p);
    }
}

/// Used by `renkei init`: records the facility and writes its first
/// certificate bundle into `out`, both audited as the operator's command.
/// Returns the certificate serial.
pub async fn admit_and_issue(
    store: &Store,
    source: &AuditSource,
    ca: &certs::OperatorCa,
    oid: &str,
    name: &str,
    kind: &str,
    out: &Path,
) -> anyhow::Result<String> {
    // `init` holds the CA in memory before it is readable from disk by
    // others, so this path signs with the given CA rather than loading one.
    let kind: FacilityKind = kind.parse()?;
    let facility = store::NewFacility {
        oid: oid.to_string(),
        name: name.to_string(),
        kind: kind.as_str().to_string(),
    };
    let added = AuditEvent::new(Transaction::FacilityAdd, Requestor::operator_cli())
        .with_target_detail(TargetKind::Facility, oid, format!("{name} ({kind})"));
    let audit_source = source.clone();
    store
        .write(move |conn| {
            store::insert_facility(conn, &facility)?;
            audit::append(conn, &audit_source, &added)
        })
        .await
        .map_err(|e| anyhow::anyhow!("recording facility {oid}: {e}"))?;
    let issued = ca.issue_participant(
        &certs::ParticipantSubject {
            facility_oid: oid.to_string(),
            facility_name: name.to_string(),
            common_name: name.to_string(),
        },
        DEFAULT_VALIDITY_DAYS,
    )?;
    let row = store::NewCertificate {
        serial_hex: issued.serial_hex.clone(),
        facility_oid: oid.to_string(),
        subject: issued.subject.clone(),
        not_before: issued.not_before.naive_utc(),
        not_after: issued.not_after.naive_utc(),
        pem: issued.cert_pem.clone(),
    };
    let issued_event = AuditEvent::new(Transaction::CertIssue, Requestor::operator_cli())
        .with_target(TargetKind::Facility, oid)
        .with_target_detail(
            TargetKind::Certificate,
            issued.serial_hex.clone(),
            format!("{}; key generated by the hub", issued.subject),
        );
    let audit_source = source.clone();
    store
        .write(move |conn| {
            store::insert_certificate(conn, &row)?;
            audit::append(conn, &audit_source, &issued_event)
        })
        .await?;
    let now = Utc::now();
    let bundle = IssuedBundle {
        certificate: CertificateRecord {
            serial: issued.serial_hex.clone(),
            facility_oid: oid.to_string(),
            subject: issued.subject.clone(),
            not_before: issued.not_before,
            not_after: issued.not_after,
            status: CertificateStatus::Valid,
            days_left: (issued.not_after - now).num_days(),
            revoked_at: None,
            revocation_reason: None,
        },
        certificate_pem: issued.cert_pem.clone(),
        private_key_pem: issued.key_pem.clone(),
        ca_pem: ca.cert_pem().to_string(),
    };
    write_bundle(out, &bundle)?;
    Ok(issued.serial_hex)
}
