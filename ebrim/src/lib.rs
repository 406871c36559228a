//! ebRIM 3.0 / XDS.b metadata: the wire model, a namespace-checking streaming
//! parser, the writer for responses, the XDS metadata rules with their IHE
//! error codes, and stored-query parameter decoding. Pure: no I/O.

pub mod datatypes;
pub mod error;
pub mod model;
pub mod parse;
pub mod query;
pub mod vocab;
pub mod write;
pub mod xds;

pub use error::{RegistryError, ResponseStatus, Severity, XdsErrorCode};
pub use model::*;
