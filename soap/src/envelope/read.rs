//! Reads a SOAP 1.2 request envelope up to the first Body child.
//!
//! Only the Header is interpreted; the body is left in the caller's buffer for
//! the body parser, so nothing of a possibly large body is copied here.

use super::cursor::{Cursor, Element, Node, Ns};
use crate::WSA_ANONYMOUS;
use crate::fault::SoapFault;
use crate::limits::XmlLimits;

/// What the envelope told us before the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeInfo {
    /// wsa:Action (required).
    pub action: String,
    /// wsa:MessageID, to be echoed as wsa:RelatesTo in the response.
    pub message_id: Option<String>,
    /// wsa:ReplyTo/wsa:Address.
    pub reply_to: Option<String>,
    /// wsa:To.
    pub to: Option<String>,
    /// First wsa:RelatesTo with the (default) reply relationship.
    pub relates_to: Option<String>,
    /// Namespace URI ("" when unqualified) and local name of the first Body
    /// child; `None` for an empty Body.
    pub body_element: Option<(String, String)>,
    /// The `reason` of a `<renkei:EmergencyAccess xmlns:renkei="urn:renkei:2026"
    /// reason="..."/>` header: the requester asks to open emergency access.
    pub emergency_access_reason: Option<String>,
}

/// Namespace of the hub's own SOAP headers.
pub const RENKEI_NS: &str = "urn:renkei:2026";

impl EnvelopeInfo {
    /// True when the response goes back on the HTTP connection (no ReplyTo,
    /// or the anonymous address), the only mode IHE needs synchronously.
    pub fn reply_is_anonymous(&self) -> bool {
        self.reply_to.as_deref().is_none_or(|a| a == WSA_ANONYMOUS)
    }
}

/// Reads and checks the envelope of a SOAP 1.2 request.
///
/// Faults: SOAP 1.1 or a root other than a SOAP 1.2 Envelope gives
/// VersionMismatch; an unknown header with mustUnderstand gives
/// MustUnderstand; a missing wsa:Action gives
/// Sender/wsa:MessageAddressingHeaderRequired; malformed or hostile XML
/// (DTD, unknown entity, limits exceeded) gives Sender.
pub fn read_envelope(xml: &[u8], limits: &XmlLimits) -> Result<EnvelopeInfo, SoapFault> {
    let mut cursor = Cursor::new(xml, *limits)?;
    let mut headers = Headers::default();

    let root = cursor.first_element()?;
    check_root(&root)?;
    if root.empty {
        return Err(SoapFault::sender("the SOAP Envelope has no Body"));
    }

    let mut seen_header = false;
    let body_element = loop {
        match cursor.next()? {
            Node::Open(child) if child.is(Ns::Soap12, "Header") => {
                if seen_header {
                    return Err(SoapFault::sender(
                        "the SOAP Envelope has more than one Header",
                    ));
                }
                seen_header = true;
                if !child.empty {
                    read_header(&mut cursor, &mut headers)?;
                }
            }
            Node::Open(child) if child.is(Ns::Soap12, "Body") => {
                break if child.empty {
                    None
                } else {
                    read_body_start(&mut cursor)?
                };
            }
            Node::Open(child) => {
                return Err(SoapFault::sender(format!(
                    "unexpected element {} in the SOAP Envelope (only Header and Body are allowed)",
                    child.describe()
                )));
            }
            Node::Text(text) => cursor.whitespace_only(&text, "the SOAP Envelope")?,
            Node::Close => return Err(SoapFault::sender("the SOAP Envelope has no Body")),
            Node::Eof => return Err(cursor.truncated()),
        }
    };

    // With an empty Body the whole document is cheap to finish: make sure it
    // is well-formed and that nothing (such as a late Header) follows.
    if body_element.is_none() {
        cursor.finish_after_body()?;
    }

    let action = headers.action.ok_or_else(|| {
        let mut fault = SoapFault::message_addressing_header_required("Action");
        if !seen_header {
            fault.reason.push_str(" (no SOAP Header precedes the Body)");
        }
        fault
    })?;
    Ok(EnvelopeInfo {
        action,
        message_id: headers.message_id,
        reply_to: headers.reply_to,
        to: headers.to,
        relates_to: headers.relates_to,
        emergency_access_reason: headers.emergency_access_reason,
        body_element,
    })
}

fn check_root(root: &Element<'_>) -> Result<(), SoapFault> {
    if root.is(Ns::Soap12, "Envelope") {
        return Ok(());
    }
    if root.is(Ns::Soap11, "Envelope") {
        return Err(SoapFault::version_mismatch(
            "SOAP 1.1 envelope received; this endpoint accepts SOAP 1.2 only",
        ));
    }
    Err(SoapFault::version_mismatch(format!(
        "the root element is {}, not a SOAP 1.2 Envelope",
        root.describe()
    )))
}

