//! Reading the hub's replies the way the toolkit judges them: the response
//! status, the RegistryError codes, and (ITI-43) the returned documents.

use super::dom::Element;
use super::plan::{Expectation, ExpectedStatus};
use base64::Engine;

/// A RegistryError of the reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryError {
    pub code: String,
    pub context: String,
    pub severity: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyStatus {
    Success,
    Failure,
    PartialSuccess,
    /// A SOAP Fault (business errors must not be faults).
    Fault(String),
    /// Anything else: unparseable body, unknown status value.
    Other(String),
}

impl ReplyStatus {
    fn describe(&self) -> String {
        match self {
            ReplyStatus::Success => "Success".into(),
            ReplyStatus::Failure => "Failure".into(),
            ReplyStatus::PartialSuccess => "PartialSuccess".into(),
            ReplyStatus::Fault(r) => format!("SOAP Fault ({r})"),
            ReplyStatus::Other(r) => r.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Reply {
    pub http_status: u16,
    /// The first element of soap:Body, self-contained (namespaces declared).
    pub body: Option<String>,
    pub status: ReplyStatus,
    pub errors: Vec<RegistryError>,
}

const SOAP: &str = "http://www.w3.org/2003/05/soap-envelope";

/// Interprets a SOAP envelope (the root part for MTOM replies).
pub fn interpret(http_status: u16, envelope: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(envelope);
    let doc = match roxmltree::Document::parse(text.trim_start_matches('\u{feff}')) {
        Ok(d) => d,
        Err(e) => {
            return Reply {
                http_status,
                body: None,
                status: ReplyStatus::Other(format!("HTTP {http_status}, unparseable reply: {e}")),
                errors: Vec::new(),
            };
        }
    };
    let first = doc
        .descendants()
        .find(|n| n.has_tag_name((SOAP, "Body")))
        .and_then(|b| b.children().find(|c| c.is_element()));
    let Some(first) = first else {
        return Reply {
            http_status,
            body: None,
            status: ReplyStatus::Other(format!("HTTP {http_status}, no soap:Body content")),
            errors: Vec::new(),
        };
    };
    let errors = first
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "RegistryError")
        .map(|n| RegistryError {
            code: n.attribute("errorCode").unwrap_or_default().to_string(),
            context: n.attribute("codeContext").unwrap_or_default().to_string(),
            severity: n.attribute("severity").unwrap_or_default().to_string(),
        })
        .collect();
    let status_attr = match first.tag_name().name() {
        "RetrieveDocumentSetResponse" => first
            .children()
            .find(|c| c.is_element() && c.tag_name().name() == "RegistryResponse")
            .and_then(|r| r.attribute("status")),
        _ => first.attribute("status"),
    };
    let status = if first.tag_name().name() == "Fault" {
        let reason: String = first
            .descendants()
            .filter(|n| n.is_element() && n.tag_name().name() == "Text")
            .filter_map(|n| n.text())
            .collect::<Vec<_>>()
            .join(" ");
        ReplyStatus::Fault(reason)
    } else {
        match status_attr {
            Some(s) if s.ends_with(":Success") => ReplyStatus::Success,
            Some(s) if s.ends_with(":Failure") => ReplyStatus::Failure,
            Some(s) if s.ends_with(":PartialSuccess") => ReplyStatus::PartialSuccess,
            Some(s) => ReplyStatus::Other(format!("status {s:?}")),
            None => ReplyStatus::Other(format!("{} without status", first.tag_name().name())),
        }
    };
    Reply {
        http_status,
        body: Some(Element::from_node(first).to_xml()),
        status,
        errors,
    }
}

fn format_errors(errors: &[RegistryError]) -> String {
    if errors.is_empty() {
        return "no RegistryError".into();
    }
    errors
        .iter()
        .map(|e| {
            let ctx: String = e.context.chars().take(160).collect();
            format!("{} ({ctx})", e.code)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks status and error codes; Err carries "expected X, got Y [codes]".
pub fn judge(expected: &Expectation, reply: &Reply) -> Result<(), String> {
    let status_ok = matches!(
        (expected.status, &reply.status),
        (ExpectedStatus::Success, ReplyStatus::Success)
            | (ExpectedStatus::Failure, ReplyStatus::Failure)
            | (ExpectedStatus::PartialSuccess, ReplyStatus::PartialSuccess)
    );
    if !status_ok {
        return Err(format!(
            "expected {}, got {} (HTTP {}): {}",
            expected.status.name(),
            reply.status.describe(),
            reply.http_status,
            format_errors(&reply.errors)
        ));
    }
    for code in &expected.error_codes {
        // A comma-separated list means any one of them.
        let any: Vec<&str> = code
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        if !reply.errors.iter().any(|e| any.contains(&e.code.as_str())) {
            return Err(format!(
                "expected error {code}, got {}",
                format_errors(&reply.errors)
            ));
        }
    }
    for msg in &expected.error_messages {
        if !reply.errors.iter().any(|e| {
            e.code == *msg || e.code.contains(msg.as_str()) || e.context.contains(msg.as_str())
        }) {
            return Err(format!(
                "expected error {msg}, got {}",
                format_errors(&reply.errors)
            ));
        }
    }
    Ok(())
}

/// One DocumentResponse of an ITI-43 reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrievedDocument {
    pub repository: String,
    pub unique_id: String,
    pub mime_type: String,
    /// The bytes, or why they could not be found.
    pub content: Result<Vec<u8>, String>,
}

/// Reads the DocumentResponses; `attachments` are (Content-ID, bytes).
pub fn retrieved_documents(
    body: &str,
    attachments: &[(String, Vec<u8>)],
) -> Vec<RetrievedDocument> {
    let Ok(doc) = roxmltree::Document::parse(body) else {
        return Vec::new();
    };
    let child_text = |n: roxmltree::Node<'_, '_>, name: &str| -> String {
        n.children()
            .find(|c| c.is_element() && c.tag_name().name() == name)
            .and_then(|c| c.text())
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    doc.descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "DocumentResponse")
        .map(|dr| {
            let document = dr
                .children()
                .find(|c| c.is_element() && c.tag_name().name() == "Document");
            let content = match document {
                None => Err("no Document element".to_string()),
                Some(d) => match d
                    .children()
                    .find(|c| c.is_element() && c.tag_name().name() == "Include")
                {
                    Some(inc) => {
                        let href = inc.attribute("href").unwrap_or_default();
                        let cid = percent_decode(href.strip_prefix("cid:").unwrap_or(href));
                        attachments
                            .iter()
                            .find(|(id, _)| id.trim_matches(|c| c == '<' || c == '>') == cid)
                            .map(|(_, b)| b.clone())
                            .ok_or_else(|| format!("no MIME part with Content-ID {cid}"))
                    }
                    None => {
                        let text: String =
                            d.text().unwrap_or_default().split_whitespace().collect();
                        base64::engine::general_purpose::STANDARD
                            .decode(text)
                            .map_err(|e| format!("inline document is not base64: {e}"))
                    }
                },
            };
            RetrievedDocument {
                repository: child_text(dr, "RepositoryUniqueId"),
                unique_id: child_text(dr, "DocumentUniqueId"),
                mime_type: child_text(dr, "mimeType"),
                content,
            }
        })
        .collect()
}

/// `%3A` -> `:` (cid: URLs are percent-encoded Content-IDs).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%'
            && let (Some(h), Some(l)) = (bytes.get(i + 1), bytes.get(i + 2))
            && let (Some(h), Some(l)) = ((*h as char).to_digit(16), (*l as char).to_digit(16))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn envelope(body: &str) -> String {
        format!(
            r#"<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header/><soap:Body>{body}</soap:Body></soap:Envelope>"#
        )
    }

    fn failure(code: &str) -> String {
        envelope(&format!(
            r#"<rs:RegistryResponse xmlns:rs="urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0" status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure"><rs:RegistryErrorList><rs:RegistryError errorCode="{code}" codeContext="patient 1^^^&amp;1.2&amp;ISO unknown" severity="urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error"/></rs:RegistryErrorList></rs:RegistryResponse>"#
        ))
    }

    fn expect(status: ExpectedStatus, codes: &[&str], messages: &[&str]) -> Expectation {
        Expectation {
            status,
            error_codes: codes.iter().map(|c| c.to_string()).collect(),
            error_messages: messages.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[test]
    fn failure_with_the_expected_code_passes() {
        let r = interpret(200, failure("XDSUnknownPatientId").as_bytes());
        assert_eq!(r.status, ReplyStatus::Failure);
        assert_eq!(r.errors[0].code, "XDSUnknownPatientId");
        assert!(
            judge(
                &expect(ExpectedStatus::Failure, &["XDSUnknownPatientId"], &[]),
                &r
            )
            .is_ok()
        );
        assert!(
            judge(
                &expect(ExpectedStatus::Failure, &[], &["XDSUnknownPatientId"]),
                &r
            )
            .is_ok()
        );
        let wrong = judge(
            &expect(ExpectedStatus::Failure, &["XDSPatientIdDoesNotMatch"], &[]),
            &r,
        )
        .unwrap_err();
        assert!(wrong.contains("XDSUnknownPatientId"), "{wrong}");
        let not_success = judge(&expect(ExpectedStatus::Success, &[], &[]), &r).unwrap_err();
        assert!(
            not_success.starts_with("expected Success, got Failure"),
            "{not_success}"
        );
        assert!(r.body.unwrap().contains("RegistryResponse"));
    }

    #[test]
    fn faults_never_count_as_a_failure_response() {
        let fault = envelope(
            r#"<soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang="en">bad envelope</soap:Text></soap:Reason></soap:Fault>"#,
        );
        let r = interpret(500, fault.as_bytes());
        assert_eq!(r.status, ReplyStatus::Fault("bad envelope".into()));
        assert!(judge(&expect(ExpectedStatus::Failure, &[], &[]), &r).is_err());
    }

    #[test]
    fn retrieve_status_and_documents() {
        let body = envelope(
            r#"<xds:RetrieveDocumentSetResponse xmlns:xds="urn:ihe:iti:xds-b:2007" xmlns:rs="urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0"><rs:RegistryResponse status="urn:ihe:iti:2007:ResponseStatusType:PartialSuccess"/><xds:DocumentResponse><xds:RepositoryUniqueId>1.2</xds:RepositoryUniqueId><xds:DocumentUniqueId>1.2.3</xds:DocumentUniqueId><xds:mimeType>text/plain</xds:mimeType><xds:Document><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:doc1%40x"/></xds:Document></xds:DocumentResponse><xds:DocumentResponse><xds:RepositoryUniqueId>1.2</xds:RepositoryUniqueId><xds:DocumentUniqueId>1.2.4</xds:DocumentUniqueId><xds:mimeType>text/plain</xds:mimeType><xds:Document>aGk=</xds:Document></xds:DocumentResponse></xds:RetrieveDocumentSetResponse>"#,
        );
        let r = interpret(200, body.as_bytes());
        assert_eq!(r.status, ReplyStatus::PartialSuccess);
        let docs = retrieved_documents(
            &r.body.unwrap(),
            &[("<doc1@x>".to_string(), b"bytes".to_vec())],
        );
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].content.as_deref(), Ok(&b"bytes"[..]));
        assert_eq!(docs[1].content.as_deref(), Ok(&b"hi"[..]));
        assert_eq!(docs[1].unique_id, "1.2.4");
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a-1@urn%3Aihe%3Aiti"), "a-1@urn:ihe:iti");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
