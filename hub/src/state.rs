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
}
