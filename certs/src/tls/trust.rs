//! What the hub trusts right now: the CA roots, revoked serials and suspended
//! facilities. All three are swapped atomically while listeners keep running.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::ClientCertVerifier;
use rustls_pki_types::CertificateDer;

use super::provider::crypto_provider;
use super::verifier::RevocationAwareClientVerifier;
use crate::error::{AccessRefused, CertError};
use crate::identity::PeerIdentity;
use crate::pem_files::certs_from_pem;
use crate::serial::normalize_serial_hex;

/// Chain-length policy for client certificates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustPolicy {
    /// Certificates a client may send after its end-entity certificate. The
    /// operator CA signs participants directly, so 1 allows a client that
    /// appends the CA certificate itself and nothing longer.
    pub max_intermediates: usize,
}

impl Default for TrustPolicy {
    fn default() -> Self {
        Self {
            max_intermediates: 1,
        }
    }
}

/// Revoked serials and suspended facilities. Cheap to clone (two `Arc`s); every
/// clone sees every replacement.
#[derive(Clone)]
pub struct RevocationView {
    revoked: Arc<ArcSwap<HashSet<String>>>,
    suspended: Arc<ArcSwap<HashSet<String>>>,
}

impl Default for RevocationView {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for RevocationView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevocationView")
            .field("revoked", &self.revoked.load().len())
            .field("suspended", &self.suspended.load().len())
            .finish()
    }
}

impl RevocationView {
    /// Nothing revoked, nothing suspended.
    pub fn new() -> Self {
        Self {
            revoked: Arc::new(ArcSwap::from_pointee(HashSet::new())),
            suspended: Arc::new(ArcSwap::from_pointee(HashSet::new())),
        }
    }

    /// Whether `serial_hex` (any form [`normalize_serial_hex`] accepts) is revoked.
    /// Text that is not a serial at all is not in the set.
    pub fn is_revoked(&self, serial_hex: &str) -> bool {
        let revoked = self.revoked.load();
        revoked.contains(serial_hex)
            || normalize_serial_hex(serial_hex).is_ok_and(|canonical| revoked.contains(&canonical))
    }

    /// Whether the facility is suspended.
    pub fn is_facility_suspended(&self, facility_oid: &str) -> bool {
        self.suspended.load().contains(facility_oid)
    }

    /// Replaces the whole revoked set (e.g. reloaded from the database or a CRL).
    /// Fails without changing anything if one entry is not a serial.
    pub fn replace_revoked(&self, serials: HashSet<String>) -> Result<(), CertError> {
        let canonical = serials
            .iter()
            .map(|s| normalize_serial_hex(s))
            .collect::<Result<HashSet<_>, _>>()?;
        self.revoked.store(Arc::new(canonical));
        Ok(())
    }

    /// Replaces the whole suspended-facility set.
    pub fn replace_suspended(&self, facility_oids: HashSet<String>) {
        self.suspended.store(Arc::new(facility_oids));
    }

    /// Adds one serial (an operator's `certs revoke`).
    pub fn revoke(&self, serial_hex: &str) -> Result<(), CertError> {
        let canonical = normalize_serial_hex(serial_hex)?;
        self.revoked.rcu(|current| {
            let mut next = HashSet::clone(current);
            next.insert(canonical.clone());
            next
        });
        Ok(())
    }

    /// Adds one facility to the suspended set.
    pub fn suspend_facility(&self, facility_oid: &str) {
        self.suspended.rcu(|current| {
            let mut next = HashSet::clone(current);
            next.insert(facility_oid.to_owned());
            next
        });
    }

    /// Removes one facility from the suspended set.
    pub fn reinstate_facility(&self, facility_oid: &str) {
        self.suspended.rcu(|current| {
            let mut next = HashSet::clone(current);
            next.remove(facility_oid);
            next
        });
    }

    /// Number of revoked serials held (for metrics).
    pub fn revoked_count(&self) -> usize {
        self.revoked.load().len()
    }
}

/// The current trust anchors and the webpki verifier built from them.
#[derive(Debug)]
pub(crate) struct Anchors {
    pub(crate) generation: u64,
    pub(crate) roots: Arc<RootCertStore>,
    pub(crate) verifier: Arc<dyn ClientCertVerifier>,
}

struct TrustInner {
    anchors: ArcSwap<Anchors>,
    next_generation: AtomicU64,
    revocation: RevocationView,
    policy: TrustPolicy,
    provider: Arc<CryptoProvider>,
}

