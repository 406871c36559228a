//! Replay of the NIST XDS Toolkit test cases in
//! `../shared/conformance/xds/nist-tests/` against a hub: the test plan
//! model, the ebXML 2.1 -> ebRIM 3.0 conversion, the toolkit's id and patient
//! id bookkeeping, its report/assertion XPath, and the result table.

pub mod contents;
pub mod convert;
pub mod dom;
pub mod exchange;
pub mod index;
pub mod plan;
pub mod raw;
pub mod report;
pub mod runner;
pub mod toolkit;
pub mod vocab;
pub mod xpath;

/// Why a test plan or a metadata file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum NistError {
    #[error("XML: {0}")]
    Xml(String),
    #[error("reading {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("test plan {path}: {reason}")]
    Plan { path: String, reason: String },
    #[error("ebXML 2.1 conversion: {0}")]
    Conversion(String),
}
