//! Every request/response of the conformance corpus parses, except the
//! negative samples, which fail the way they should.

use super::corpus::{CONFORMANCE, Kind, Parsed, parse, samples};
use crate::model::{DocumentContent, RegistryObject, ReturnType};
use crate::parse::{self, Limits, ParseError};
use crate::{ResponseStatus, Severity};

/// Corpus files that must fail, and whether as Malformed (true) or Invalid.
const NEGATIVE: &[(&str, bool)] = &[
    // Empty placeholder bodies.
    (
        "xds/samples/ihe-iti-info/XCA/XCACrossGatewayQueryRequest.xml",
        false,
    ),
    (
        "xds/samples/ihe-iti-info/XCA/XCACrossGatewayQueryResponse.xml",
        false,
    ),
    // NIST validator negative cases: rim:Name before rim:Slot, wrong
    // DocumentRequest order, Header after Body, no status.
    (
        "xds/samples/nist-messagevalidator/pnr-element-order.xml",
        false,
    ),
    (
        "xds/samples/nist-messagevalidator/soap-pnr-element-order.xml",
        false,
    ),
    (
        "xds/samples/nist-messagevalidator/soap-ret-req-order.xml",
        false,
    ),
    (
        "xds/samples/nist-messagevalidator/soap-pnr-soap-order.xml",
        true,
    ),
    (
        "xds/samples/nist-messagevalidator/sq-resp-nostat-objectref.xml",
        false,
    ),
    // "......" in place of metadata; truncated base64 documents.
    (
        "xds/samples/openxds/www/InitiatingGatewayResponse.xml",
        false,
    ),
    (
        "xds/samples/openxds/www/ProvideAndRegisterDocumentSet-bRequest.xml",
        false,
    ),
    (
        "xds/samples/openxds/www/RetrieveDocumentSetResponse.xml",
        false,
    ),
];

