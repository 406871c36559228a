//! Certificate serial numbers.
//!
//! Canonical form, used everywhere (issuance records, [`crate::PeerIdentity`],
//! revocation sets, CRL entries): lowercase hexadecimal of the big-endian
//! magnitude, without separators and without leading zero bytes (the DER sign
//! byte is dropped); zero is `"00"`. Issued serials are 16 random bytes whose
//! first byte is in 0x40..=0x7f, so they are always exactly 32 hex digits.

use crate::error::CertError;

/// Length of the serials this CA issues, in bytes (RFC 5280 allows up to 20).
pub(crate) const SERIAL_LEN: usize = 16;

/// Canonical hex of a DER INTEGER's content bytes (or any big-endian magnitude).
pub(crate) fn serial_hex_from_bytes(bytes: &[u8]) -> String {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    match bytes.get(start..) {
        Some(rest) if !rest.is_empty() => hex::encode(rest),
        _ => "00".to_owned(),
    }
}

/// Normalises a serial typed by a person or read from another tool
/// (`4F:3A:...`, `0x4f3a...`, leading zeros) into the canonical form.
pub fn normalize_serial_hex(input: &str) -> Result<String, CertError> {
    let invalid = |reason| CertError::InvalidSerial {
        input: input.to_owned(),
        reason,
    };
    let trimmed = input.trim();
    let body = trimmed
        .strip_prefix("0x")
        .or_else(|| trimmed.strip_prefix("0X"))
        .unwrap_or(trimmed);
    let digits: String = body.chars().filter(|c| *c != ':' && *c != ' ').collect();
    if digits.is_empty() {
        return Err(invalid("it is empty"));
    }
    if digits.len() > 42 {
        return Err(invalid("it is longer than the 20 bytes RFC 5280 allows"));
    }
    if !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(invalid(
            "it contains characters other than hexadecimal digits",
        ));
    }
    let padded = if digits.len() % 2 == 1 {
        format!("0{digits}")
    } else {
        digits
    };
    let bytes = hex::decode(padded).map_err(|_| invalid("it is not hexadecimal"))?;
    Ok(serial_hex_from_bytes(&bytes))
}

/// Serial bytes for a canonical hex serial (no leading zero bytes).
pub(crate) fn serial_bytes(serial_hex: &str) -> Result<Vec<u8>, CertError> {
    let canonical = normalize_serial_hex(serial_hex)?;
    hex::decode(&canonical).map_err(|_| CertError::InvalidSerial {
        input: serial_hex.to_owned(),
        reason: "it is not hexadecimal",
    })
}

/// A fresh random, positive serial with a non-zero first byte.
pub(crate) fn random_serial() -> Result<[u8; SERIAL_LEN], CertError> {
    let mut bytes = [0u8; SERIAL_LEN];
    crate::tls::crypto_provider()
        .secure_random
        .fill(&mut bytes)
        .map_err(|_| CertError::KeyGeneration("the system random generator failed".to_owned()))?;
    if let Some(first) = bytes.first_mut() {
        *first = (*first & 0x3f) | 0x40;
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn canonical_form_strips_sign_byte_and_separators() {
        assert_eq!(serial_hex_from_bytes(&[0x00, 0x8f, 0x01]), "8f01");
        assert_eq!(serial_hex_from_bytes(&[0x00]), "00");
        assert_eq!(serial_hex_from_bytes(&[]), "00");
        assert_eq!(normalize_serial_hex("00:8F:01").unwrap(), "8f01");
        assert_eq!(normalize_serial_hex("0x8f01").unwrap(), "8f01");
        assert_eq!(normalize_serial_hex(" f01 ").unwrap(), "0f01");
        assert_eq!(normalize_serial_hex("0").unwrap(), "00");
    }

    #[test]
    fn refuses_non_hex() {
        assert!(normalize_serial_hex("").is_err());
        assert!(normalize_serial_hex("xyz").is_err());
        assert!(normalize_serial_hex(&"a".repeat(43)).is_err());
    }

    #[test]
    fn random_serials_are_positive_full_length_and_distinct() {
        let a = random_serial().unwrap();
        let b = random_serial().unwrap();
        assert_ne!(a, b);
        for s in [a, b] {
            assert!((0x40..=0x7f).contains(&s[0]));
            assert_eq!(serial_hex_from_bytes(&s).len(), 32);
        }
    }
}
