//! SOAP 1.2 envelopes: reading requests ([`read_envelope`]) and writing
//! responses ([`envelope`]).

mod cursor;
mod read;
pub(crate) mod write;

pub use read::{EnvelopeInfo, read_envelope};
pub use write::envelope;
