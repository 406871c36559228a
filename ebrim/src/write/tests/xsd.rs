//! Everything the writer produces for the corpus validates against the
//! official ebRS 3.0 / XDS.b schemas (with xmllint, when installed).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{RegistryError, ResponseStatus, XdsErrorCode};
use crate::parse::tests::corpus::{CONFORMANCE, Kind, parse as parse_sample, rewrite, samples};
use crate::write::{self, DocumentResponseHeader, QueryResult};

fn schema(kind: Kind) -> Option<&'static str> {
    Some(match kind {
        Kind::SubmitObjects | Kind::RemoveObjects => "ebRS/lcm.xsd",
        Kind::AdhocQuery | Kind::AdhocQueryResponse => "ebRS/query.xsd",
        Kind::RegistryResponse => "ebRS/rs.xsd",
        Kind::ProvideAndRegister | Kind::Retrieve | Kind::RetrieveResponse => {
            "IHE/XDS.b_DocumentRepository.xsd"
        }
        // RMD.xsd imports ../ebRS30/, a folder the IHE distribution lacks.
        Kind::RemoveDocuments => return None,
    })
}

/// XOP-optimized content is base64Binary in the XML infoset the schema
/// describes: put base64 back where `xop:Include` stands.
fn reconstitute(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(start) = rest.find("<xop:Include") {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let end = after.find("/>").map_or(after.len(), |e| e + 2);
        out.push_str("AAAA");
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

fn xmllint_available() -> bool {
    Command::new("xmllint").arg("--version").output().is_ok()
}

/// Validate `files` against `schema`; return the error report, if any.
fn validate(schema: &str, files: &[PathBuf]) -> Option<String> {
    let conformance = Path::new(CONFORMANCE);
    let output = Command::new("xmllint")
        .env("XML_CATALOG_FILES", conformance.join("schemas/catalog.xml"))
        .args(["--nonet", "--noout", "--schema"])
        .arg(conformance.join("schemas/ihe-iti/schema").join(schema))
        .args(files)
        .output()
        .expect("run xmllint");
    if output.status.success() {
        return None;
    }
    let report: String = String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|l| !l.ends_with(" validates"))
        .take(40)
        .collect::<Vec<_>>()
        .join("\n");
    Some(format!("{schema}:\n{report}"))
}

#[test]
fn written_messages_are_schema_valid() {
    if !xmllint_available() {
        println!("NOTICE: xmllint not installed; schema validation of written XML skipped");
        return;
    }
    let dir = std::env::temp_dir().join(format!("ebrim-xsd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut by_schema: BTreeMap<&str, Vec<PathBuf>> = BTreeMap::new();
    let mut n = 0usize;
    let mut add = |schema: &'static str, xml: &str| {
        let path = dir.join(format!("{n:05}.xml"));
        n += 1;
        std::fs::write(&path, reconstitute(xml)).unwrap();
        by_schema.entry(schema).or_default().push(path);
    };

    for sample in samples() {
        let (Ok(parsed), Some(schema)) = (
            parse_sample(sample.kind, &sample.bytes),
            schema(sample.kind),
        ) else {
            continue;
        };
        if let Some(xml) = rewrite(&parsed) {
            add(schema, &xml);
        }
    }
    // Responses the hub writes.
    let errors = [
        RegistryError::error(XdsErrorCode::RegistryMetadataError, "bad <id> & \"more\"")
            .at("Doc01"),
        RegistryError::warning(XdsErrorCode::ExtraMetadataNotSaved, "dropped"),
    ];
    add(
        "ebRS/rs.xsd",
        &write::registry_response(ResponseStatus::Failure, &errors),
    );
    add(
        "ebRS/rs.xsd",
        &write::registry_response(ResponseStatus::Success, &[]),
    );
    add(
        "ebRS/rs.xsd",
        &write::registry_response(ResponseStatus::PartialSuccess, &errors[1..]),
    );
    add(
        "ebRS/query.xsd",
        &write::adhoc_query_response(
            ResponseStatus::Failure,
            &errors,
            &QueryResult::LeafClass(&[]),
        ),
    );
    let ids = ["urn:uuid:8a3c2b59-8e2c-4ea2-a5c4-0a6f3a63a3c0".to_owned()];
    add(
        "ebRS/query.xsd",
        &write::adhoc_query_response(ResponseStatus::Success, &[], &QueryResult::ObjectRefs(&ids)),
    );
    let docs = [DocumentResponseHeader {
        home_community_id: Some("urn:oid:1.2.3".into()),
        repository_unique_id: "1.2.3.4".into(),
        document_unique_id: "1.2.3.4.5".into(),
        mime_type: "text/xml".into(),
        content_id: "1.urn:uuid:x@renkei".into(),
    }];
    let schema = "IHE/XDS.b_DocumentRepository.xsd";
    add(
        schema,
        &write::retrieve_document_set_response(ResponseStatus::Success, &[], &docs),
    );
    add(
        schema,
        &write::retrieve_document_set_response(ResponseStatus::Failure, &errors, &[]),
    );

    let total: usize = by_schema.values().map(Vec::len).sum();
    let failures: Vec<String> = by_schema
        .iter()
        .filter_map(|(schema, files)| validate(schema, files))
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(total > 500, "only {total} files validated");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
