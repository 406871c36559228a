//! SOAP 1.2 faults (SOAP 1.2 Part 1 §5.4) and the WS-Addressing faults of the
//! SOAP binding (WS-Addressing 1.0 SOAP Binding §6).

use std::fmt;

use crate::envelope::write::{EnvelopeHeaders, write_envelope};
use crate::escape::{escape_attribute, escape_text};
use crate::{SOAP12_NS, WSA_FAULT_ACTION, WSA_NS};

/// The top-level SOAP 1.2 fault codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultCode {
    /// The message was not a SOAP 1.2 envelope.
    VersionMismatch,
    /// A mandatory header block was not understood.
    MustUnderstand,
    /// A header or body used an unsupported encodingStyle.
    DataEncodingUnknown,
    /// The request was wrong; resending it unchanged will fail again.
    Sender,
    /// The receiver failed; the same request may succeed later.
    Receiver,
}

impl FaultCode {
    /// Local name in the SOAP 1.2 envelope namespace.
    pub fn local_name(self) -> &'static str {
        match self {
            Self::VersionMismatch => "VersionMismatch",
            Self::MustUnderstand => "MustUnderstand",
            Self::DataEncodingUnknown => "DataEncodingUnknown",
            Self::Sender => "Sender",
            Self::Receiver => "Receiver",
        }
    }
}

impl fmt::Display for FaultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.local_name())
    }
}

/// A SOAP 1.2 fault, ready to be sent as the response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SOAP {code} fault: {reason}")]
pub struct SoapFault {
    pub code: FaultCode,
    /// Optional first-level subcode as (namespace URI, local name); the local
    /// name must be an XML NCName.
    pub subcode: Option<(String, String)>,
    /// Human readable explanation (sent with xml:lang="en").
    pub reason: String,
}

impl SoapFault {
    pub fn new(code: FaultCode, reason: impl Into<String>) -> Self {
        Self {
            code,
            subcode: None,
            reason: reason.into(),
        }
    }

    /// Adds a subcode.
    pub fn with_subcode(mut self, namespace: &str, local_name: &str) -> Self {
        self.subcode = Some((namespace.to_owned(), local_name.to_owned()));
        self
    }

    /// The request was wrong.
    pub fn sender(reason: impl Into<String>) -> Self {
        Self::new(FaultCode::Sender, reason)
    }

    /// The receiver failed (storage down, internal error).
    pub fn receiver(reason: impl Into<String>) -> Self {
        Self::new(FaultCode::Receiver, reason)
    }

    /// Not a SOAP 1.2 envelope (for example SOAP 1.1).
    pub fn version_mismatch(reason: impl Into<String>) -> Self {
        Self::new(FaultCode::VersionMismatch, reason)
    }

    /// A header block with mustUnderstand="true" that this node does not process.
    pub fn must_understand(namespace: &str, local_name: &str) -> Self {
        Self::new(
            FaultCode::MustUnderstand,
            format!(
                "header block {{{namespace}}}{local_name} marked mustUnderstand is not understood"
            ),
        )
    }

    /// wsa:ActionNotSupported: the endpoint does not implement this action.
    pub fn action_not_supported(action: &str) -> Self {
        Self::sender(format!(
            "The [action] cannot be processed at the receiver: {action}"
        ))
        .with_subcode(WSA_NS, "ActionNotSupported")
    }

    /// wsa:MessageAddressingHeaderRequired: a required WS-Addressing header is missing.
    pub fn message_addressing_header_required(header: &str) -> Self {
        Self::sender(format!(
            "A required header representing a Message Addressing Property is not present: wsa:{header}"
        ))
        .with_subcode(WSA_NS, "MessageAddressingHeaderRequired")
    }

    /// wsa:InvalidAddressingHeader: a WS-Addressing header is repeated or malformed.
    pub fn invalid_addressing_header(reason: impl Into<String>) -> Self {
        Self::sender(reason).with_subcode(WSA_NS, "InvalidAddressingHeader")
    }

    /// wsa:OnlyAnonymousAddressSupported: asynchronous replies are not offered.
    pub fn only_anonymous_address_supported(address: &str) -> Self {
        Self::sender(format!(
            "only the anonymous reply address is supported, got {address}"
        ))
        .with_subcode(WSA_NS, "OnlyAnonymousAddressSupported")
    }

    /// HTTP status for this fault (SOAP 1.2 Part 2 §7.5.1.2): 400 for
    /// Sender faults, 500 for everything else.
    pub fn http_status(&self) -> u16 {
        match self.code {
            FaultCode::Sender => 400,
            _ => 500,
        }
    }

    /// The complete fault envelope; `relates_to` is the request's MessageID
    /// when it could be read.
    pub fn to_xml(&self, relates_to: Option<&str>) -> String {
        let mut body = String::with_capacity(512 + self.reason.len());
        body.push_str("<env:Fault><env:Code><env:Value>env:");
        body.push_str(self.code.local_name());
        body.push_str("</env:Value>");
        if let Some((namespace, local)) = &self.subcode {
            if namespace == WSA_NS {
                body.push_str("<env:Subcode><env:Value>wsa:");
            } else {
                body.push_str("<env:Subcode><env:Value xmlns:sc=\"");
                body.push_str(&escape_attribute(namespace));
                body.push_str("\">sc:");
            }
            body.push_str(&escape_text(local));
            body.push_str("</env:Value></env:Subcode>");
        }
        body.push_str("</env:Code><env:Reason><env:Text xml:lang=\"en\">");
        body.push_str(&escape_text(&self.reason));
        body.push_str("</env:Text></env:Reason></env:Fault>");

        // SOAP 1.2 Appendix A: tell a SOAP 1.1 sender which version we speak.
        let upgrade = if self.code == FaultCode::VersionMismatch {
            format!(
                "<env:Upgrade><env:SupportedEnvelope qname=\"u:Envelope\" xmlns:u=\"{SOAP12_NS}\"/></env:Upgrade>"
            )
        } else {
            String::new()
        };
        write_envelope(&EnvelopeHeaders {
            action: WSA_FAULT_ACTION,
            relates_to,
            extra_headers: &upgrade,
            body: &body,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn action_not_supported_names_the_action() {
        let fault = SoapFault::action_not_supported("urn:x<y>");
        assert_eq!(fault.code, FaultCode::Sender);
        let xml = fault.to_xml(Some("urn:uuid:1"));
        assert!(xml.contains("<env:Value>wsa:ActionNotSupported</env:Value>"));
        assert!(xml.contains("urn:x&lt;y&gt;"));
        assert!(xml.contains(WSA_FAULT_ACTION));
        assert!(xml.contains("<wsa:RelatesTo>urn:uuid:1</wsa:RelatesTo>"));
        assert_eq!(fault.http_status(), 400);
    }

    #[test]
    fn foreign_subcode_gets_its_own_prefix() {
        let fault = SoapFault::receiver("db down").with_subcode("urn:a\"b", "Busy");
        let xml = fault.to_xml(None);
        assert!(xml.contains(r#"<env:Value xmlns:sc="urn:a&quot;b">sc:Busy</env:Value>"#));
        assert!(!xml.contains("RelatesTo"));
        assert_eq!(fault.http_status(), 500);
    }

    #[test]
    fn version_mismatch_carries_upgrade() {
        let xml = SoapFault::version_mismatch("SOAP 1.1").to_xml(None);
        assert!(xml.contains("<env:Upgrade>"));
        assert!(xml.contains("env:VersionMismatch"));
    }
}