/// Skips whitespace inside Body and reports its first child element.
fn read_body_start(cursor: &mut Cursor<'_>) -> Result<Option<(String, String)>, SoapFault> {
    loop {
        match cursor.next()? {
            Node::Open(child) => {
                let namespace = match &child.ns {
                    Ns::None => String::new(),
                    ns => ns.uri().to_owned(),
                };
                return Ok(Some((namespace, child.local().to_owned())));
            }
            Node::Text(text) => cursor.whitespace_only(&text, "the SOAP Body")?,
            // Empty Body (the caller finishes the document).
            Node::Close => return Ok(None),
            Node::Eof => return Err(cursor.truncated()),
        }
    }
}

#[derive(Default)]
struct Headers {
    action: Option<String>,
    message_id: Option<String>,
    reply_to: Option<String>,
    to: Option<String>,
    relates_to: Option<String>,
    emergency_access_reason: Option<String>,
}

fn read_header(cursor: &mut Cursor<'_>, headers: &mut Headers) -> Result<(), SoapFault> {
    loop {
        match cursor.next()? {
            Node::Open(block) => read_header_block(cursor, headers, &block)?,
            Node::Text(text) => cursor.whitespace_only(&text, "the SOAP Header")?,
            Node::Close => return Ok(()),
            Node::Eof => return Err(cursor.truncated()),
        }
    }
}

fn read_header_block(
    cursor: &mut Cursor<'_>,
    headers: &mut Headers,
    block: &Element<'_>,
) -> Result<(), SoapFault> {
    let must_understand = cursor.must_understand(block)?;
    let targeted = cursor.targets_this_node(block)?;
    if block.ns == Ns::Wsa {
        match block.local() {
            "Action" => return set_once(&mut headers.action, cursor.text_of(block)?, "Action"),
            "MessageID" => {
                return set_once(&mut headers.message_id, cursor.text_of(block)?, "MessageID");
            }
            "To" => return set_once(&mut headers.to, cursor.text_of(block)?, "To"),
            "ReplyTo" => {
                let address = read_endpoint_address(cursor, block)?;
                return set_once(&mut headers.reply_to, address, "ReplyTo");
            }
            "RelatesTo" => {
                let is_reply = cursor
                    .attribute(block, |ns| ns == Ns::None, "RelationshipType")?
                    .is_none_or(|t| t == "http://www.w3.org/2005/08/addressing/reply");
                let value = cursor.text_of(block)?;
                if is_reply && headers.relates_to.is_none() {
                    headers.relates_to = Some(value);
                }
                return Ok(());
            }
            // Informational only: understood, nothing to do.
            "From" => return cursor.skip(block),
            _ => {}
        }
    }
    if block.ns == Ns::Other(RENKEI_NS.to_string()) && block.local() == "EmergencyAccess" {
        let reason = cursor
            .attribute(block, |ns| ns == Ns::None, "reason")?
            .unwrap_or_default();
        if headers.emergency_access_reason.is_some() {
            return Err(SoapFault::sender(
                "renkei:EmergencyAccess appears more than once",
            ));
        }
        headers.emergency_access_reason = Some(reason);
        return cursor.skip(block);
    }
    if must_understand && targeted {
        return Err(SoapFault::must_understand(block.ns.uri(), block.local()));
    }
    cursor.skip(block)
}

fn set_once(slot: &mut Option<String>, value: String, header: &str) -> Result<(), SoapFault> {
    if slot.is_some() {
        return Err(SoapFault::invalid_addressing_header(format!(
            "wsa:{header} appears more than once"
        )));
    }
    if value.is_empty() {
        return Err(SoapFault::invalid_addressing_header(format!(
            "wsa:{header} is empty"
        )));
    }
    *slot = Some(value);
    Ok(())
}

/// Reads wsa:Address out of an endpoint reference (wsa:ReplyTo).
fn read_endpoint_address(cursor: &mut Cursor<'_>, epr: &Element<'_>) -> Result<String, SoapFault> {
    let mut address = None;
    if !epr.empty {
        loop {
            match cursor.next()? {
                Node::Open(child) if child.is(Ns::Wsa, "Address") => {
                    set_once(&mut address, cursor.text_of(&child)?, "ReplyTo/wsa:Address")?;
                }
                Node::Open(child) => cursor.skip(&child)?,
                Node::Text(text) => cursor.whitespace_only(&text, "wsa:ReplyTo")?,
                Node::Close => break,
                Node::Eof => return Err(cursor.truncated()),
            }
        }
    }
    address.ok_or_else(|| SoapFault::invalid_addressing_header("wsa:ReplyTo has no wsa:Address"))
}
