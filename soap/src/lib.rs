//! SOAP 1.2 + WS-Addressing 1.0 + MTOM/XOP wire layer for the IHE XDS.b transactions.
//!
//! Pure and I/O free: the HTTP layer hands bytes in and takes bytes out, so the
//! same code serves the server, the test client and the fuzz targets.
//!
//! * [`read_envelope`] checks a SOAP 1.2 envelope and its WS-Addressing headers
//!   and stops at the first Body child (the body belongs to the `ebrim` crate).
//! * [`envelope`] and [`SoapFault::to_xml`] write responses.
//! * [`parse_content_type`] tells simple SOAP from MTOM.
//! * [`MultipartReader`] / [`MtomWriter`] split and build MTOM packages without
//!   ever holding a whole document part in memory.

mod content_type;
mod envelope;
mod escape;
mod fault;
mod limits;
mod mtom;

pub use content_type::{
    ContentType, ContentTypeError, MediaType, MtomContentType, SoapContentType, parse_content_type,
};
pub use envelope::{EnvelopeInfo, envelope, read_envelope};
pub use escape::{escape_attribute, escape_text};
pub use fault::{FaultCode, SoapFault};
pub use limits::{XmlGuard, XmlLimitError, XmlLimits, resolve_reference};
pub use mtom::{
    MtomError, MtomWriter, MultipartEvent, MultipartLimits, MultipartReader, PartHeaders,
    cid_from_href, new_content_id, xop_include,
};

/// SOAP 1.2 envelope namespace (the only SOAP version IHE allows).
pub const SOAP12_NS: &str = "http://www.w3.org/2003/05/soap-envelope";
/// SOAP 1.1 envelope namespace, recognised only to answer VersionMismatch.
pub const SOAP11_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// WS-Addressing 1.0 namespace.
pub const WSA_NS: &str = "http://www.w3.org/2005/08/addressing";
/// XOP include namespace.
pub const XOP_NS: &str = "http://www.w3.org/2004/08/xop/include";
/// WS-Addressing anonymous address: reply on the HTTP back channel.
pub const WSA_ANONYMOUS: &str = "http://www.w3.org/2005/08/addressing/anonymous";
/// WS-Addressing action of every SOAP fault message.
pub const WSA_FAULT_ACTION: &str = "http://www.w3.org/2005/08/addressing/soap/fault";