#[test]
fn corpus_parses_except_negative_samples() {
    let all = samples();
    let mut per_kind = std::collections::BTreeMap::new();
    let mut failures = Vec::new();
    for sample in &all {
        let name = sample.name();
        let expected = NEGATIVE.iter().find(|(n, _)| *n == name).map(|(_, m)| *m);
        match (parse(sample.kind, &sample.bytes), expected) {
            (Ok(_), None) => *per_kind.entry(format!("{:?}", sample.kind)).or_insert(0) += 1,
            (Err(e), Some(malformed)) if e.is_malformed() == malformed => {}
            (result, expected) => {
                failures.push(format!("{name}: expected {expected:?}, got {result:?}"))
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The corpus is big: make sure it was found and read.
    let count = |k: &str| per_kind.get(k).copied().unwrap_or(0);
    assert!(count("AdhocQuery") >= 300, "{per_kind:?}");
    assert!(count("SubmitObjects") >= 80, "{per_kind:?}");
    assert!(count("ProvideAndRegister") >= 25, "{per_kind:?}");
    assert!(count("RemoveObjects") >= 30, "{per_kind:?}");
    assert!(count("Retrieve") >= 20, "{per_kind:?}");
}

fn read(relative: &str) -> Vec<u8> {
    std::fs::read(format!("{CONFORMANCE}/{relative}")).unwrap()
}

#[test]
fn ihe_provide_and_register_keeps_everything() {
    let xml =
        read("xds/samples/ihe-iti-info/XDS.b/ProvideAndRegisterDocumentSet-bRequest_SOAP.xml");
    let pnr = parse::provide_and_register_request(&xml, &Limits::default()).unwrap();
    assert_eq!(pnr.documents.len(), 1);
    assert_eq!(pnr.documents[0].id, "Document01");
    assert_eq!(
        pnr.documents[0].content,
        DocumentContent::Inline(b"R0lGODlhcgGSALMAAAQCAEMmCZtuMFQxDS8b".to_vec())
    );
    let objects = &pnr.submission.objects;
    let RegistryObject::ExtrinsicObject(eo) = &objects[0] else {
        panic!("first object is {:?}", objects[0]);
    };
    assert_eq!(eo.core.id, "Document01");
    assert_eq!(eo.mime_type.as_deref(), Some("text/xml"));
    assert_eq!(
        eo.core.object_type.as_deref(),
        Some(crate::vocab::OBJ_DOCUMENT_ENTRY_STABLE)
    );
    let names: Vec<_> = eo.core.slots.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "creationTime",
            "languageCode",
            "serviceStartTime",
            "serviceStopTime",
            "sourcePatientId",
            "sourcePatientInfo"
        ]
    );
    assert_eq!(
        eo.core.slot("sourcePatientInfo").unwrap()[0],
        "PID-3|ST-1000^^^&1.3.6.1.4.1.21367.2003.3.9&ISO"
    );
    assert_eq!(eo.core.name.as_ref().unwrap().first(), Some("Physical"));
    // `<rim:Description/>` is kept as present and empty.
    assert_eq!(
        eo.core.description.as_ref().map(|d| d.values.len()),
        Some(0)
    );
    assert_eq!(eo.core.classifications.len(), 7);
    let author = &eo.core.classifications[0];
    assert_eq!(author.id, "cl01");
    assert_eq!(author.classified_object, "Document01");
    assert_eq!(
        author.slot("authorInstitution").unwrap(),
        ["Cleveland Clinic", "Parma Community"]
    );
    assert_eq!(
        eo.core.external_id(crate::vocab::DE_PATIENT_ID),
        Some("SELF-5^^^&1.3.6.1.4.1.21367.2005.3.7&ISO")
    );
    let kinds: Vec<_> = objects
        .iter()
        .map(|o| match o {
            RegistryObject::ExtrinsicObject(_) => "EO",
            RegistryObject::RegistryPackage(_) => "RP",
            RegistryObject::Association(_) => "AS",
            RegistryObject::Classification(_) => "CL",
            RegistryObject::ObjectRef(_) => "OR",
        })
        .collect();
    assert_eq!(kinds, ["EO", "RP", "CL", "AS"]);
    let RegistryObject::Association(assoc) = &objects[3] else {
        panic!()
    };
    assert_eq!(assoc.association_type, "HasMember");
    assert_eq!(
        assoc.core.slot_value("SubmissionSetStatus"),
        Some("Original")
    );
}

#[test]
fn bare_and_soap_forms_agree() {
    let base = "xds/samples/ihe-iti-info/XDS.b/";
    for (bare, soap, kind) in [
        (
            "ProvideAndRegisterDocumentSet-bRequest.xml",
            "ProvideAndRegisterDocumentSet-bRequest_SOAP.xml",
            Kind::ProvideAndRegister,
        ),
        (
            "RegisterDocumentSet-bRequest.xml",
            "RegisterDocumentSet-bRequest_SOAP.xml",
            Kind::SubmitObjects,
        ),
        (
            "RegistryStoredQueryRequest.xml",
            "RegistryStoredQueryRequest_SOAP.xml",
            Kind::AdhocQuery,
        ),
        (
            "RetrieveDocumentSetRequest.xml",
            "RetrieveDocumentSetRequest_SOAP.xml",
            Kind::Retrieve,
        ),
        (
            "RetrieveDocumentSetResponse.xml",
            "RetrieveDocumentSetResponse_SOAP.xml",
            Kind::RetrieveResponse,
        ),
        (
            "RegistryStoredQueryResponse.xml",
            "RegistryStoredQueryResponse_SOAP.xml",
            Kind::AdhocQueryResponse,
        ),
    ] {
        let a = parse(kind, &read(&format!("{base}{bare}"))).unwrap();
        let b = parse(kind, &read(&format!("{base}{soap}"))).unwrap();
        assert_eq!(a, b, "{bare}");
    }
}

#[test]
fn ihe_stored_query() {
    let xml = read("xds/samples/ihe-iti-info/XDS.b/RegistryStoredQueryRequest_SOAP.xml");
    let q = parse::adhoc_query_request(&xml, &Limits::default()).unwrap();
    assert_eq!(q.return_type, ReturnType::LeafClass);
    assert!(q.return_composed_objects);
    // id=" urn:uuid:… " is an anyURI: surrounding whitespace is not part of it.
    assert_eq!(q.query_id, crate::vocab::SQ_FIND_DOCUMENTS);
    assert_eq!(q.home, None);
    assert_eq!(q.parameters.len(), 5);
    assert_eq!(q.parameters[0].name, "$XDSDocumentEntryPatientId");
    assert_eq!(
        q.parameters[0].values,
        ["st3498702^^^&1.3.6.1.4.1.21367.2005.3.7&ISO"]
    );
    assert_eq!(q.parameters[4].values, ["(‘Emergency Department’)"]);
}

#[test]
fn retrieve_and_remove_requests() {
    let xml = read("xds/samples/ihe-iti-info/XDS.b/RetrieveDocumentSetRequest_SOAP.xml");
    let r = parse::retrieve_document_set_request(&xml, &Limits::default()).unwrap();
    assert_eq!(r.requests.len(), 2);
    assert_eq!(r.requests[1].repository_unique_id, "1.3.6.1.4...1000");
    assert_eq!(r.requests[1].document_unique_id, "1.3.6.1.4...2301");

    let xml = read("xds/samples/ihe-iti-info/RMD/RemoveMetadataRequest_SOAP.xml");
    let r = parse::remove_objects_request(&xml, &Limits::default()).unwrap();
    assert_eq!(r.object_ids.len(), 4);
    assert_eq!(
        r.object_ids[0],
        "urn:uuid:b2632452-1de7-480d-94b1-c2074d79c871"
    );

    let xml = read("xds/samples/ihe-iti-info/RMD/RemoveDocumentsRequest.xml");
    let r = parse::remove_documents_request(&xml, &Limits::default()).unwrap();
    assert_eq!(r.requests.len(), 2);
    assert_eq!(r.requests[0].document_unique_id, "1.3.6.1.4.2300");
}

#[test]
fn responses() {
    let xml = read("xds/samples/nist-messagevalidator/soap-xret-resp-error.xml");
    let r = parse::retrieve_document_set_response(&xml).unwrap();
    assert_eq!(r.status, ResponseStatus::Failure);
    assert!(!r.errors.is_empty());
    assert_eq!(r.documents.len(), 2);
    assert!(r.errors.iter().all(|e| !e.code.is_empty()));

    let xml = read("xds/samples/ihe-iti-info/XDS.b/RetrieveDocumentSetResponse_SOAP.xml");
    let r = parse::retrieve_document_set_response(&xml).unwrap();
    assert_eq!(r.status, ResponseStatus::Success);
    assert_eq!(r.documents.len(), 2);
    assert_eq!(r.documents[0].mime_type, "text/xml");
    assert_eq!(
        r.documents[0].content,
        DocumentContent::Inline(b"R0lGODlhcgGSALMAAAQCAEMmCZtuMFQxDS8b".to_vec())
    );

    let xml = read("xds/samples/nist-messagevalidator/soap-xcq-resp-error.xml");
    let r = parse::adhoc_query_response(&xml).unwrap();
    assert_ne!(r.status, ResponseStatus::Success);
    assert!(r.errors.iter().any(|e| e.severity == Severity::Error));

    let xml = read("xds/samples/nist-messagevalidator/sq-resp-objectref.xml");
    let r = parse::adhoc_query_response(&xml).unwrap();
    assert!(r.objects.is_empty());
    assert!(!r.object_refs.is_empty());

    let xml = read("xds/samples/nist-messagevalidator/sq-resp-lc.xml");
    let r = parse::adhoc_query_response(&xml).unwrap();
    assert!(!r.objects.is_empty());
}

#[test]
fn negative_samples_name_the_problem() {
    let xml = read("xds/samples/nist-messagevalidator/pnr-element-order.xml");
    let err = parse::provide_and_register_request(&xml, &Limits::default()).unwrap_err();
    let ParseError::Invalid { message, location } = err else {
        panic!("{err:?}")
    };
    assert!(message.contains("rim:Slot"), "{message}");
    assert!(message.contains("rim:ExtrinsicObject"), "{message}");
    assert_eq!(location.as_deref(), Some("Document01"));
}

#[test]
fn parsed_corpus_has_kinds() {
    // Parsed is an exhaustive mirror of Kind; keep the two in step.
    let xml = read("xds/samples/ihe-iti-info/XDS.b/RegisterDocumentSet-bResponse_SOAP.xml");
    assert!(matches!(
        parse(Kind::RegistryResponse, &xml).unwrap(),
        Parsed::RegistryResponse(r) if r.status == ResponseStatus::Success && r.errors.is_empty()
    ));
}
