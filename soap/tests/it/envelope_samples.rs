use soap::{FaultCode, WSA_NS, XmlLimits, read_envelope};

use crate::common::sample;

const NIST: &str = "nist-messagevalidator";
const XDSB_NS: &str = "urn:ihe:iti:xds-b:2007";

fn read(name: &str) -> Result<soap::EnvelopeInfo, soap::SoapFault> {
    read_envelope(&sample(name), &XmlLimits::default())
}

#[test]
fn nist_provide_and_register() {
    for name in ["soap-pnr.xml", "soap-pnr-element-order.xml"] {
        let info = read(&format!("{NIST}/{name}")).unwrap();
        assert_eq!(
            info.action,
            "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b"
        );
        assert_eq!(
            info.relates_to.as_deref(),
            Some("urn:uuid:F9C98547B63C44C3521268408833497")
        );
        assert_eq!(info.message_id, None);
        assert!(info.reply_is_anonymous());
        assert_eq!(
            info.body_element,
            Some((
                XDSB_NS.to_owned(),
                "ProvideAndRegisterDocumentSetRequest".to_owned()
            ))
        );
    }
}

#[test]
fn nist_retrieve_request_with_reply_to() {
    for name in ["soap-ret-req.xml", "soap-ret-req-order.xml"] {
        let info = read(&format!("{NIST}/{name}")).unwrap();
        assert_eq!(info.action, "urn:ihe:iti:2007:RetrieveDocumentSet");
        assert_eq!(
            info.message_id.as_deref(),
            Some("urn:uuid:0fbfdced-6c01-4d09-a110-2201afedaa02")
        );
        assert_eq!(
            info.reply_to.as_deref(),
            Some("http://www.w3.org/2005/08/addressing/anonymous")
        );
        assert_eq!(
            info.to.as_deref(),
            Some("http://localhost:2647/XdsService/IHEXDSRepository.svc")
        );
        assert_eq!(
            info.body_element,
            Some((XDSB_NS.to_owned(), "RetrieveDocumentSetRequest".to_owned()))
        );
    }
}

#[test]
fn nist_queries_and_responses() {
    let expected = [
        (
            "soap-sq-req.xml",
            "urn:ihe:iti:2007:RegistryStoredQuery",
            "AdhocQueryRequest",
        ),
        (
            "soap-xcq-req.xml",
            "urn:ihe:iti:2007:CrossGatewayQuery",
            "AdhocQueryRequest",
        ),
        (
            "soap-pnr-resp.xml",
            "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse",
            "RegistryResponse",
        ),
        (
            "soap-r-resp.xml",
            "urn:ihe:iti:2007:RegisterDocumentSet-bResponse",
            "RegistryResponse",
        ),
        // a:mustUnderstand (WS-Addressing namespace) is not the SOAP attribute.
        (
            "soap-ret-resp.xml",
            "urn:ihe:iti:2007:RetrieveDocumentSetResponse",
            "RetrieveDocumentSetResponse",
        ),
    ];
    for (name, action, body) in expected {
        let info = read(&format!("{NIST}/{name}")).unwrap_or_else(|f| panic!("{name}: {f}"));
        assert_eq!(info.action, action, "{name}");
        assert_eq!(info.body_element.unwrap().1, body, "{name}");
    }
}

#[test]
fn every_nist_soap_sample_is_read_or_faulted() {
    let dir = format!(
        "{}/../../shared/conformance/xds/samples/{NIST}",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".xml") {
            continue;
        }
        seen += 1;
        let result = read_envelope(&std::fs::read(&path).unwrap(), &XmlLimits::default());
        let soap_wrapped = name.starts_with("soap-") || name.contains("soap");
        match (&result, name.as_str()) {
            (
                Err(_),
                "soap-noaction-pnr.xml" | "soap-pnr-soap-order.xml" | "xml-parse-error.xml",
            ) => {}
            (Ok(_), _) if soap_wrapped => {}
            // Bare ebRIM documents are not envelopes.
            (Err(fault), _) if !soap_wrapped => {
                assert_eq!(fault.code, FaultCode::VersionMismatch, "{name}: {fault}")
            }
            _ => panic!("{name}: unexpected {result:?}"),
        }
    }
    assert!(seen > 30);
}