/// Shared, hot-swappable trust state. Clone it freely: clones share everything.
#[derive(Clone)]
pub struct TrustState {
    inner: Arc<TrustInner>,
}

impl fmt::Debug for TrustState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustState")
            .field("roots", &self.inner.anchors.load().roots.len())
            .field("revocation", &self.inner.revocation)
            .field("policy", &self.inner.policy)
            .finish()
    }
}

impl TrustState {
    /// Trusts `ca_certs` (the operator CA; during a CA rollover, old and new).
    pub fn new(
        ca_certs: Vec<CertificateDer<'static>>,
        policy: TrustPolicy,
    ) -> Result<Self, CertError> {
        let provider = crypto_provider();
        let anchors = build_anchors(ca_certs, 0, &provider)?;
        Ok(Self {
            inner: Arc::new(TrustInner {
                anchors: ArcSwap::from_pointee(anchors),
                next_generation: AtomicU64::new(1),
                revocation: RevocationView::new(),
                policy,
                provider,
            }),
        })
    }

    /// Trusts every certificate in the PEM bundle, with the default policy.
    pub fn from_ca_pem(ca_pem: &str) -> Result<Self, CertError> {
        Self::new(certs_from_pem(ca_pem)?, TrustPolicy::default())
    }

    /// Replaces the CA roots; the next handshake uses them. The existing
    /// revocation and suspension sets are kept.
    pub fn replace_roots(&self, ca_certs: Vec<CertificateDer<'static>>) -> Result<(), CertError> {
        let generation = self.inner.next_generation.fetch_add(1, Ordering::Relaxed);
        let anchors = build_anchors(ca_certs, generation, &self.inner.provider)?;
        self.inner.anchors.store(Arc::new(anchors));
        Ok(())
    }

    /// [`Self::replace_roots`] from a PEM bundle.
    pub fn replace_roots_pem(&self, ca_pem: &str) -> Result<(), CertError> {
        self.replace_roots(certs_from_pem(ca_pem)?)
    }

    /// The revoked-serial and suspended-facility sets.
    pub fn revocation(&self) -> &RevocationView {
        &self.inner.revocation
    }

    /// The chain-length policy.
    pub fn policy(&self) -> TrustPolicy {
        self.inner.policy
    }

    /// The client-certificate verifier to put into a `ServerConfig`.
    pub fn client_verifier(&self) -> Arc<RevocationAwareClientVerifier> {
        Arc::new(RevocationAwareClientVerifier::new(self.clone()))
    }

    /// Per-request check of an identity accepted at handshake time: a long-lived
    /// connection must stop working once its certificate is revoked, its facility
    /// suspended or its validity over.
    pub fn check_peer(&self, peer: &PeerIdentity) -> Result<(), AccessRefused> {
        self.check_peer_at(peer, Utc::now())
    }

    /// [`Self::check_peer`] at a given instant.
    pub fn check_peer_at(
        &self,
        peer: &PeerIdentity,
        now: DateTime<Utc>,
    ) -> Result<(), AccessRefused> {
        let revocation = self.revocation();
        if revocation.is_revoked(&peer.serial_hex) {
            return Err(AccessRefused::Revoked {
                serial_hex: peer.serial_hex.clone(),
            });
        }
        if revocation.is_facility_suspended(&peer.facility_oid) {
            return Err(AccessRefused::FacilitySuspended {
                facility_oid: peer.facility_oid.clone(),
            });
        }
        if now > peer.not_after {
            return Err(AccessRefused::Expired {
                not_after: peer.not_after,
            });
        }
        if now < peer.not_before {
            return Err(AccessRefused::NotYetValid {
                not_before: peer.not_before,
            });
        }
        Ok(())
    }

    pub(crate) fn anchors(&self) -> arc_swap::Guard<Arc<Anchors>> {
        self.inner.anchors.load()
    }
}

fn build_anchors(
    ca_certs: Vec<CertificateDer<'static>>,
    generation: u64,
    provider: &Arc<CryptoProvider>,
) -> Result<Anchors, CertError> {
    if ca_certs.is_empty() {
        return Err(CertError::InvalidCa(
            "the CA bundle holds no certificate".to_owned(),
        ));
    }
    let mut roots = RootCertStore::empty();
    for cert in ca_certs {
        roots.add(cert)?;
    }
    let roots = Arc::new(roots);
    let verifier =
        WebPkiClientVerifier::builder_with_provider(Arc::clone(&roots), Arc::clone(provider))
            .build()?;
    Ok(Anchors {
        generation,
        roots,
        verifier,
    })
}
