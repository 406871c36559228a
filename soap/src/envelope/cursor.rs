//! The XML event layer under the envelope reader: an `NsReader` over the
//! request bytes with [`XmlLimits`] applied to every event, namespaces
//! resolved, references checked and errors turned into SOAP faults.

use std::borrow::Cow;

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};

use crate::fault::SoapFault;
use crate::limits::{XmlGuard, XmlLimitError, XmlLimits, resolve_reference};
use crate::{SOAP11_NS, SOAP12_NS, WSA_NS};

/// Namespace of an element, with the ones this module cares about named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Ns {
    Soap12,
    Soap11,
    Wsa,
    Other(String),
    None,
}

impl Ns {
    pub(super) fn from_resolved(resolved: &ResolveResult<'_>) -> Result<Self, SoapFault> {
        match resolved {
            ResolveResult::Bound(Namespace(uri)) => Ok(match *uri {
                SOAP12_NS => Self::Soap12,
                SOAP11_NS => Self::Soap11,
                WSA_NS => Self::Wsa,
                other => Self::Other(other.to_owned()),
            }),
            ResolveResult::Unbound => Ok(Self::None),
            ResolveResult::Unknown(prefix) => Err(SoapFault::sender(format!(
                "malformed XML: namespace prefix '{prefix}' is not declared"
            ))),
        }
    }

    pub(super) fn uri(&self) -> &str {
        match self {
            Self::Soap12 => SOAP12_NS,
            Self::Soap11 => SOAP11_NS,
            Self::Wsa => WSA_NS,
            Self::Other(uri) => uri,
            Self::None => "",
        }
    }
}

pub(super) struct Element<'i> {
    pub(super) start: BytesStart<'i>,
    pub(super) ns: Ns,
    pub(super) empty: bool,
}

impl Element<'_> {
    pub(super) fn local(&self) -> &str {
        let name = self.start.name().0;
        name.rsplit_once(':').map_or(name, |(_, local)| local)
    }

    pub(super) fn is(&self, ns: Ns, local: &str) -> bool {
        self.ns == ns && self.local() == local
    }

    pub(super) fn describe(&self) -> String {
        format!("{{{}}}{}", self.ns.uri(), self.local())
    }
}

pub(super) enum Node<'i> {
    Open(Element<'i>),
    Close,
    Text(Cow<'i, str>),
    Eof,
}

/// An NsReader over the request bytes with the limits applied to every event.
pub(super) struct Cursor<'i> {
    reader: NsReader<&'i [u8]>,
    guard: XmlGuard,
}

impl<'i> Cursor<'i> {
    pub(super) fn new(xml: &'i [u8], limits: XmlLimits) -> Result<Self, SoapFault> {
        let guard = XmlGuard::new(limits);
        guard.check_size(xml.len()).map_err(limit_fault)?;
        let mut reader = NsReader::from_reader(xml);
        let config = reader.config_mut();
        config.check_end_names = true;
        config.check_comments = true;
        config.allow_unmatched_ends = false;
        config.allow_dangling_amp = false;
        config.expand_empty_elements = false;
        Ok(Self { reader, guard })
    }

