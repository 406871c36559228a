//! `HttpTransaction`: a captured ITI-41 HTTP body (MTOM, inline base64,
//! percent-encoded cid, ...) replayed as is, except for what the toolkit
//! engine always rewrites: the patient id and the uniqueIds, so the
//! capture can be sent to a hub that knows neither.

use super::dom::{Element, escape};
use super::toolkit::Assigned;
use super::vocab;
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct RawSubmission {
    pub content_type: String,
    pub body: Vec<u8>,
    pub assigned: Assigned,
    /// The SubmitObjectsRequest as sent, for reports and assertions.
    pub input: Option<String>,
}

/// The value of a `name="value"` (or unquoted) parameter of a header.
pub fn header_param(header: &str, name: &str) -> Option<String> {
    header.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case(name)).then(|| v.trim().trim_matches('"').to_string())
    })
}

/// The root MIME part's content (the SOAP envelope) of a multipart body.
fn root_part(body: &str, boundary: &str) -> Option<String> {
    let delim = format!("--{boundary}");
    let start = body.find(&delim)? + delim.len();
    let rest = body.get(start..)?;
    let headers_end = rest.find("\r\n\r\n")? + 4;
    let content = rest.get(headers_end..)?;
    let end = content
        .find(&format!("\r\n{delim}"))
        .unwrap_or(content.len());
    content.get(..end).map(str::to_string)
}

/// Prepares a captured body: CRLF line ends (the copy lost them; MIME
/// framing needs them), fresh uniqueIds and the test's patient id.
pub fn prepare(
    headers: &[(String, String)],
    body_text: &str,
    patient_id: &str,
    mut fresh_uid: impl FnMut() -> String,
) -> Result<RawSubmission, String> {
    let content_type = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Content-Type"))
        .map(|(_, v)| v.clone())
        .ok_or("HttpTransaction without a Content-Type header")?;
    let mut body = body_text.replace("\r\n", "\n").replace('\n', "\r\n");
    let envelope = match header_param(&content_type, "boundary") {
        Some(b) => root_part(&body, &b).ok_or("root MIME part not found")?,
        None => body.clone(),
    };
    let root = Element::parse(envelope.trim()).map_err(|e| format!("captured envelope: {e}"))?;
    let mut patient_values = Vec::new();
    let mut uid_values: Vec<(String, String)> = Vec::new();
    let mut owners: Vec<String> = Vec::new();
    for e in root.descendants() {
        if e.name != "ExternalIdentifier" {
            continue;
        }
        let (Some(scheme), Some(value)) = (e.attr("identificationScheme"), e.attr("value")) else {
            continue;
        };
        let owner = e.attr("registryObject").unwrap_or_default().to_string();
        if vocab::is_patient_id_scheme(scheme) {
            patient_values.push(value.to_string());
            owners.push(owner);
        } else if vocab::is_unique_id_scheme(scheme) {
            uid_values.push((owner, value.to_string()));
        }
    }
    let mut assigned = Assigned::default();
    for old in &patient_values {
        body = body.replace(
            &format!("value=\"{}\"", escape(old)),
            &format!("value=\"{}\"", escape(patient_id)),
        );
    }
    for owner in owners {
        assigned.patient_ids.insert(owner, patient_id.to_string());
    }
    let mut renamed: BTreeMap<String, String> = BTreeMap::new();
    for (owner, old) in uid_values {
        let new = renamed
            .entry(old.clone())
            .or_insert_with(&mut fresh_uid)
            .clone();
        body = body.replace(
            &format!("value=\"{}\"", escape(&old)),
            &format!("value=\"{}\"", escape(&new)),
        );
        assigned.uids.insert(owner, new);
    }
    let input = match header_param(&content_type, "boundary") {
        Some(b) => root_part(&body, &b),
        None => Some(body.clone()),
    }
    .and_then(|env| Element::parse(env.trim()).ok())
    .and_then(|env| {
        env.descendants()
            .into_iter()
            .find(|e| e.name == "SubmitObjectsRequest")
            .map(Element::to_xml)
    });
    Ok(RawSubmission {
        content_type,
        body: body.into_bytes(),
        assigned,
        input,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn nist(path: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/../../shared/conformance/xds/nist-tests/{path}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn boundary_parameter() {
        let ct = r#"multipart/related; boundary="MIME_1"; type="application/xop+xml""#;
        assert_eq!(header_param(ct, "boundary").as_deref(), Some("MIME_1"));
        assert_eq!(header_param(ct, "start"), None);
    }

    #[test]
    fn rewrites_patient_and_unique_ids_of_a_capture() {
        let headers = vec![(
            "Content-Type".to_string(),
            r#"multipart/related; boundary="MIMEBoundary_95b57d7287e4fa4b528a8f050c41f8ad829c20332f23b48d"; type="application/xop+xml"; start-info="application/soap+xml"; action="urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b""#.to_string(),
        )];
        let mut n = 0;
        let sub = prepare(
            &headers,
            &nist("PnrXop/Xop/body.txt"),
            "P9^^^&1.2.3&ISO",
            || {
                n += 1;
                format!("9.9.{n}")
            },
        )
        .unwrap();
        let body = String::from_utf8(sub.body).unwrap();
        assert!(!body.contains("SR7^^^"), "old patient id left");
        assert!(body.contains(r#"value="P9^^^&amp;1.2.3&amp;ISO""#));
        assert!(!body.contains("1.42.20160705093311.6"));
        assert_eq!(
            sub.assigned.uids.get("Document01").map(String::as_str),
            Some("9.9.1")
        );
        assert_eq!(
            sub.assigned.uids.get("SubmissionSet01").map(String::as_str),
            Some("9.9.2")
        );
        assert!(
            !body.replace("\r\n", "").contains('\n'),
            "all line ends are CRLF"
        );
        assert!(sub.input.unwrap().contains("SubmitObjectsRequest"));
    }
}
