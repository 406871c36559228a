//! Data generator for benchmarks: N patients with M documents each, with the
//! metadata a Japanese regional network carries (document kinds of the
//! region's code set, departments, facilities, authors, dates over ten
//! years). Large corpora go straight into the store through the registry's
//! own registration code ([`direct`]); small ones through ITI-41 against a
//! running hub ([`via_hub`]).

pub mod codes;
pub mod corpus;
pub mod direct;
pub mod enrolment;
pub mod rng;
pub mod via_hub;

pub use corpus::{CorpusShape, Region, patient_id};

/// Why generation stopped.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("generated metadata did not parse: {0}")]
    Parse(String),
    #[error("generated submission rejected: {0}")]
    Rejected(String),
    #[error("hub: {0}")]
    Hub(String),
}

/// What a generation run did.
#[derive(Debug, Clone, Default)]
pub struct GenSummary {
    pub patients: u64,
    pub submissions: u64,
    pub document_entries: u64,
    pub seconds: f64,
    /// Submissions the hub refused (via the hub only).
    pub failures: u64,
}

impl GenSummary {
    pub fn entries_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.document_entries as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// A progress bar over document entries (hidden when stderr is no terminal).
pub fn progress_bar(total: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{elapsed_precise} [{bar:40}] {pos}/{len} entries ({per_sec}, eta {eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