    pub(super) fn next(&mut self) -> Result<Node<'i>, SoapFault> {
        loop {
            let position = self.reader.buffer_position();
            let (resolved, event) = match self.reader.read_resolved_event() {
                Ok(pair) => pair,
                Err(error) => {
                    return Err(SoapFault::sender(format!(
                        "malformed XML at byte {}: {error}",
                        self.reader.error_position()
                    )));
                }
            };
            let ns = match &event {
                Event::Start(_) | Event::Empty(_) => Ns::from_resolved(&resolved)?,
                _ => Ns::None,
            };
            self.guard.check_event(&event).map_err(|e| match e {
                XmlLimitError::DocType => limit_fault(e),
                other => SoapFault::sender(format!("refused XML at byte {position}: {other}")),
            })?;
            return Ok(match event {
                Event::Start(start) => Node::Open(Element {
                    start,
                    ns,
                    empty: false,
                }),
                Event::Empty(start) => Node::Open(Element {
                    start,
                    ns,
                    empty: true,
                }),
                Event::End(_) => Node::Close,
                Event::Text(text) => Node::Text(text.xml10_content()),
                Event::CData(data) => Node::Text(data.xml10_content()),
                Event::GeneralRef(reference) => {
                    let c = resolve_reference(&reference).map_err(limit_fault)?;
                    Node::Text(Cow::Owned(c.to_string()))
                }
                Event::Decl(decl) => {
                    check_declared_encoding(&decl)?;
                    continue;
                }
                // SOAP 1.2 Part 1 §5: a receiver ignores processing instructions.
                Event::Comment(_) | Event::PI(_) => continue,
                Event::DocType(_) => return Err(limit_fault(XmlLimitError::DocType)),
                Event::Eof => Node::Eof,
            });
        }
    }

    /// Skips the prolog and returns the root element.
    pub(super) fn first_element(&mut self) -> Result<Element<'i>, SoapFault> {
        loop {
            match self.next()? {
                Node::Open(element) => return Ok(element),
                Node::Text(text) => self.whitespace_only(&text, "the document prolog")?,
                Node::Close => {
                    return Err(SoapFault::sender(
                        "malformed XML: end tag before the root element",
                    ));
                }
                Node::Eof => return Err(SoapFault::sender("the request contains no XML document")),
            }
        }
    }

    /// After an empty Body: expects the Envelope end tag, then only
    /// whitespace, comments and processing instructions.
    pub(super) fn finish_after_body(&mut self) -> Result<(), SoapFault> {
        let mut envelope_closed = false;
        loop {
            match self.next()? {
                Node::Open(element) => {
                    let place = if envelope_closed {
                        "after the Envelope"
                    } else {
                        "after the SOAP Body"
                    };
                    return Err(SoapFault::sender(format!(
                        "unexpected element {} {place}",
                        element.describe()
                    )));
                }
                Node::Text(text) => self.whitespace_only(&text, "the end of the document")?,
                Node::Close if !envelope_closed => envelope_closed = true,
                Node::Close => return Err(SoapFault::sender("malformed XML: unmatched end tag")),
                Node::Eof if envelope_closed => return Ok(()),
                Node::Eof => return Err(self.truncated()),
            }
        }
    }

    /// Collects the text of a simple-content element (wsa:Action, ...),
    /// trimmed as xs:anyURI allows.
    pub(super) fn text_of(&mut self, element: &Element<'_>) -> Result<String, SoapFault> {
        let mut value = String::new();
        if element.empty {
            return Ok(value);
        }
        loop {
            match self.next()? {
                Node::Text(text) => value.push_str(&text),
                Node::Close => return Ok(value.trim().to_owned()),
                Node::Open(child) => {
                    return Err(SoapFault::invalid_addressing_header(format!(
                        "{} must contain text only, found element {}",
                        element.describe(),
                        child.describe()
                    )));
                }
                Node::Eof => return Err(self.truncated()),
            }
        }
    }

    /// Skips an element and everything inside it.
    pub(super) fn skip(&mut self, element: &Element<'_>) -> Result<(), SoapFault> {
        if element.empty {
            return Ok(());
        }
        let mut open = 0usize;
        loop {
            match self.next()? {
                Node::Open(child) if !child.empty => open += 1,
                Node::Close if open == 0 => return Ok(()),
                Node::Close => open -= 1,
                Node::Eof => return Err(self.truncated()),
                Node::Open(_) | Node::Text(_) => {}
            }
        }
    }

    /// Value of the attribute `local` whose namespace passes `ns_matches`.
    pub(super) fn attribute(
        &self,
        element: &Element<'_>,
        ns_matches: impl Fn(Ns) -> bool,
        local: &str,
    ) -> Result<Option<String>, SoapFault> {
        for attribute in element.start.attributes() {
            let attribute = attribute
                .map_err(|e| SoapFault::sender(format!("malformed XML attribute: {e}")))?;
            let (resolved, name) = self.reader.resolver().resolve_attribute(attribute.key);
            if name.as_ref() != local {
                continue;
            }
            if ns_matches(Ns::from_resolved(&resolved)?) {
                let value = attribute
                    .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .map_err(|e| SoapFault::sender(format!("malformed XML attribute: {e}")))?;
                return Ok(Some(value.trim().to_owned()));
            }
        }
        Ok(None)
    }

    /// env:mustUnderstand as a boolean (xs:boolean lexical forms).
    pub(super) fn must_understand(&self, block: &Element<'_>) -> Result<bool, SoapFault> {
        match self
            .attribute(block, |ns| ns == Ns::Soap12, "mustUnderstand")?
            .as_deref()
        {
            None | Some("0" | "false") => Ok(false),
            Some("1" | "true") => Ok(true),
            Some(other) => Err(SoapFault::sender(format!(
                "invalid env:mustUnderstand value '{other}' on header {}",
                block.describe()
            ))),
        }
    }

    /// True unless env:role names a role this ultimate receiver does not play
    /// (SOAP 1.2 Part 1 §2.2: we act as "next" and "ultimateReceiver").
    pub(super) fn targets_this_node(&self, block: &Element<'_>) -> Result<bool, SoapFault> {
        Ok(
            match self
                .attribute(block, |ns| ns == Ns::Soap12, "role")?
                .as_deref()
            {
                None | Some("") => true,
                Some(role) => matches!(
                    role,
                    "http://www.w3.org/2003/05/soap-envelope/role/next"
                        | "http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver"
                ),
            },
        )
    }

    pub(super) fn whitespace_only(&self, text: &str, place: &str) -> Result<(), SoapFault> {
        if text.chars().all(|c| matches!(c, ' ' | '\t' | '\r' | '\n')) {
            return Ok(());
        }
        Err(SoapFault::sender(format!(
            "unexpected character data in {place} near byte {}",
            self.reader.buffer_position()
        )))
    }

    pub(super) fn truncated(&self) -> SoapFault {
        SoapFault::sender(format!(
            "malformed XML: the document ends at byte {} before the SOAP Envelope is closed",
            self.reader.buffer_position()
        ))
    }
}

fn limit_fault(error: XmlLimitError) -> SoapFault {
    match error {
        XmlLimitError::DocType => SoapFault::sender(
            "document type declarations are not allowed in SOAP messages (SOAP 1.2 Part 1 §5)",
        ),
        other => SoapFault::sender(format!("refused XML: {other}")),
    }
}

/// The bytes are parsed as UTF-8; refuse a declaration that says otherwise
/// rather than misread the message.
fn check_declared_encoding(decl: &quick_xml::events::BytesDecl<'_>) -> Result<(), SoapFault> {
    let Some(encoding) = decl.encoding() else {
        return Ok(());
    };
    let encoding =
        encoding.map_err(|e| SoapFault::sender(format!("malformed XML declaration: {e}")))?;
    if ["utf-8", "utf8", "us-ascii", "ascii"]
        .iter()
        .any(|ok| encoding.eq_ignore_ascii_case(ok))
    {
        return Ok(());
    }
    Err(SoapFault::sender(format!(
        "unsupported character encoding '{encoding}': SOAP messages must be UTF-8"
    )))
}
