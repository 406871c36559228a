//! MTOM/XOP packages (W3C SOAP 1.2 MTOM, XOP 1.0) over MIME multipart/related
//! (RFC 2046 §5.1, RFC 2387).

mod cid;
mod headers;
mod reader;
mod writer;

pub use cid::{cid_from_href, new_content_id, xop_include};
pub use headers::PartHeaders;
pub use reader::{MtomError, MultipartEvent, MultipartLimits, MultipartReader};
pub use writer::MtomWriter;
