//! DocumentEntry attributes (ITI TF-3 4.2.3.2, Table 4.3.1-3, Document
//! Source column for ITI-41 and Registry column for ITI-42).

use super::attributes::{
    authors, codes, dtm_slot, external_id, multi_slot, single_slot, title, typed,
};
use super::entries::DocumentEntry;
use super::ids::IdMap;
use super::options::ValidationOptions;
use super::report::{Report, Subject};
use crate::datatypes::{DocumentEntryType, EntryUuid, Oid, PatientId, UniqueId};
use crate::model::ExtrinsicObject;
use crate::vocab;
use std::cmp::Ordering;

/// Checks one ExtrinsicObject and extracts its indexed fields. Every
/// problem is reported; `None` when any required field is unusable.
pub(super) fn document_entry(
    report: &mut Report,
    ids: &IdMap,
    object: ExtrinsicObject,
    options: &ValidationOptions,
) -> Option<DocumentEntry> {
    let s = Subject {
        kind: "DocumentEntry",
        label: ids.label(&object.core.id),
        ids,
    };
    let core = &object.core;

    let object_type = match core.object_type.as_deref() {
        None | Some("") => {
            s.metadata(
                report,
                "objectType is missing (stable or On-Demand DocumentEntry UUID)",
            );
            None
        }
        Some(t) => DocumentEntryType::from_urn(t).or_else(|| {
            s.metadata(
                report,
                format!(
                    "objectType '{t}' is neither {} (stable) nor {} (On-Demand)",
                    vocab::OBJ_DOCUMENT_ENTRY_STABLE,
                    vocab::OBJ_DOCUMENT_ENTRY_ON_DEMAND
                ),
            );
            None
        }),
    };
    let stable = object_type != Some(DocumentEntryType::OnDemand);

    let mime_type = match object.mime_type.as_deref() {
        Some(m) if is_mime_type(m) => Some(m.to_owned()),
        Some(m) => {
            s.metadata(
                report,
                format!("mimeType '{m}' is not a type/subtype MIME type"),
            );
            None
        }
        None => {
            s.metadata(report, "mimeType is missing");
            None
        }
    };

    let unique_id = external_id(report, s, core, vocab::DE_UNIQUE_ID, "uniqueId")
        .and_then(|v| typed(report, s, "uniqueId", UniqueId::parse(v)));
    let patient_id = external_id(report, s, core, vocab::DE_PATIENT_ID, "patientId")
        .and_then(|v| typed(report, s, "patientId", PatientId::parse(v)));

    let one = Some(1);
    let class_code = codes(report, s, core, vocab::DE_CLASS_CODE, "classCode", 1, one);
    let type_code = codes(report, s, core, vocab::DE_TYPE_CODE, "typeCode", 1, one);
    let format_code = codes(report, s, core, vocab::DE_FORMAT_CODE, "formatCode", 1, one);
    let practice_setting_code = codes(
        report,
        s,
        core,
        vocab::DE_PRACTICE_SETTING_CODE,
        "practiceSettingCode",
        1,
        one,
    );
    let healthcare_facility_type_code = codes(
        report,
        s,
        core,
        vocab::DE_HEALTHCARE_FACILITY_TYPE_CODE,
        "healthcareFacilityTypeCode",
        1,
        one,
    );
    let confidentiality_codes = codes(
        report,
        s,
        core,
        vocab::DE_CONFIDENTIALITY_CODE,
        "confidentialityCode",
        1,
        None,
    );
    let event_codes = codes(
        report,
        s,
        core,
        vocab::DE_EVENT_CODE,
        "eventCodeList",
        0,
        None,
    );
    let authors = authors(report, s, core, vocab::DE_AUTHOR);

    // creationTime is required of stable entries only: an On-Demand
    // document does not exist until it is retrieved.
    let creation_time = dtm_slot(report, s, core, "creationTime", stable);
    let service_start = dtm_slot(report, s, core, "serviceStartTime", false);
    let service_stop = dtm_slot(report, s, core, "serviceStopTime", false);
    if let (Some(start), Some(stop)) = (&service_start, &service_stop)
        && start.cmp_common_precision(stop) == Ordering::Greater
    {
        s.metadata(
            report,
            format!("serviceStartTime {start} is after serviceStopTime {stop}"),
        );
    }

    let language_code = single_slot(report, s, core, "languageCode", true).and_then(|l| {
        if is_language_tag(l) {
            Some(l.to_owned())
        } else {
            s.metadata(
                report,
                format!("languageCode '{l}' is not an RFC 5646 language tag"),
            );
            None
        }
    });
    let source_patient_id = single_slot(report, s, core, "sourcePatientId", true).and_then(|p| {
        if is_source_patient_id(p) {
            Some(p.to_owned())
        } else {
            s.metadata(
                report,
                format!("sourcePatientId '{p}' is not a CX with an id and an assigning authority (id^^^&OID&ISO)"),
            );
            None
        }
    });

    // The repository computes hash, size and repositoryUniqueId, so they
    // are required in ITI-42 only, and never for On-Demand entries.
    let repository_fields = options.require_repository_fields && stable;
    let hash = single_slot(report, s, core, "hash", repository_fields).and_then(|h| {
        if h.len() == 40 && h.bytes().all(|b| b.is_ascii_hexdigit()) {
            Some(h.to_ascii_lowercase())
        } else {
            s.metadata(report, format!("hash '{h}' is not a SHA-1 (40 hex digits)"));
            None
        }
    });
    let size = single_slot(report, s, core, "size", repository_fields).and_then(|v| {
        let parsed = v
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| v.parse::<u64>().ok())
            .flatten();
        if parsed.is_none() {
            s.metadata(report, format!("size '{v}' is not a decimal octet count"));
        }
        parsed
    });
    let repository_unique_id =
        single_slot(report, s, core, "repositoryUniqueId", repository_fields)
            .and_then(|v| typed(report, s, "repositoryUniqueId", Oid::parse(v)));
    let missing_repository_field =
        repository_fields && (hash.is_none() || size.is_none() || repository_unique_id.is_none());

    let reference_ids = multi_slot(core, vocab::SLOT_REFERENCE_ID_LIST);
    let entry_uuid = EntryUuid::parse(&core.id).ok();
    let lid = core.lid.as_deref().and_then(|l| EntryUuid::parse(l).ok());
    let title = title(core);

    if missing_repository_field {
        return None;
    }
    Some(DocumentEntry {
        entry_uuid: entry_uuid?,
        lid: lid?,
        unique_id: unique_id?,
        patient_id: patient_id?,
        object_type: object_type?,
        class_code: class_code.into_iter().next()?,
        type_code: type_code.into_iter().next()?,
        format_code: format_code.into_iter().next()?,
        practice_setting_code: practice_setting_code.into_iter().next()?,
        healthcare_facility_type_code: healthcare_facility_type_code.into_iter().next()?,
        confidentiality_codes: non_empty(confidentiality_codes)?,
        event_codes,
        author_persons: authors.persons,
        author_institutions: authors.institutions,
        reference_ids,
        creation_time: match (creation_time, stable) {
            (Some(t), _) => Some(t.normalized()),
            (None, true) => return None,
            (None, false) => None,
        },
        service_start: service_start.map(|t| t.normalized()),
        service_stop: service_stop.map(|t| t.normalized()),
        hash,
        size,
        repository_unique_id,
        mime_type: mime_type?,
        language_code: language_code?,
        source_patient_id: source_patient_id?,
        title,
        object,
    })
}

