//! Facilities (participants, identified by OID) and the certificates the
//! operator CA issued to them.

use crate::AnyConnection;
use crate::error::StoreError;
use crate::models::{
    CERTIFICATE_REVOKED, CERTIFICATE_VALID, CertificateRow, FACILITY_ACTIVE, FACILITY_SUSPENDED,
    FacilityRow, NewCertificate, NewFacility,
};
use crate::schema::{certificates, facilities};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Admits a facility (status active). Fails with a unique violation if the OID exists.
pub fn insert_facility(conn: &mut AnyConnection, new: &NewFacility) -> Result<(), StoreError> {
    let now = chrono::Utc::now().naive_utc();
    let row = FacilityRow {
        oid: new.oid.clone(),
        name: new.name.clone(),
        kind: new.kind.clone(),
        status: FACILITY_ACTIVE.to_string(),
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(facilities::table)
        .values(&row)
        .execute(conn)?;
    Ok(())
}

pub fn facility(conn: &mut AnyConnection, oid: &str) -> Result<Option<FacilityRow>, StoreError> {
    Ok(facilities::table
        .find(oid)
        .select(FacilityRow::as_select())
        .first(conn)
        .optional()?)
}

/// All facilities, by OID.
pub fn list_facilities(conn: &mut AnyConnection) -> Result<Vec<FacilityRow>, StoreError> {
    Ok(facilities::table
        .order(facilities::oid)
        .select(FacilityRow::as_select())
        .load(conn)?)
}

/// Sets a facility [`FACILITY_ACTIVE`] or [`FACILITY_SUSPENDED`] (other
/// values violate a CHECK constraint). Returns `false` if the OID is unknown.
pub fn set_facility_status(
    conn: &mut AnyConnection,
    oid: &str,
    status: &str,
) -> Result<bool, StoreError> {
    let changed = diesel::update(facilities::table.find(oid))
        .set((
            facilities::status.eq(status),
            facilities::updated_at.eq(chrono::Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(changed > 0)
}

/// OIDs of suspended facilities (refused at the TLS layer).
pub fn suspended_facilities(conn: &mut AnyConnection) -> Result<Vec<String>, StoreError> {
    Ok(facilities::table
        .filter(facilities::status.eq(FACILITY_SUSPENDED))
        .order(facilities::oid)
        .select(facilities::oid)
        .load(conn)?)
}

/// Records an issued certificate (status valid). The facility must exist.
pub fn insert_certificate(
    conn: &mut AnyConnection,
    new: &NewCertificate,
) -> Result<(), StoreError> {
    let row = CertificateRow {
        serial_hex: new.serial_hex.clone(),
        facility_oid: new.facility_oid.clone(),
        subject: new.subject.clone(),
        not_before: new.not_before,
        not_after: new.not_after,
        status: CERTIFICATE_VALID.to_string(),
        revoked_at: None,
        revocation_reason: None,
        pem: new.pem.clone(),
        created_at: chrono::Utc::now().naive_utc(),
    };
    diesel::insert_into(certificates::table)
        .values(&row)
        .execute(conn)?;
    Ok(())
}

pub fn certificate(
    conn: &mut AnyConnection,
    serial_hex: &str,
) -> Result<Option<CertificateRow>, StoreError> {
    Ok(certificates::table
        .find(serial_hex)
        .select(CertificateRow::as_select())
        .first(conn)
        .optional()?)
}

/// A facility's certificates, oldest first.
pub fn certificates_of(
    conn: &mut AnyConnection,
    facility_oid: &str,
) -> Result<Vec<CertificateRow>, StoreError> {
    Ok(certificates::table
        .filter(certificates::facility_oid.eq(facility_oid))
        .order((certificates::created_at, certificates::serial_hex))
        .select(CertificateRow::as_select())
        .load(conn)?)
}

/// Revokes a valid certificate. Returns `false` if it is unknown or already revoked
/// (the first revocation's time and reason are kept).
pub fn revoke_certificate(
    conn: &mut AnyConnection,
    serial_hex: &str,
    reason: Option<&str>,
    at: NaiveDateTime,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        certificates::table
            .find(serial_hex)
            .filter(certificates::status.eq(CERTIFICATE_VALID)),
    )
    .set((
        certificates::status.eq(CERTIFICATE_REVOKED),
        certificates::revoked_at.eq(Some(at)),
        certificates::revocation_reason.eq(reason),
    ))
    .execute(conn)?;
    Ok(changed > 0)
}

/// Serials of all revoked certificates (for the TLS layer's deny set and the CRL).
pub fn revoked_serials(conn: &mut AnyConnection) -> Result<Vec<String>, StoreError> {
    Ok(certificates::table
        .filter(certificates::status.eq(CERTIFICATE_REVOKED))
        .order(certificates::serial_hex)
        .select(certificates::serial_hex)
        .load(conn)?)
}

/// All revoked certificates with their revocation time and reason (CRL building).
pub fn revoked_certificates(conn: &mut AnyConnection) -> Result<Vec<CertificateRow>, StoreError> {
    Ok(certificates::table
        .filter(certificates::status.eq(CERTIFICATE_REVOKED))
        .order(certificates::serial_hex)
        .select(CertificateRow::as_select())
        .load(conn)?)
}

/// Every certificate, by facility then age (operator listings and expiry metrics).
pub fn all_certificates(conn: &mut AnyConnection) -> Result<Vec<CertificateRow>, StoreError> {
    Ok(certificates::table
        .order((
            certificates::facility_oid,
            certificates::created_at,
            certificates::serial_hex,
        ))
        .select(CertificateRow::as_select())
        .load(conn)?)
}
