//! Which subject keys the network accepts: RSA 2048-8192 bits, ECDSA P-256 and
//! P-384, Ed25519 (BCP 195 / RFC 9325 minimums; rustls verifies nothing else).

use rcgen::SignatureAlgorithm;
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_NIST_EC_P521,
    OID_PKCS1_RSAENCRYPTION, OID_PKCS1_RSASSAPSS, OID_SIG_ED25519,
};
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::error::CertError;

/// Smallest RSA modulus accepted.
pub const MIN_RSA_BITS: usize = 2048;
/// Largest RSA modulus aws-lc-rs verifies.
pub const MAX_RSA_BITS: usize = 8192;

/// An accepted subject public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubjectKey {
    Rsa { bits: usize },
    EcdsaP256,
    EcdsaP384,
    Ed25519,
}

impl SubjectKey {
    /// The rcgen algorithm whose SubjectPublicKeyInfo encoding matches this key.
    pub(crate) fn spki_algorithm(self) -> &'static SignatureAlgorithm {
        match self {
            Self::Rsa { .. } => &rcgen::PKCS_RSA_SHA256,
            Self::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            Self::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            Self::Ed25519 => &rcgen::PKCS_ED25519,
        }
    }
}

/// Classifies `spki`, refusing weak or unsupported keys with a message saying what to use.
pub(crate) fn classify(spki: &SubjectPublicKeyInfo<'_>) -> Result<SubjectKey, CertError> {
    let alg = &spki.algorithm.algorithm;
    if *alg == OID_PKCS1_RSAENCRYPTION {
        let bits = match spki.parsed() {
            Ok(PublicKey::RSA(rsa)) => modulus_bits(rsa.modulus),
            _ => {
                return Err(CertError::UnsupportedKey(
                    "the RSA public key cannot be decoded".to_owned(),
                ));
            }
        };
        if bits < MIN_RSA_BITS {
            return Err(CertError::WeakKey(format!(
                "RSA key has {bits} bits; generate a key of at least {MIN_RSA_BITS} bits (3072 recommended) or an ECDSA P-256 key"
            )));
        }
        if bits > MAX_RSA_BITS {
            return Err(CertError::UnsupportedKey(format!(
                "RSA key has {bits} bits; at most {MAX_RSA_BITS} bits are supported"
            )));
        }
        return Ok(SubjectKey::Rsa { bits });
    }
    if *alg == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok());
        return match curve {
            Some(c) if c == OID_EC_P256 => Ok(SubjectKey::EcdsaP256),
            Some(c) if c == OID_NIST_EC_P384 => Ok(SubjectKey::EcdsaP384),
            Some(c) => {
                let name = if c == OID_NIST_EC_P521 {
                    "P-521".to_owned()
                } else if c.to_id_string() == "1.3.132.0.10" {
                    "secp256k1".to_owned()
                } else {
                    c.to_id_string()
                };
                Err(CertError::UnsupportedKey(format!(
                    "elliptic curve {name} is not accepted; use P-256 (prime256v1), P-384 or Ed25519"
                )))
            }
            None => Err(CertError::UnsupportedKey(
                "EC key without a named curve; use P-256 (prime256v1), P-384 or Ed25519".to_owned(),
            )),
        };
    }
    if *alg == OID_SIG_ED25519 {
        return Ok(SubjectKey::Ed25519);
    }
    if *alg == OID_PKCS1_RSASSAPSS {
        return Err(CertError::UnsupportedKey(
            "RSA-PSS-restricted keys are not accepted; generate a plain RSA (rsaEncryption) key or an ECDSA P-256 key"
                .to_owned(),
        ));
    }
    Err(CertError::UnsupportedKey(format!(
        "key algorithm {} is not accepted; use ECDSA P-256, P-384, Ed25519 or RSA of at least {MIN_RSA_BITS} bits",
        alg.to_id_string()
    )))
}

/// Bit length of an unsigned big-endian modulus (leading zero bytes ignored).
pub(crate) fn modulus_bits(modulus: &[u8]) -> usize {
    let Some(start) = modulus.iter().position(|b| *b != 0) else {
        return 0;
    };
    let significant = modulus.len() - start;
    let top = modulus.get(start).copied().unwrap_or(0);
    (significant - 1) * 8 + (8 - top.leading_zeros() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modulus_bits_ignores_sign_byte() {
        assert_eq!(modulus_bits(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(modulus_bits(&[0x7f, 0x00]), 15);
        assert_eq!(modulus_bits(&[0x00, 0x00]), 0);
        let mut m = vec![0x00, 0xc3];
        m.extend([0u8; 127]);
        assert_eq!(modulus_bits(&m), 1024);
    }
}