fn non_empty<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

/// `type/subtype` with RFC 2045 token characters (parameters tolerated).
fn is_mime_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or_default().trim();
    let token = |t: &str| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    essence
        .split_once('/')
        .is_some_and(|(t, sub)| token(t) && token(sub))
}

/// RFC 5646 shape: subtags of 1-8 ASCII letters or digits joined by `-`,
/// the first one letters only (`ja-JP`, `en-us`, `zh-Hant-TW`).
fn is_language_tag(value: &str) -> bool {
    let mut subtags = value.split('-');
    let first_ok = subtags
        .next()
        .is_some_and(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    first_ok
        && subtags
            .all(|t| (1..=8).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// A local patient id: a CX with CX.1 and an assigning authority (CX.4).
/// Looser than the affinity-domain [`PatientId`]: facilities may add an
/// identifier type code or a namespace id.
fn is_source_patient_id(value: &str) -> bool {
    let components: Vec<&str> = value.split('^').collect();
    let id = components.first().copied().unwrap_or_default();
    let authority = components.get(3).copied().unwrap_or_default();
    !id.trim().is_empty() && !authority.trim_matches('&').trim().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_types() {
        for ok in [
            "text/xml",
            "application/pdf",
            "text/plain; charset=UTF-8",
            "application/hl7-v3+xml",
        ] {
            assert!(is_mime_type(ok), "{ok}");
        }
        for bad in ["", "text", "/xml", "text/", "text /xml", "text/x ml"] {
            assert!(!is_mime_type(bad), "{bad}");
        }
    }

    #[test]
    fn language_tags() {
        for ok in ["en-us", "ja-JP", "ja", "zh-Hant-TW", "de-CH-1996"] {
            assert!(is_language_tag(ok), "{ok}");
        }
        for bad in ["", "-", "en-", "en_US", "123", "toolongtag-x", "日本語"] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }

    #[test]
    fn source_patient_ids() {
        assert!(is_source_patient_id("89765a87b^^^&1.3.4.5&ISO"));
        assert!(is_source_patient_id("j98789^^^HOSP&1.2.3&ISO^PI"));
        assert!(!is_source_patient_id("89765a87b"));
        assert!(!is_source_patient_id("^^^&1.2.3&ISO"));
        assert!(!is_source_patient_id("123^^^&&"));
    }
}
