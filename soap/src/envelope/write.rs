//! Response envelopes with the WS-Addressing headers IHE requires
//! (ITI TF-2 Appendix V): Action (mustUnderstand), MessageID, RelatesTo.

use crate::escape::escape_text;
use crate::{SOAP12_NS, WSA_NS};

/// What goes into one response envelope.
pub(crate) struct EnvelopeHeaders<'a> {
    pub action: &'a str,
    pub relates_to: Option<&'a str>,
    /// Already serialised header blocks (may use the `env` and `wsa` prefixes).
    pub extra_headers: &'a str,
    /// Already serialised body content.
    pub body: &'a str,
}

/// Writes a SOAP 1.2 envelope around `body_xml` (serialised XML, inserted
/// as is; a leading XML declaration is dropped so the result stays
/// well-formed). `relates_to` is the request's wsa:MessageID.
pub fn envelope(action: &str, relates_to: Option<&str>, body_xml: &str) -> String {
    write_envelope(&EnvelopeHeaders {
        action,
        relates_to,
        extra_headers: "",
        body: strip_xml_declaration(body_xml),
    })
}

pub(crate) fn write_envelope(parts: &EnvelopeHeaders<'_>) -> String {
    let message_id = format!("urn:uuid:{}", uuid::Uuid::new_v4());
    let mut xml = String::with_capacity(512 + parts.body.len() + parts.extra_headers.len());
    xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    xml.push_str("<env:Envelope xmlns:env=\"");
    xml.push_str(SOAP12_NS);
    xml.push_str("\" xmlns:wsa=\"");
    xml.push_str(WSA_NS);
    xml.push_str("\"><env:Header><wsa:Action env:mustUnderstand=\"1\">");
    xml.push_str(&escape_text(parts.action));
    xml.push_str("</wsa:Action><wsa:MessageID>");
    xml.push_str(&message_id);
    xml.push_str("</wsa:MessageID>");
    if let Some(relates_to) = parts.relates_to {
        xml.push_str("<wsa:RelatesTo>");
        xml.push_str(&escape_text(relates_to));
        xml.push_str("</wsa:RelatesTo>");
    }
    xml.push_str(parts.extra_headers);
    xml.push_str("</env:Header><env:Body>");
    xml.push_str(parts.body);
    xml.push_str("</env:Body></env:Envelope>");
    xml
}

fn strip_xml_declaration(body: &str) -> &str {
    let trimmed = body.trim_start();
    if trimmed.starts_with("<?xml")
        && let Some(end) = trimmed.find("?>")
    {
        return trimmed.get(end + 2..).unwrap_or("");
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_body_declaration() {
        let xml = envelope("urn:a", None, "<?xml version=\"1.0\"?><x/>");
        assert!(xml.ends_with("<env:Body><x/></env:Body></env:Envelope>"));
        assert_eq!(xml.matches("<?xml").count(), 1);
    }
}
