//! Behaviour on small hand-written messages.

use crate::model::{DocumentContent, RegistryObject, ReturnType};
use crate::parse::{self, Limits, ParseError};

const NS: &str = r#"xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0""#;

fn submit(objects: &str) -> String {
    format!(
        "<lcm:SubmitObjectsRequest {NS}><rim:RegistryObjectList>{objects}</rim:RegistryObjectList></lcm:SubmitObjectsRequest>"
    )
}

fn pnr(documents: &str) -> String {
    format!(
        r#"<xds:ProvideAndRegisterDocumentSetRequest xmlns:xds="urn:ihe:iti:xds-b:2007" xmlns:xop="http://www.w3.org/2004/08/xop/include">{}{documents}</xds:ProvideAndRegisterDocumentSetRequest>"#,
        submit(r#"<rim:ExtrinsicObject id="Doc1"/>"#)
    )
}

fn query(body: &str) -> String {
    format!(
        r#"<query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">{body}</query:AdhocQueryRequest>"#
    )
}

fn invalid_message(result: Result<impl std::fmt::Debug, ParseError>) -> String {
    match result {
        Err(ParseError::Invalid { message, .. }) => message,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn submit_result(xml: &str) -> Result<crate::SubmitObjectsRequest, ParseError> {
    parse::submit_objects_request(xml.as_bytes(), &Limits::default())
}

#[test]
fn minimal_objects_and_attributes() {
    let xml = submit(
        r#"<rim:ExtrinsicObject id=" urn:uuid:1 " mimeType="text/plain" isOpaque="false" lid="urn:uuid:0" status="urn:s" home="urn:oid:1.2" objectType="urn:t">
             <rim:Name><rim:LocalizedString xml:lang="ja-JP" charset="UTF-8" value="退院時サマリ"/></rim:Name>
             <rim:Description/>
             <rim:VersionInfo versionName="2"/>
           </rim:ExtrinsicObject>
           <rim:ObjectRef id="urn:uuid:2" home="urn:oid:9" createReplica="false"/>"#,
    );
    let req = submit_result(&xml).unwrap();
    let [
        RegistryObject::ExtrinsicObject(eo),
        RegistryObject::ObjectRef(r),
    ] = &req.objects[..]
    else {
        panic!("{req:?}")
    };
    assert_eq!(eo.core.id, "urn:uuid:1");
    assert_eq!(eo.core.lid.as_deref(), Some("urn:uuid:0"));
    assert_eq!(eo.core.home.as_deref(), Some("urn:oid:1.2"));
    assert_eq!(eo.core.version_name.as_deref(), Some("2"));
    assert_eq!(eo.is_opaque, Some(false));
    let name = &eo.core.name.as_ref().unwrap().values[0];
    assert_eq!(name.lang.as_deref(), Some("ja-JP"));
    assert_eq!(name.charset.as_deref(), Some("UTF-8"));
    assert_eq!(name.value, "退院時サマリ");
    assert_eq!(eo.core.description.as_ref().unwrap().values, []);
    assert_eq!(r.id, "urn:uuid:2");
    assert_eq!(r.home.as_deref(), Some("urn:oid:9"));
}

#[test]
fn values_keep_entities_whitespace_and_cdata() {
    let xml = submit(
        "<rim:RegistryPackage id=\"p\"><rim:Slot name=\"s\" slotType=\"urn:x\"><rim:ValueList>\
         <rim:Value> a&amp;b&lt;&#x41;&#66;\r\n</rim:Value><rim:Value><![CDATA[<x>]]>&quot;</rim:Value><rim:Value/>\
         </rim:ValueList></rim:Slot></rim:RegistryPackage>",
    );
    let req = submit_result(&xml).unwrap();
    let RegistryObject::RegistryPackage(rp) = &req.objects[0] else {
        panic!()
    };
    assert_eq!(rp.core.slots[0].slot_type.as_deref(), Some("urn:x"));
    assert_eq!(rp.core.slots[0].values, [" a&b<AB\n", "<x>\"", ""]);
}

#[test]
fn rim_element_in_wrong_namespace_is_invalid() {
    let xml = format!(
        r#"<lcm:SubmitObjectsRequest {NS}><rim:RegistryObjectList><x:ExtrinsicObject xmlns:x="urn:oasis:names:tc:ebxml-regrep:xsd:rim:2.1" id="a"/></rim:RegistryObjectList></lcm:SubmitObjectsRequest>"#
    );
    let message = invalid_message(submit_result(&xml));
    assert!(message.contains("rim:2.1}ExtrinsicObject"), "{message}");
    // Prefixes do not matter, namespaces do.
    let xml = r#"<s:SubmitObjectsRequest xmlns:s="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"><RegistryObjectList xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><ObjectRef id="a"/></RegistryObjectList></s:SubmitObjectsRequest>"#;
    assert_eq!(submit_result(xml).unwrap().objects.len(), 1);
}

#[test]
fn missing_required_attributes_are_named() {
    for (object, element, attribute) in [
        (
            r#"<rim:ExtrinsicObject mimeType="text/plain"/>"#,
            "rim:ExtrinsicObject",
            "id",
        ),
        (
            r#"<rim:Association id="a" sourceObject="s" targetObject="t"/>"#,
            "rim:Association",
            "associationType",
        ),
        (
            r#"<rim:Classification id="c"/>"#,
            "rim:Classification",
            "classifiedObject",
        ),
        (r#"<rim:ObjectRef/>"#, "rim:ObjectRef", "id"),
        (
            r#"<rim:RegistryPackage id="p"><rim:ExternalIdentifier id="e" registryObject="p" value="v"/></rim:RegistryPackage>"#,
            "rim:ExternalIdentifier",
            "identificationScheme",
        ),
        (
            r#"<rim:RegistryPackage id="p"><rim:Slot><rim:ValueList/></rim:Slot></rim:RegistryPackage>"#,
            "rim:Slot",
            "name",
        ),
    ] {
        let message = invalid_message(submit_result(&submit(object)));
        assert!(
            message.contains(element) && message.contains(attribute),
            "{message}"
        );
    }
}

#[test]
fn location_is_the_enclosing_object() {
    let xml = submit(
        r#"<rim:RegistryPackage id="SubmissionSet01"><rim:Classification id="c1"/></rim:RegistryPackage>"#,
    );
    let Err(ParseError::Invalid { location, .. }) = submit_result(&xml) else {
        panic!()
    };
    assert_eq!(location.as_deref(), Some("c1"));
    let xml = submit(
        r#"<rim:RegistryPackage id="SubmissionSet01"><rim:Slot name="x"/></rim:RegistryPackage>"#,
    );
    let Err(ParseError::Invalid { location, message }) = submit_result(&xml) else {
        panic!()
    };
    assert!(message.contains("rim:ValueList"), "{message}");
    assert_eq!(location.as_deref(), Some("SubmissionSet01"));
}

#[test]
fn structure_errors() {
    for (objects, needle) in [
        (
            r#"<rim:ExternalIdentifier id="e" registryObject="a" identificationScheme="s" value="v"/>"#,
            "rim:ExternalIdentifier",
        ),
        (
            r#"<rim:ExternalLink id="e" externalURI="http://x"/>"#,
            "rim:ExternalLink",
        ),
        (
            r#"<rim:RegistryPackage id="p"><rim:Name/><rim:Name/></rim:RegistryPackage>"#,
            "rim:Name",
        ),
        (
            r#"<rim:RegistryPackage id="p"><rim:Description/><rim:Name/></rim:RegistryPackage>"#,
            "rim:Name",
        ),
        (
            r#"<rim:RegistryPackage id="p"><rim:Foo/></rim:RegistryPackage>"#,
            "rim:Foo",
        ),
        (
            r#"<rim:RegistryPackage id="p">text</rim:RegistryPackage>"#,
            "text",
        ),
        (
            r#"<rim:RegistryPackage id="p"><rim:RegistryObjectList/></rim:RegistryPackage>"#,
            "RegistryObjectList",
        ),
        (
            r#"<rim:Classification id="c" classifiedObject="p"><rim:Classification id="d" classifiedObject="c"/></rim:Classification>"#,
            "nested",
        ),
        (
            r#"<rim:ExtrinsicObject id="a" isOpaque="maybe"/>"#,
            "isOpaque",
        ),
        (
            r#"<rim:RegistryPackage id="p"><rim:Slot name="x"><rim:ValueList><rim:Value><b/></rim:Value></rim:ValueList></rim:Slot></rim:RegistryPackage>"#,
            "rim:Value",
        ),
    ] {
        let message = invalid_message(submit_result(&submit(objects)));
        assert!(message.contains(needle), "{needle}: {message}");
    }
    // Wrong root.
    let message = invalid_message(parse::adhoc_query_request(
        submit("").as_bytes(),
        &Limits::default(),
    ));
    assert!(message.contains("query:AdhocQueryRequest"), "{message}");
}

#[test]
fn classification_and_external_identifier_extras_are_accepted() {
    // VersionInfo on a Classification and ContentVersionInfo are schema-valid
    // (registries return them) but not kept.
    let xml = submit(
        r#"<rim:ExtrinsicObject id="a"><rim:Classification id="c" classifiedObject="a" lid="c" status="urn:s"><rim:VersionInfo versionName="1.1"/></rim:Classification><rim:ContentVersionInfo versionName="1"/></rim:ExtrinsicObject>"#,
    );
    let req = submit_result(&xml).unwrap();
    let RegistryObject::ExtrinsicObject(eo) = &req.objects[0] else {
        panic!()
    };
    assert_eq!(eo.core.classifications.len(), 1);
}

#[test]
fn soap_envelope_forms() {
    let body = submit(r#"<rim:ObjectRef id="a"/>"#);
    let env = |inner: &str| {
        format!(
            r#"<?xml version="1.0"?><!-- c --><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">{inner}</s:Envelope>"#
        )
    };
    let ok = env(&format!(
        "<s:Header><a:Action xmlns:a=\"urn:a\">x</a:Action></s:Header>\n<s:Body>\n{body}\n</s:Body>"
    ));
    assert_eq!(submit_result(&ok).unwrap().objects.len(), 1);
    let no_header = env(&format!("<s:Body>{body}</s:Body>"));
    assert!(submit_result(&no_header).is_ok());
    let two = env(&format!("<s:Body>{body}{body}</s:Body>"));
    assert!(matches!(
        submit_result(&two),
        Err(ParseError::Invalid { .. })
    ));
    let empty = env("<s:Body/>");
    assert!(matches!(
        submit_result(&empty),
        Err(ParseError::Invalid { .. })
    ));
    let no_body = env("<s:Header/>");
    assert!(matches!(
        submit_result(&no_body),
        Err(ParseError::Malformed(_))
    ));
    let trailing = format!("{body}<x/>");
    assert!(matches!(
        submit_result(&trailing),
        Err(ParseError::Malformed(_))
    ));
    let text = format!("{body}junk");
    assert!(matches!(
        submit_result(&text),
        Err(ParseError::Malformed(_))
    ));
}

#[test]
fn invalid_then_malformed_is_malformed() {
    // The first problem is an ebRIM one, but the message is not even
    // well-formed further on: that deserves a SOAP Fault.
    let xml = format!("{}<broken", submit(r#"<rim:Foo/>"#));
    assert!(matches!(submit_result(&xml), Err(ParseError::Malformed(_))));
}

#[test]
fn documents_xop_and_inline() {
    let xml = pnr(
        r#"<xds:Document id="Doc1"><xop:Include href="cid:1.urn%3Auuid%3Aab%40example.org"/></xds:Document>
           <xds:Document id="Doc2">
             SGVs
             bG8=
           </xds:Document>
           <xds:Document id="Doc3"></xds:Document>"#,
    );
    let req = parse::provide_and_register_request(xml.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(req.submission.objects.len(), 1);
    assert_eq!(
        req.documents[0].content,
        DocumentContent::XopInclude("1.urn:uuid:ab@example.org".into())
    );
    assert_eq!(
        req.documents[1].content,
        DocumentContent::Inline(b"Hello".to_vec())
    );
    assert_eq!(
        req.documents[2].content,
        DocumentContent::Inline(Vec::new())
    );

    for (document, needle) in [
        (
            r#"<xds:Document id="D"><xop:Include href="http://x"/></xds:Document>"#,
            "cid:",
        ),
        (
            r#"<xds:Document id="D">AAAA<xop:Include href="cid:a"/></xds:Document>"#,
            "not both",
        ),
        (r#"<xds:Document id="D">@@@@</xds:Document>"#, "base64"),
        (r#"<xds:Document>AAAA</xds:Document>"#, "id"),
        (
            r#"<xds:Document id="D"><xop:Include/></xds:Document>"#,
            "href",
        ),
    ] {
        let message = invalid_message(parse::provide_and_register_request(
            pnr(document).as_bytes(),
            &Limits::default(),
        ));
        assert!(message.contains(needle), "{needle}: {message}");
    }
}

#[test]
fn inline_document_limit() {
    let limits = Limits {
        max_inline_document_bytes: 6,
        ..Limits::default()
    };
    let fits = pnr(r#"<xds:Document id="D">SGVsbG8h</xds:Document>"#);
    assert!(parse::provide_and_register_request(fits.as_bytes(), &limits).is_ok());
    let too_big = pnr(r#"<xds:Document id="D">SGVsbG8hSGVsbG8h</xds:Document>"#);
    assert!(matches!(
        parse::provide_and_register_request(too_big.as_bytes(), &limits),
        Err(ParseError::Malformed(_))
    ));
    let split = pnr(
        r#"<xds:Document id="D">SGVsbG8h</xds:Document><xds:Document id="E">SGVsbG8h</xds:Document>"#,
    );
    assert!(matches!(
        parse::provide_and_register_request(split.as_bytes(), &limits),
        Err(ParseError::Malformed(_))
    ));
}

#[test]
fn adhoc_query_options() {
    let q = |option: &str| {
        parse::adhoc_query_request(
            query(&format!(r#"{option}<rim:AdhocQuery id="urn:uuid:q" home="urn:oid:1"><rim:Slot name="$a"><rim:ValueList><rim:Value>'x'</rim:Value></rim:ValueList></rim:Slot><rim:Slot name="$a"><rim:ValueList><rim:Value>'y'</rim:Value><rim:Value>'z'</rim:Value></rim:ValueList></rim:Slot></rim:AdhocQuery>"#)).as_bytes(),
            &Limits::default(),
        )
    };
    let r = q(r#"<query:ResponseOption returnType="ObjectRef"/>"#).unwrap();
    assert_eq!(r.return_type, ReturnType::ObjectRef);
    assert!(!r.return_composed_objects);
    assert_eq!(r.home.as_deref(), Some("urn:oid:1"));
    // Repeated slot names are kept apart, in order (AND semantics).
    assert_eq!(r.parameters.len(), 2);
    assert_eq!(r.parameters[1].values, ["'y'", "'z'"]);
    let r = q(r#"<query:ResponseOption/>"#).unwrap();
    assert_eq!(r.return_type, ReturnType::LeafClass);
    let r =
        q(r#"<query:ResponseOption returnType="LeafClass" returnComposedObjects="1"/>"#).unwrap();
    assert!(r.return_composed_objects);
    assert!(
        invalid_message(q(r#"<query:ResponseOption returnType="Everything"/>"#))
            .contains("returnType")
    );
    assert!(invalid_message(q("")).contains("query:ResponseOption"));
    let no_query = query(r#"<query:ResponseOption/>"#);
    assert!(
        invalid_message(parse::adhoc_query_request(
            no_query.as_bytes(),
            &Limits::default()
        ))
        .contains("rim:AdhocQuery")
    );
    let expression = query(
        r#"<query:ResponseOption/><rim:AdhocQuery id="q"><rim:QueryExpression queryLanguage="x"/></rim:AdhocQuery>"#,
    );
    assert!(
        invalid_message(parse::adhoc_query_request(
            expression.as_bytes(),
            &Limits::default()
        ))
        .contains("rim:QueryExpression")
    );
}

#[test]
fn remove_objects_forms() {
    let ok = format!(
        r#"<lcm:RemoveObjectsRequest {NS} deletionScope="x"><rim:ObjectRefList><rim:ObjectRef id="urn:uuid:a"/><rim:ObjectRef id="urn:uuid:b"/></rim:ObjectRefList></lcm:RemoveObjectsRequest>"#
    );
    let r = parse::remove_objects_request(ok.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(r.object_ids, ["urn:uuid:a", "urn:uuid:b"]);
    let by_query = format!(
        r#"<lcm:RemoveObjectsRequest {NS}><rim:AdhocQuery id="q"/></lcm:RemoveObjectsRequest>"#
    );
    assert!(
        invalid_message(parse::remove_objects_request(
            by_query.as_bytes(),
            &Limits::default()
        ))
        .contains("rim:AdhocQuery")
    );
}

#[test]
fn retrieve_request_rules() {
    let r = |body: &str| {
        parse::retrieve_document_set_request(
            format!(r#"<RetrieveDocumentSetRequest xmlns="urn:ihe:iti:xds-b:2007">{body}</RetrieveDocumentSetRequest>"#).as_bytes(),
            &Limits::default(),
        )
    };
    let ok = r("<DocumentRequest><HomeCommunityId>urn:oid:1</HomeCommunityId><RepositoryUniqueId>\n 1.2 \n</RepositoryUniqueId><DocumentUniqueId>1.3</DocumentUniqueId></DocumentRequest>").unwrap();
    assert_eq!(
        ok.requests[0].home_community_id.as_deref(),
        Some("urn:oid:1")
    );
    assert_eq!(ok.requests[0].repository_unique_id, "1.2");
    assert!(invalid_message(r("")).contains("xds:DocumentRequest"));
    assert!(
        invalid_message(r(
            "<DocumentRequest><RepositoryUniqueId>1</RepositoryUniqueId></DocumentRequest>"
        ))
        .contains("xds:DocumentUniqueId")
    );
    assert!(invalid_message(r("<DocumentRequest><RepositoryUniqueId>1</RepositoryUniqueId><RepositoryUniqueId>1</RepositoryUniqueId><DocumentUniqueId>1</DocumentUniqueId></DocumentRequest>")).contains("xds:RepositoryUniqueId"));
}

#[test]
fn limits_are_malformed() {
    let xml = submit(
        r#"<rim:RegistryPackage id="p"><rim:Slot name="s"><rim:ValueList><rim:Value>a</rim:Value><rim:Value>b</rim:Value><rim:Value>c</rim:Value></rim:ValueList></rim:Slot></rim:RegistryPackage>"#,
    );
    let cases = [
        Limits {
            max_slot_values: 2,
            ..Limits::default()
        },
        Limits {
            max_elements: 5,
            ..Limits::default()
        },
        Limits {
            max_depth: 5,
            ..Limits::default()
        },
        Limits {
            max_bytes: 100,
            ..Limits::default()
        },
        Limits {
            max_value_len: 0,
            ..Limits::default()
        },
    ];
    for limits in cases {
        let result = parse::submit_objects_request(xml.as_bytes(), &limits);
        assert!(
            matches!(result, Err(ParseError::Malformed(_))),
            "{limits:?}: {result:?}"
        );
    }
    assert!(parse::submit_objects_request(xml.as_bytes(), &Limits::default()).is_ok());
}

#[test]
fn display_names_location() {
    let e = ParseError::invalid("rim:Slot is missing").within("Doc1");
    assert_eq!(e.to_string(), "rim:Slot is missing (in object Doc1)");
    assert!(!e.is_malformed());
}
