//! Bounds for XML read from the network, shared by every crate that parses
//! wire XML (SOAP envelopes, ebRIM bodies, HL7 v3), so a hostile document is
//! refused the same way everywhere.

use quick_xml::XmlVersion;
use quick_xml::events::{BytesRef, BytesStart, Event};

/// Size and shape limits for one XML document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XmlLimits {
    /// Deepest element nesting accepted (the root element is depth 1).
    pub max_depth: usize,
    /// Largest document accepted, in bytes.
    pub max_bytes: usize,
    /// Most attributes (namespace declarations included) on one element.
    pub max_attributes: usize,
}

impl Default for XmlLimits {
    /// Generous for XDS.b (an ebRIM submission nests about 12 deep and uses a
    /// handful of attributes per element) yet small enough to stop abuse.
    fn default() -> Self {
        Self {
            max_depth: 64,
            max_bytes: 64 * 1024 * 1024,
            max_attributes: 64,
        }
    }
}

/// Why a document was refused before its content was even looked at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlLimitError {
    #[error("document is {size} bytes, more than the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("elements are nested deeper than the limit of {limit}")]
    TooDeep { limit: usize },
    #[error("element <{element}> has more than {limit} attributes")]
    TooManyAttributes { element: String, limit: usize },
    #[error("document type declarations (DTDs) are not allowed")]
    DocType,
    #[error("unknown entity reference '&{0};' (only the five XML entities are allowed)")]
    UnknownEntity(String),
    #[error("invalid character reference '&{0};'")]
    InvalidCharRef(String),
    #[error("malformed attribute on <{element}>: {reason}")]
    BadAttribute { element: String, reason: String },
}

/// Applies [`XmlLimits`] to a stream of quick-xml events.
///
/// Feed it every event a reader produces, in order; it tracks depth itself.
#[derive(Debug, Clone)]
pub struct XmlGuard {
    limits: XmlLimits,
    depth: usize,
}

impl XmlGuard {
    pub fn new(limits: XmlLimits) -> Self {
        Self { limits, depth: 0 }
    }

    /// Current element depth (0 outside the root element).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Checks the document size before parsing starts.
    pub fn check_size(&self, len: usize) -> Result<(), XmlLimitError> {
        if len > self.limits.max_bytes {
            return Err(XmlLimitError::TooLarge {
                size: len,
                limit: self.limits.max_bytes,
            });
        }
        Ok(())
    }

    /// Checks one event: refuses DTDs, unknown entities, too deep nesting,
    /// too many attributes and attribute values with unknown entities.
    pub fn check_event(&mut self, event: &Event<'_>) -> Result<(), XmlLimitError> {
        match event {
            Event::Start(start) => {
                self.enter()?;
                self.check_attributes(start)?;
            }
            Event::Empty(start) => {
                self.enter()?;
                self.depth = self.depth.saturating_sub(1);
                self.check_attributes(start)?;
            }
            Event::End(_) => self.depth = self.depth.saturating_sub(1),
            Event::DocType(_) => return Err(XmlLimitError::DocType),
            Event::GeneralRef(reference) => {
                resolve_reference(reference)?;
            }
            _ => {}
        }
        Ok(())
    }

    fn enter(&mut self) -> Result<(), XmlLimitError> {
        self.depth = self.depth.saturating_add(1);
        if self.depth > self.limits.max_depth {
            return Err(XmlLimitError::TooDeep {
                limit: self.limits.max_depth,
            });
        }
        Ok(())
    }

    fn check_attributes(&self, start: &BytesStart<'_>) -> Result<(), XmlLimitError> {
        let element = || start.name().as_ref().to_owned();
        for (count, attribute) in start.attributes().enumerate() {
            if count >= self.limits.max_attributes {
                return Err(XmlLimitError::TooManyAttributes {
                    element: element(),
                    limit: self.limits.max_attributes,
                });
            }
            let attribute = attribute.map_err(|e| XmlLimitError::BadAttribute {
                element: element(),
                reason: e.to_string(),
            })?;
            // Decoding refuses unknown entities; the value itself is not kept.
            attribute
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|e| XmlLimitError::BadAttribute {
                    element: element(),
                    reason: e.to_string(),
                })?;
        }
        Ok(())
    }
}

/// Resolves a reference that quick-xml reports as `Event::GeneralRef`:
/// the five predefined entities and character references. Anything else
/// would need a DTD, which SOAP forbids, so it is an error.
pub fn resolve_reference(reference: &BytesRef<'_>) -> Result<char, XmlLimitError> {
    let name: &str = reference;
    match name {
        "amp" => return Ok('&'),
        "lt" => return Ok('<'),
        "gt" => return Ok('>'),
        "quot" => return Ok('"'),
        "apos" => return Ok('\''),
        _ => {}
    }
    if !reference.is_char_ref() {
        return Err(XmlLimitError::UnknownEntity(name.to_owned()));
    }
    match reference.resolve_char_ref() {
        Ok(Some(c)) if is_legal_char(c) => Ok(c),
        _ => Err(XmlLimitError::InvalidCharRef(name.to_owned())),
    }
}

fn is_legal_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn references() {
        assert_eq!(resolve_reference(&BytesRef::new("amp")), Ok('&'));
        assert_eq!(resolve_reference(&BytesRef::new("#x41")), Ok('A'));
        assert_eq!(resolve_reference(&BytesRef::new("#65")), Ok('A'));
        assert!(matches!(
            resolve_reference(&BytesRef::new("xxe")),
            Err(XmlLimitError::UnknownEntity(_))
        ));
        assert!(matches!(
            resolve_reference(&BytesRef::new("#1")),
            Err(XmlLimitError::InvalidCharRef(_))
        ));
        assert!(resolve_reference(&BytesRef::new("#xZZ")).is_err());
    }

    #[test]
    fn attribute_with_unknown_entity_is_refused() {
        let mut guard = XmlGuard::new(XmlLimits::default());
        let start = BytesStart::from_content(r#"a b="&ok;""#, 1);
        assert!(guard.check_event(&Event::Start(start)).is_err());
        let start = BytesStart::from_content(r#"a b="&amp;&#65;""#, 1);
        assert!(guard.check_event(&Event::Start(start)).is_ok());
    }

    #[test]
    fn depth_is_tracked() {
        let limits = XmlLimits {
            max_depth: 2,
            ..XmlLimits::default()
        };
        let mut guard = XmlGuard::new(limits);
        let a = || Event::Start(BytesStart::new("a"));
        guard.check_event(&a()).unwrap();
        guard.check_event(&a()).unwrap();
        assert_eq!(guard.depth(), 2);
        assert!(
            guard
                .check_event(&Event::Empty(BytesStart::new("a")))
                .is_err()
        );
    }
}
