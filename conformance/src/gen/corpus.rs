//! One patient's history as submissions: which documents, from which
//! facility, by whom, when. Everything is derived from (seed, patient,
//! document number), so a corpus can be regenerated or extended exactly.

use super::codes::{self, Coded};
use super::rng::Rng;
use crate::fixtures::{CONFIDENTIALITY, CodeSpec, DocSpec, Submission, code};

/// What the corpus is generated for.
#[derive(Debug, Clone)]
pub struct Region {
    /// `affinity_domain` of the hub (assigning authority of regional ids).
    pub affinity_domain: String,
    /// Put into hash/size/repositoryUniqueId for ITI-42 style submissions.
    pub repository_unique_id: String,
}

/// Shape of the corpus.
#[derive(Debug, Clone)]
pub struct CorpusShape {
    pub seed: u64,
    /// Local part of regional ids: `{prefix}{index:08}`.
    pub patient_prefix: String,
    pub docs_per_patient: u32,
    pub docs_per_submission: u32,
    /// Size of each document's bytes (via the hub) or the size recorded in
    /// metadata (straight into the store, where no bytes are kept).
    pub doc_bytes: usize,
    /// Every submission comes from this facility (the client certificate's,
    /// when submitting through the hub, which binds sourceId and
    /// authorInstitution to it). `None`: from the region's many facilities.
    pub submitting_facility: Option<String>,
    /// Each new patient's consent is for this facility (`*`: all
    /// participants); `None`: patients without consent
    /// ([`super::enrolment`]).
    pub consent_for: Option<String>,
}

/// The facility OID arc of synthetic facilities.
const FACILITY_ARC: &str = "1.2.392.200119.6.102";
/// How many distinct facilities submit.
const FACILITIES: u64 = 240;
/// Creation times spread over these years.
const FIRST_YEAR: u64 = 2016;
const YEARS: u64 = 10;
/// Marker in the fixture metadata replaced by the document's facility.
const FIXTURE_INSTITUTION: &str = "Demo Clinic^^^^^^^^^1.2.392.200119.6.102.1234567890";

/// The regional patient id of patient number `index`.
pub fn patient_id(region: &Region, prefix: &str, index: u64) -> String {
    format!("{prefix}{index:08}^^^&{}&ISO", region.affinity_domain)
}

/// A facility of the region: OID, XON name and kind.
struct Facility {
    oid: String,
    xon: String,
    kind: Coded,
}

fn facility(n: u64) -> Facility {
    let (kind, suffix) = codes::FACILITY_KINDS
        .get((n % codes::FACILITY_KINDS.len() as u64) as usize)
        .copied()
        .unwrap_or((
            ("clinic", crate::fixtures::REGION_CODES, "診療所"),
            "クリニック",
        ));
    let place = codes::PLACES
        .get((n / codes::FACILITY_KINDS.len() as u64 % codes::PLACES.len() as u64) as usize)
        .copied()
        .unwrap_or("中央");
    let oid = format!("{FACILITY_ARC}.{}", 1_000_000 + n);
    Facility {
        xon: format!("{place}{suffix}^^^^^^^^^{oid}"),
        oid,
        kind,
    }
}

fn spec(c: &Coded) -> CodeSpec {
    code(c.0, c.1, c.2)
}

/// A DTM `YYYYMMDDhhmmss` somewhere in the corpus' years.
fn dtm(rng: &mut Rng) -> (String, String) {
    let year = FIRST_YEAR + rng.below(YEARS);
    let month = 1 + rng.below(12);
    let day = 1 + rng.below(28);
    let hour = 8 + rng.below(10);
    let minute = rng.below(60);
    let start = format!("{year}{month:02}{day:02}{hour:02}{minute:02}00");
    let stop = format!("{year}{month:02}{day:02}{:02}{minute:02}00", hour + 1);
    (start, stop)
}

/// A document's bytes: a plain-text letter padded to `size`.
pub fn letter_bytes(size: usize, salt: &str) -> Vec<u8> {
    let head = format!(
        "診療情報提供書\n{salt}\n平素より大変お世話になっております。下記の患者様をご紹介いたします。\n"
    );
    let mut out = Vec::with_capacity(size.max(head.len()));
    out.extend_from_slice(head.as_bytes());
    while out.len() < size {
        out.extend_from_slice("経過と所見を記載します。".as_bytes());
    }
    out.truncate(size.max(1));
    out
}