#[test]
fn missing_action_faults_with_wsa_subcode() {
    for name in ["soap-noaction-pnr.xml", "soap-pnr-soap-order.xml"] {
        let fault = read(&format!("{NIST}/{name}")).unwrap_err();
        assert_eq!(fault.code, FaultCode::Sender);
        assert_eq!(
            fault.subcode,
            Some((
                WSA_NS.to_owned(),
                "MessageAddressingHeaderRequired".to_owned()
            )),
            "{name}"
        );
        let xml = fault.to_xml(None);
        assert!(xml.contains("wsa:MessageAddressingHeaderRequired"));
    }
}

#[test]
fn empty_body_and_parse_error() {
    let info = read(&format!("{NIST}/empty-soap-wrapper.xml")).unwrap();
    assert_eq!(info.body_element, None);
    assert_eq!(info.action, "urn:ihe:iti:2007:RegistryStoredQueryResponse");

    let fault = read(&format!("{NIST}/xml-parse-error.xml")).unwrap_err();
    assert_eq!(fault.code, FaultCode::Sender);
    assert!(fault.reason.contains("malformed XML"), "{}", fault.reason);
}

#[test]
fn ihe_iti_info_soap_examples() {
    for (name, action, mu_to) in [
        (
            "ProvideAndRegisterDocumentSet-bRequest_SOAP.xml",
            "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b",
            true,
        ),
        (
            "RegisterDocumentSet-bRequest_SOAP.xml",
            "urn:ihe:iti:2007:RegisterDocumentSet-b",
            true,
        ),
        (
            "RegistryStoredQueryRequest_SOAP.xml",
            "urn:ihe:iti:2007:RegistryStoredQuery",
            true,
        ),
        (
            "RetrieveDocumentSetRequest_SOAP.xml",
            "urn:ihe:iti:2007:RetrieveDocumentSet",
            true,
        ),
        (
            "RetrieveDocumentSetResponse_SOAP.xml",
            "urn:ihe:iti:2007:RetrieveDocumentSetResponse",
            false,
        ),
    ] {
        let info =
            read(&format!("ihe-iti-info/XDS.b/{name}")).unwrap_or_else(|f| panic!("{name}: {f}"));
        assert_eq!(info.action, action, "{name}");
        assert_eq!(info.to.is_some(), mu_to, "{name}");
        assert!(info.body_element.is_some());
    }
}

#[test]
fn mtom_root_parts_are_envelopes() {
    // The root part of the Axis2 capture carries mustUnderstand="true" on
    // wsa:To, wsa:MessageID and wsa:Action.
    let capture = sample(&format!("{NIST}/http-mtom-pnr.txt"));
    let (content_type, body) = crate::common::split_http(&capture);
    let soap::ContentType::Mtom(mtom) = soap::parse_content_type(&content_type).unwrap() else {
        panic!("not MTOM")
    };
    let parts = crate::common::read_parts(&mtom.boundary, &body, 4096).unwrap();
    let info = read_envelope(&parts[0].body, &XmlLimits::default()).unwrap();
    assert_eq!(
        info.action,
        "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b"
    );
    assert_eq!(Some(info.action.as_str()), mtom.action.as_deref());
    assert_eq!(
        info.message_id.as_deref(),
        Some("urn:uuid:3D4B161591CD1DEC0C1286850962146")
    );
}

#[test]
fn renkei_emergency_access_header_is_read_even_with_must_understand() {
    let envelope = |header: &str| {
        format!(
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header><a:Action>urn:ihe:iti:2007:RegistryStoredQuery</a:Action>{header}</s:Header><s:Body><x/></s:Body></s:Envelope>"#
        )
    };
    let read = |xml: String| read_envelope(xml.as_bytes(), &XmlLimits::default());
    let info = read(envelope("")).unwrap();
    assert_eq!(info.emergency_access_reason, None);
    let info = read(envelope(
        r#"<r:EmergencyAccess xmlns:r="urn:renkei:2026" s:mustUnderstand="true" reason="unconscious &amp; alone"/>"#,
    ))
    .unwrap();
    assert_eq!(
        info.emergency_access_reason.as_deref(),
        Some("unconscious & alone")
    );
    // No reason attribute: read as an empty reason (the registry refuses it).
    let info = read(envelope(
        r#"<r:EmergencyAccess xmlns:r="urn:renkei:2026"/>"#,
    ))
    .unwrap();
    assert_eq!(info.emergency_access_reason.as_deref(), Some(""));
    let twice = r#"<r:EmergencyAccess xmlns:r="urn:renkei:2026" reason="a"/><r:EmergencyAccess xmlns:r="urn:renkei:2026" reason="b"/>"#;
    assert!(read(envelope(twice)).is_err());
}
