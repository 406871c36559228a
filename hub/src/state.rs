//! What every handler shares.

use crate::http::soap_io::Limits;
use registry::Registry;
use repository::Repository;

pub struct AppState {
    pub registry: Registry,
    pub repository: Repository,
    pub trust: certs::TrustState,
    pub limits: Limits,
    pub xml_limits: soap::XmlLimits,
    pub ebrim_limits: ebrim::parse::Limits,
    /// Facility kinds and the transaction policy.
    pub access: crate::policy::Access,
    /// The operator's registry of facilities and certificates (admin API).
    pub participants: crate::facility::Participants,
    /// Server certificate, CA bundle and handshake statistics.
    pub pki: std::sync::Arc<crate::pki_watch::PkiRuntime>,
    /// Where listeners report refused TLS handshakes (ITI-19 audit).
    pub node_auth: crate::node_auth::NodeAuthAudit,
    /// The PIX Manager (admin API, ITI-18 local-id translation).
    pub pix: pix::Pix,
}