/// One document entry of a patient.
fn document(
    rng: &mut Rng,
    id: &str,
    fac: &Facility,
    content: Vec<u8>,
    recorded_size: usize,
) -> DocSpec {
    let kind = codes::kind_for(rng.below(codes::total_weight()));
    let mut d = DocSpec::referral(id, &fac.oid, &content);
    d.mime_type = kind.mime_type.to_string();
    d.title = kind.title.to_string();
    d.class_code = spec(&kind.class);
    d.type_code = spec(&kind.type_code);
    d.healthcare_facility_type = spec(&fac.kind);
    if let Some(ps) = rng.pick(codes::PRACTICE_SETTINGS) {
        d.practice_setting = spec(ps);
    }
    if rng.chance(10) {
        d.confidentiality = vec![code("R", CONFIDENTIALITY, "restricted")];
    }
    for _ in 0..rng.below(3) {
        if let Some(dx) = rng.pick(codes::DIAGNOSES) {
            let c = spec(dx);
            if !d.event_codes.iter().any(|e| e.code == c.code) {
                d.event_codes.push(c);
            }
        }
    }
    let (start, stop) = dtm(rng);
    d.creation_time = stop.clone();
    d.service_start = Some(start);
    d.service_stop = Some(stop);
    let family = rng.pick(codes::FAMILY_NAMES).copied().unwrap_or("山田");
    let given = rng.pick(codes::GIVEN_NAMES).copied().unwrap_or("太郎");
    d.author_person = format!("^{family}^{given}^^^^^^&{}&ISO", fac.oid);
    if recorded_size != content.len() {
        d.size_override = Some(recorded_size.to_string());
    }
    d.content = content;
    d
}

/// One submission of `patient`: documents `first..first+count` of that
/// patient, from one facility. `registry_fields` adds hash/size/repository
/// (ITI-42 and straight-to-store); otherwise the repository computes them (ITI-41).
pub struct GeneratedSubmission {
    pub submission: Submission,
    /// The facility the submission comes from (its sourceId).
    pub facility_oid: String,
    /// The facility as authorInstitution (`Name^^^^^^^^^OID`).
    pub facility_xon: String,
}

impl CorpusShape {
    /// Submission number `n` of patient `patient`; `None` past the patient's last document.
    pub fn submission(
        &self,
        region: &Region,
        patient: u64,
        n: u32,
        registry_fields: bool,
    ) -> Option<GeneratedSubmission> {
        let per = self.docs_per_submission.max(1);
        let first = n.checked_mul(per)?;
        if first >= self.docs_per_patient {
            return None;
        }
        let count = per.min(self.docs_per_patient - first);
        let mut rng = Rng::for_item(self.seed, (patient << 20) ^ u64::from(n));
        let mut fac = facility(rng.below(FACILITIES));
        if let Some(own) = &self.submitting_facility {
            fac.xon = format!("連携テスト医療機関^^^^^^^^^{own}");
            fac.oid = own.clone();
        }
        let pid = patient_id(region, &self.patient_prefix, patient);
        let mut sub = Submission::new(&pid, &fac.oid);
        for i in 0..count {
            let id = format!("Document{:02}", i + 1);
            let unique = crate::fixtures::new_oid();
            let content = if registry_fields {
                // Straight-to-store and ITI-42 keep no bytes: a stand-in that hashes.
                unique.clone().into_bytes()
            } else {
                letter_bytes(self.doc_bytes, &unique)
            };
            let mut d = document(&mut rng, &id, &fac, content, self.doc_bytes);
            d.unique_id = unique;
            if registry_fields {
                d.registry_fields = Some(region.repository_unique_id.clone());
            } else {
                d.size_override = None;
            }
            sub = sub.with(d);
        }
        Some(GeneratedSubmission {
            submission: sub,
            facility_oid: fac.oid,
            facility_xon: fac.xon,
        })
    }

