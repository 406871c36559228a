//! parse -> write -> parse gives the same model, for the whole corpus.

use crate::error::{RegistryError, ResponseStatus, Severity, XdsErrorCode};
use crate::model::DocumentContent;
use crate::parse::tests::corpus::{Parsed, parse as parse_sample, rewrite, samples};
use crate::parse::{self, Limits};
use crate::write::{self, DocumentResponseHeader, QueryResult};

#[test]
fn corpus_round_trips() {
    let mut checked = 0;
    for sample in samples() {
        let Ok(first) = parse_sample(sample.kind, &sample.bytes) else {
            continue;
        };
        let Some(written) = rewrite(&first) else {
            continue;
        };
        let second = parse_sample(sample.kind, written.as_bytes())
            .unwrap_or_else(|e| panic!("{}: {e}\n{written}", sample.name()));
        match (&first, &second) {
            (Parsed::AdhocQueryResponse(a), Parsed::AdhocQueryResponse(b)) => {
                assert_eq!(a.objects, b.objects, "{}", sample.name());
                assert_eq!(a.object_refs, b.object_refs, "{}", sample.name());
                assert_eq!(a.status, b.status);
            }
            (Parsed::RetrieveResponse(a), Parsed::RetrieveResponse(b)) => {
                assert_eq!(a.documents.len(), b.documents.len());
                for (i, (x, y)) in a.documents.iter().zip(&b.documents).enumerate() {
                    assert_eq!(x.repository_unique_id, y.repository_unique_id);
                    assert_eq!(x.document_unique_id, y.document_unique_id);
                    assert_eq!(x.home_community_id, y.home_community_id);
                    assert_eq!(x.mime_type, y.mime_type);
                    assert_eq!(
                        y.content,
                        DocumentContent::XopInclude(format!("doc{i}@renkei.example"))
                    );
                }
            }
            _ => assert_eq!(first, second, "{}\n{written}", sample.name()),
        }
        // Writing is deterministic: a second round gives the same text.
        assert_eq!(rewrite(&second).as_deref(), Some(written.as_str()));
        checked += 1;
    }
    assert!(checked > 500, "only {checked} corpus files round-tripped");
}

#[test]
fn registry_response_round_trip() {
    let errors = [
        RegistryError::error(
            XdsErrorCode::RegistryMetadataError,
            "rim:ExtrinsicObject is missing required attribute id & <more>",
        )
        .at("Document01"),
        RegistryError::warning(XdsErrorCode::ExtraMetadataNotSaved, "slot \"x\"\tdropped"),
    ];
    let xml = write::registry_response(ResponseStatus::Failure, &errors);
    assert!(
        xml.contains(
            r#"highestSeverity="urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error""#
        )
    );
    let parsed = parse::registry_response(xml.as_bytes()).unwrap();
    assert_eq!(parsed.status, ResponseStatus::Failure);
    assert_eq!(parsed.errors.len(), 2);
    for (sent, got) in errors.iter().zip(&parsed.errors) {
        assert_eq!(got.code, sent.code.as_str());
        assert_eq!(got.context, sent.context);
        assert_eq!(got.severity, sent.severity);
        assert_eq!(got.location, sent.location);
    }

    let ok = write::registry_response(ResponseStatus::Success, &[]);
    assert_eq!(
        ok,
        r#"<rs:RegistryResponse xmlns:rs="urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0" status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"/>"#
    );
    let warn = write::registry_response(
        ResponseStatus::Success,
        &[RegistryError::warning(
            XdsErrorCode::ExtraMetadataNotSaved,
            "w",
        )],
    );
    assert!(warn.contains(
        r#"highestSeverity="urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Warning""#
    ));
    let parsed = parse::registry_response(warn.as_bytes()).unwrap();
    assert_eq!(parsed.errors[0].severity, Severity::Warning);
}

#[test]
fn query_response_forms() {
    let failure = write::adhoc_query_response(
        ResponseStatus::Failure,
        &[RegistryError::error(
            XdsErrorCode::UnknownStoredQuery,
            "no such query",
        )],
        &QueryResult::LeafClass(&[]),
    );
    assert!(failure.contains("<rim:RegistryObjectList/>"), "{failure}");
    let parsed = parse::adhoc_query_response(failure.as_bytes()).unwrap();
    assert_eq!(parsed.status, ResponseStatus::Failure);
    assert_eq!(parsed.errors[0].code, "XDSUnknownStoredQuery");

    let ids = ["urn:uuid:1".to_owned(), "urn:uuid:2".to_owned()];
    let refs =
        write::adhoc_query_response(ResponseStatus::Success, &[], &QueryResult::ObjectRefs(&ids));
    let parsed = parse::adhoc_query_response(refs.as_bytes()).unwrap();
    let got: Vec<_> = parsed.object_refs.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(got, ["urn:uuid:1", "urn:uuid:2"]);
    assert!(parsed.objects.is_empty());
}

#[test]
fn xop_content_ids_are_percent_encoded() {
    let cid = "1.urn:uuid:a b%c<d>\"é@x";
    let headers = [DocumentResponseHeader {
        home_community_id: None,
        repository_unique_id: "1.2".into(),
        document_unique_id: "1.3".into(),
        mime_type: "application/pdf".into(),
        content_id: cid.into(),
    }];
    let xml = write::retrieve_document_set_response(ResponseStatus::Success, &[], &headers);
    assert!(
        xml.contains(r#"<xop:Include href="cid:1.urn:uuid:a%20b%25c%3Cd%3E%22%C3%A9@x"/>"#),
        "{xml}"
    );
    let parsed = parse::retrieve_document_set_response(xml.as_bytes()).unwrap();
    assert_eq!(
        parsed.documents[0].content,
        DocumentContent::XopInclude(cid.into())
    );
    assert_eq!(parsed.documents[0].mime_type, "application/pdf");
    assert!(parse::provide_and_register_request(xml.as_bytes(), &Limits::default()).is_err());
}
