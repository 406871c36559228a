//! Validating what the hub sends against the official XSDs with xmllint
//! (libxml2-utils), offline through the catalog in ../shared/conformance.

use anyhow::{Result, bail};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// `../shared/conformance` relative to the workspace root (or the nearest
/// `shared/conformance` further up, for a git worktree one level deeper).
pub fn conformance_dir() -> PathBuf {
    let beside_root = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/conformance"
    ));
    if beside_root.is_dir() {
        return beside_root;
    }
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join("shared/conformance"))
        .find(|dir| dir.is_dir())
        .unwrap_or(beside_root)
}

/// Schemas a response body can be validated against.
pub enum Schema {
    /// rs:RegistryResponse (ITI-41/42).
    RegistryResponse,
    /// query:AdhocQueryResponse (ITI-18).
    AdhocQueryResponse,
    /// xds:RetrieveDocumentSetResponse (ITI-43).
    RetrieveDocumentSetResponse,
    /// A whole SOAP 1.2 envelope (structure only).
    SoapEnvelope,
}

impl Schema {
    fn path(&self) -> PathBuf {
        let s = conformance_dir().join("schemas");
        match self {
            Schema::RegistryResponse => s.join("ihe-iti/schema/ebRS/rs.xsd"),
            Schema::AdhocQueryResponse => s.join("ihe-iti/schema/ebRS/query.xsd"),
            Schema::RetrieveDocumentSetResponse => {
                s.join("ihe-iti/schema/IHE/XDS.b_DocumentRepository.xsd")
            }
            Schema::SoapEnvelope => s.join("w3c/soap-1.2-envelope.xsd"),
        }
    }
}

/// Validates `xml` (a document whose root is the schema's element).
pub fn validate(xml: &str, schema: Schema) -> Result<()> {
    let mut child = Command::new("xmllint")
        .args(["--nonet", "--noout", "--schema"])
        .arg(schema.path())
        .arg("-")
        .env("XML_CATALOG_FILES", conformance_dir().join("schemas/catalog.xml"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| anyhow::anyhow!("xmllint is needed to validate against the XSDs (apt-get install libxml2-utils): {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(xml.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!(
            "XSD validation failed:\n{}\n--- document ---\n{xml}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// The first child element of `soap:Body`, serialised with the namespace
/// declarations it needs, so it can be validated on its own.
pub fn body_element(envelope: &str) -> Result<String> {
    let doc = roxmltree::Document::parse(envelope)?;
    let body = doc
        .descendants()
        .find(|n| n.has_tag_name(("http://www.w3.org/2003/05/soap-envelope", "Body")))
        .ok_or_else(|| anyhow::anyhow!("no soap:Body"))?;
    let first = body
        .children()
        .find(|n| n.is_element())
        .ok_or_else(|| anyhow::anyhow!("empty soap:Body"))?;
    let range = first.range();
    let text = envelope.get(range).unwrap_or_default();
    // Re-declare every namespace in scope on the extracted root element.
    let mut decls = String::new();
    for ns in first.namespaces() {
        let attr = match ns.name() {
            Some(p) => format!(" xmlns:{p}=\"{}\"", ns.uri()),
            None => format!(" xmlns=\"{}\"", ns.uri()),
        };
        if !text.contains(attr.trim()) {
            decls.push_str(&attr);
        }
    }
    let name_end = text
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .unwrap_or(text.len());
    Ok(format!(
        "{}{}{}",
        &text[..name_end],
        decls,
        &text[name_end..]
    ))
}

/// Rebuilds the XOP infoset for validation: every `<…:Include href="cid:X"/>`
/// becomes the base64 of the MIME part X (the schema types xds:Document as
/// base64Binary; XOP only changes the wire form).
pub fn inline_xop(xml: &str, parts: &[(String, bytes::Bytes)]) -> Result<String> {
    use base64::Engine;
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(start) = rest.find(":Include ") {
        let open = rest[..start]
            .rfind('<')
            .ok_or_else(|| anyhow::anyhow!("malformed xop:Include"))?;
        let end = rest[start..]
            .find("/>")
            .map(|e| start + e + 2)
            .ok_or_else(|| anyhow::anyhow!("xop:Include is not an empty element"))?;
        let element = &rest[open..end];
        let href = element
            .split("href=\"")
            .nth(1)
            .and_then(|h| h.split('"').next())
            .ok_or_else(|| anyhow::anyhow!("xop:Include without href"))?;
        let cid = soap::cid_from_href(href).ok_or_else(|| anyhow::anyhow!("bad cid {href}"))?;
        let data = parts
            .iter()
            .find(|(c, _)| *c == cid)
            .map(|(_, d)| d)
            .ok_or_else(|| anyhow::anyhow!("xop:Include references missing part {cid}"))?;
        out.push_str(&rest[..open]);
        out.push_str(&base64::engine::general_purpose::STANDARD.encode(data));
        rest = &rest[end..];
    }
    out.push_str(rest);
    Ok(out)
}