    /// Submissions per patient.
    pub fn submissions_per_patient(&self) -> u32 {
        let per = self.docs_per_submission.max(1);
        self.docs_per_patient.div_ceil(per)
    }
}

impl GeneratedSubmission {
    /// The SubmitObjectsRequest XML with the facility as author institution.
    pub fn submit_objects_xml(&self, fac_xon: Option<&str>) -> String {
        let xml = self.submission.submit_objects_xml();
        match fac_xon {
            Some(x) => xml.replace(FIXTURE_INSTITUTION, x),
            None => xml,
        }
    }

    /// The facility's XON (`Name^^^^^^^^^OID`).
    pub fn facility_xon(&self) -> String {
        self.facility_xon.clone()
    }

    /// ProvideAndRegister XML (MTOM attachments returned) with the facility as author institution.
    pub fn provide_and_register_xml(&self) -> (String, Vec<(String, String, Vec<u8>)>) {
        let (xml, att) = self.submission.provide_and_register_xml(true);
        (xml.replace(FIXTURE_INSTITUTION, &self.facility_xon()), att)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use ebrim::xds::{ValidationOptions, validate_submission};

    fn shape() -> CorpusShape {
        CorpusShape {
            seed: 42,
            patient_prefix: "BENCH".into(),
            docs_per_patient: 5,
            docs_per_submission: 2,
            doc_bytes: 20_000,
            submitting_facility: None,
            consent_for: None,
        }
    }

    fn region() -> Region {
        Region {
            affinity_domain: "1.2.392.200119.4.9999.1".into(),
            repository_unique_id: "1.2.392.200119.4.9999.2".into(),
        }
    }

    #[test]
    fn submissions_cover_the_patients_documents() {
        let s = shape();
        assert_eq!(s.submissions_per_patient(), 3);
        let counts: Vec<usize> = (0..4)
            .map(|n| {
                s.submission(&region(), 7, n, true)
                    .map_or(0, |g| g.submission.documents.len())
            })
            .collect();
        assert_eq!(counts, vec![2, 2, 1, 0]);
    }

    #[test]
    fn generated_metadata_passes_iti42_validation() {
        let g = shape().submission(&region(), 3, 0, true).unwrap();
        let xml = g.submit_objects_xml(Some(&g.facility_xon()));
        assert!(!xml.contains(FIXTURE_INSTITUTION));
        let req =
            ebrim::parse::submit_objects_request(xml.as_bytes(), &ebrim::parse::Limits::default())
                .unwrap();
        let v = validate_submission(&req, &ValidationOptions::register()).unwrap();
        assert_eq!(v.documents.len(), 2);
        assert_eq!(
            v.submission_set.patient_id.as_str(),
            patient_id(&region(), "BENCH", 3)
        );
        // The recorded size is the realistic one, not the stand-in's.
        assert_eq!(v.documents[0].size, Some(20_000));
    }

    #[test]
    fn provide_and_register_carries_real_bytes() {
        let g = shape().submission(&region(), 1, 0, false).unwrap();
        let (xml, att) = g.provide_and_register_xml();
        assert_eq!(att.len(), 2);
        assert!(att.iter().all(|a| a.2.len() == 20_000));
        let req = ebrim::parse::provide_and_register_request(
            xml.as_bytes(),
            &ebrim::parse::Limits::default(),
        )
        .unwrap();
        validate_submission(&req.submission, &ValidationOptions::provide_and_register()).unwrap();
    }

    #[test]
    fn a_submitting_facility_speaks_for_every_submission() {
        let mut s = shape();
        s.submitting_facility = Some("1.2.3.10.1".into());
        let g = s.submission(&region(), 2, 1, false).unwrap();
        assert_eq!(g.submission.source_id, "1.2.3.10.1");
        let (xml, _) = g.provide_and_register_xml();
        assert!(xml.contains("^^^^^^^^^1.2.3.10.1"));
        assert!(!xml.contains(FIXTURE_INSTITUTION));
    }

    #[test]
    fn letters_have_the_requested_size() {
        assert_eq!(letter_bytes(10_240, "x").len(), 10_240);
        assert_eq!(letter_bytes(3, "x").len(), 3);
    }
}
