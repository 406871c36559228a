//! A thin layer over quick-xml's `NsReader` that every parser in this module
//! shares: namespace classification, depth/element/size limits, DTD and
//! entity policy, and helpers for element-only and text-only content.
//!
//! Empty elements (`<a/>`) are reported as a start immediately followed by an
//! end, so every parser handles `<a/>` and `<a></a>` the same way.

use std::borrow::Cow;
use std::fmt;

use quick_xml::NsReader;
use quick_xml::XmlVersion;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesCData, BytesRef, BytesStart, BytesText, Event};
use quick_xml::name::{Namespace, ResolveResult};

use super::{Limits, ParseError};
use crate::vocab;

pub(crate) const NS_SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";

/// The namespaces this parser tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ns {
    Rim,
    Rs,
    Lcm,
    Query,
    Xds,
    Rmd,
    Xop,
    Soap,
    Xml,
    /// No namespace.
    None,
    /// Any other namespace.
    Other,
}

impl Ns {
    fn classify(uri: &str) -> Ns {
        match uri {
            vocab::NS_RIM => Ns::Rim,
            vocab::NS_RS => Ns::Rs,
            vocab::NS_LCM => Ns::Lcm,
            vocab::NS_QUERY => Ns::Query,
            vocab::NS_XDS => Ns::Xds,
            vocab::NS_RMD => Ns::Rmd,
            vocab::NS_XOP => Ns::Xop,
            vocab::NS_XML => Ns::Xml,
            NS_SOAP12 => Ns::Soap,
            _ => Ns::Other,
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Ns::Rim => "rim:",
            Ns::Rs => "rs:",
            Ns::Lcm => "lcm:",
            Ns::Query => "query:",
            Ns::Xds => "xds:",
            Ns::Rmd => "rmd:",
            Ns::Xop => "xop:",
            Ns::Soap => "soap:",
            Ns::Xml => "xml:",
            Ns::None | Ns::Other => "",
        }
    }
}

/// A start tag with its namespace already resolved.
pub(crate) struct Elem<'i> {
    pub ns: Ns,
    start: BytesStart<'i>,
    /// The namespace URI when `ns` is [`Ns::Other`], for messages.
    other_uri: Option<String>,
}

impl Elem<'_> {
    pub fn local(&self) -> &str {
        let name = self.start.name();
        let (local, _) = name.decompose();
        local.into_inner()
    }

    pub fn is(&self, ns: Ns, local: &str) -> bool {
        self.ns == ns && self.local() == local
    }

    /// The element name as messages show it (`rim:Slot`, `{urn:x}Foo`).
    pub fn display(&self) -> ElemName<'_> {
        ElemName(self)
    }
}

pub(crate) struct ElemName<'a>(&'a Elem<'a>);

impl fmt::Display for ElemName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.0;
        match &e.other_uri {
            Some(uri) => write!(f, "{{{uri}}}{}", e.local()),
            None => write!(f, "{}{}", e.ns.prefix(), e.local()),
        }
    }
}

/// Character data, kept raw until someone needs its value.
pub(crate) enum Piece<'i> {
    Text(BytesText<'i>),
    CData(BytesCData<'i>),
    /// An entity or character reference, already resolved.
    Resolved(Cow<'static, str>),
}

impl<'i> Piece<'i> {
    fn raw(&self) -> &str {
        match self {
            Piece::Text(t) => t,
            Piece::CData(c) => c,
            Piece::Resolved(s) => s,
        }
    }

    pub fn is_blank(&self) -> bool {
        self.raw()
            .bytes()
            .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    }

    /// The value with XML line-end normalization applied.
    pub fn content(&self) -> Cow<'i, str> {
        match self {
            Piece::Text(t) => t.xml10_content(),
            Piece::CData(c) => c.xml10_content(),
            Piece::Resolved(s) => Cow::Owned(s.to_string()),
        }
    }

    /// Append the value to `out` without an intermediate allocation.
    pub fn push_to(&self, out: &mut String) {
        match self {
            Piece::Resolved(s) => out.push_str(s),
            _ => out.push_str(&self.content()),
        }
    }
}

pub(crate) enum Ev<'i> {
    Start(Elem<'i>),
    End,
    Text(Piece<'i>),
    Eof,
}

/// Attribute names the element parsers ask for.
#[derive(Clone, Copy)]
pub(crate) enum Key {
    /// Unprefixed attribute.
    Plain(&'static str),
    /// `xml:` attribute (only `xml:lang` is used).
    Xml(&'static str),
}

pub(crate) struct Cursor<'i> {
    reader: NsReader<&'i [u8]>,
    limits: Limits,
    depth: usize,
    elements: usize,
    /// The last start came from an empty element: the next event is its end.
    pending_end: bool,
    /// The root element has started (a second one is not XML).
    root_seen: bool,
    /// Bytes of inline documents decoded so far.
    pub inline_bytes: usize,
}

impl<'i> Cursor<'i> {
    pub fn new(xml: &'i [u8], limits: &Limits) -> Result<Self, ParseError> {
        if xml.len() > limits.max_bytes {
            return Err(ParseError::malformed(format!(
                "message of {} bytes exceeds the limit of {} bytes",
                xml.len(),
                limits.max_bytes
            )));
        }
        check_chars(xml)?;
        let mut reader = NsReader::from_reader(xml);
        let config = reader.config_mut();
        config.check_comments = true;
        config.check_end_names = true;
        config.expand_empty_elements = false;
        config.allow_dangling_amp = false;
        config.allow_unmatched_ends = false;
        Ok(Cursor {
            reader,
            limits: *limits,
            depth: 0,
            elements: 0,
            pending_end: false,
            root_seen: false,
            inline_bytes: 0,
        })
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    fn position(&self) -> u64 {
        self.reader.buffer_position()
    }

    fn malformed(&self, what: impl fmt::Display) -> ParseError {
        ParseError::malformed(format!("{what} (at byte {})", self.position()))
    }

    /// The next event that matters: comments, processing instructions and
    /// the XML declaration are skipped; a DOCTYPE is refused.
    pub fn next(&mut self) -> Result<Ev<'i>, ParseError> {
        if self.pending_end {
            self.pending_end = false;
            self.depth = self.depth.saturating_sub(1);
            return Ok(Ev::End);
        }
        loop {
            let (resolved, event) = match self.reader.read_resolved_event() {
                Ok((resolved, event)) => (classify(resolved), event),
                Err(e) => return Err(self.malformed(e)),
            };
            match event {
                Event::Start(start) => return self.start(resolved, start, false),
                Event::Empty(start) => return self.start(resolved, start, true),
                Event::End(_) => {
                    self.depth = self.depth.saturating_sub(1);
                    return Ok(Ev::End);
                }
                Event::Text(text) => {
                    let piece = Piece::Text(text);
                    if self.depth == 0 && !piece.is_blank() {
                        return Err(self.malformed("text outside the root element"));
                    }
                    return Ok(Ev::Text(piece));
                }
                Event::CData(_) | Event::GeneralRef(_) if self.depth == 0 => {
                    return Err(self.malformed("character data outside the root element"));
                }
                Event::CData(cdata) => return Ok(Ev::Text(Piece::CData(cdata))),
                Event::GeneralRef(reference) => {
                    return Ok(Ev::Text(Piece::Resolved(self.resolve_ref(&reference)?)));
                }
                Event::DocType(_) => {
                    return Err(
                        self.malformed("a document type declaration (DOCTYPE) is not allowed")
                    );
                }
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
                Event::Eof => {
                    if self.depth > 0 {
                        return Err(self.malformed("unexpected end of document inside an element"));
                    }
                    return Ok(Ev::Eof);
                }
            }
        }
    }

    fn start(
        &mut self,
        resolved: Resolved,
        start: BytesStart<'i>,
        empty: bool,
    ) -> Result<Ev<'i>, ParseError> {
        if self.depth == 0 {
            if self.root_seen {
                return Err(self.malformed("more than one root element"));
            }
            self.root_seen = true;
        }
        self.depth += 1;
        self.elements += 1;
        if self.depth > self.limits.max_depth {
            return Err(self.malformed(format!(
                "element nesting deeper than {}",
                self.limits.max_depth
            )));
        }
        if self.elements > self.limits.max_elements {
            return Err(self.malformed(format!("more than {} elements", self.limits.max_elements)));
        }
        let (ns, other_uri) = match resolved {
            Resolved::Known(ns) => (ns, None),
            Resolved::Other(uri) => (Ns::Other, Some(uri)),
            Resolved::UnknownPrefix(prefix) => {
                return Err(self.malformed(format!("namespace prefix `{prefix}` is not declared")));
            }
        };
        let elem = Elem {
            ns,
            start,
            other_uri,
        };
        self.check_attrs(&elem)?;
        self.pending_end = empty;
        Ok(Ev::Start(elem))
    }

    /// Well-formedness of every attribute, including those no parser asks
    /// for and those of skipped elements: syntax, duplicates, declared
    /// prefixes, entity references and characters.
    fn check_attrs(&self, elem: &Elem<'i>) -> Result<(), ParseError> {
        for attr in elem.start.attributes() {
            let attr = attr.map_err(|e| self.malformed(e))?;
            if let ResolveResult::Unknown(prefix) =
                self.reader.resolver().resolve_attribute(attr.key).0
            {
                return Err(self.malformed(format!("namespace prefix `{prefix}` is not declared")));
            }
            if attr.value.contains('&') {
                self.attr_value(elem, &attr)?;
            }
        }
        Ok(())
    }

    fn resolve_ref(&self, reference: &BytesRef<'_>) -> Result<Cow<'static, str>, ParseError> {
        match reference.resolve_char_ref() {
            Ok(Some(c)) => {
                if is_xml_char(c) {
                    Ok(Cow::Owned(c.to_string()))
                } else {
                    Err(self.malformed(format!(
                        "character reference &{}; is not an XML character",
                        &**reference
                    )))
                }
            }
            Ok(None) => match &**reference {
                "lt" => Ok(Cow::Borrowed("<")),
                "gt" => Ok(Cow::Borrowed(">")),
                "amp" => Ok(Cow::Borrowed("&")),
                "apos" => Ok(Cow::Borrowed("'")),
                "quot" => Ok(Cow::Borrowed("\"")),
                other => Err(self.malformed(format!("undefined entity &{other};"))),
            },
            Err(e) => Err(self.malformed(e)),
        }
    }

    /// Values of the requested attributes of `elem`, in the order of `keys`.
    /// Other attributes (xsi:schemaLocation, namespace declarations…) are
    /// ignored. Must be called before the next [`Cursor::next`].
    pub fn attrs<const N: usize>(
        &self,
        elem: &Elem<'i>,
        keys: [Key; N],
    ) -> Result<[Option<String>; N], ParseError> {
        let mut out: [Option<String>; N] = std::array::from_fn(|_| None);
        let mut attributes = elem.start.attributes();
        // Syntax and duplicates were checked when the element was read.
        attributes.with_checks(false);
        for attr in attributes {
            let attr = attr.map_err(|e| self.malformed(e))?;
            let (resolved, local) = self.reader.resolver().resolve_attribute(attr.key);
            let local = local.into_inner();
            let ns = match resolved {
                ResolveResult::Unbound => None,
                ResolveResult::Bound(Namespace(uri)) if uri == vocab::NS_XML => Some(Ns::Xml),
                ResolveResult::Bound(_) => continue,
                ResolveResult::Unknown(prefix) => {
                    return Err(
                        self.malformed(format!("namespace prefix `{prefix}` is not declared"))
                    );
                }
            };
            let slot = keys.iter().position(|k| match (k, ns) {
                (Key::Plain(name), None) => *name == local,
                (Key::Xml(name), Some(Ns::Xml)) => *name == local,
                _ => false,
            });
            if let Some(i) = slot {
                let value = self.attr_value(elem, &attr)?;
                if let Some(cell) = out.get_mut(i) {
                    *cell = Some(value);
                }
            }
        }
        Ok(out)
    }

    fn attr_value(&self, elem: &Elem<'_>, attr: &Attribute<'_>) -> Result<String, ParseError> {
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| self.malformed(e))?;
        if let Cow::Owned(v) = &value
            && let Some(c) = v.chars().find(|c| !is_xml_char(*c))
        {
            return Err(self.malformed(format!(
                "attribute {} of {} contains the non-XML character U+{:04X}",
                attr.key.0,
                elem.display(),
                u32::from(c)
            )));
        }
        if value.len() > self.limits.max_value_len {
            return Err(self.malformed(format!(
                "attribute {} of {} is longer than {} bytes",
                attr.key.0,
                elem.display(),
                self.limits.max_value_len
            )));
        }
        Ok(value.into_owned())
    }

    /// The next child element of the element named `parent`, or `None` at
    /// its end. Text other than whitespace is refused: ebRIM elements have
    /// element-only content.
    pub fn child(&mut self, parent: &dyn fmt::Display) -> Result<Option<Elem<'i>>, ParseError> {
        loop {
            match self.next()? {
                Ev::Start(elem) => return Ok(Some(elem)),
                Ev::End => return Ok(None),
                Ev::Text(piece) => {
                    if !piece.is_blank() {
                        return Err(ParseError::invalid(format!(
                            "{parent} must not contain text"
                        )));
                    }
                }
                Ev::Eof => {
                    return Err(self.malformed("unexpected end of document"));
                }
            }
        }
    }

    /// Skip the rest of an element whose start was just read.
    pub fn skip(&mut self) -> Result<(), ParseError> {
        let mut open = 1usize;
        loop {
            match self.next()? {
                Ev::Start(_) => open += 1,
                Ev::End => {
                    open -= 1;
                    if open == 0 {
                        return Ok(());
                    }
                }
                Ev::Text(_) => {}
                Ev::Eof => return Err(self.malformed("unexpected end of document")),
            }
        }
    }

    /// Require that the element whose start was just read has no children
    /// (whitespace allowed).
    pub fn empty(&mut self, elem: &dyn fmt::Display) -> Result<(), ParseError> {
        match self.child(elem)? {
            None => Ok(()),
            Some(child) => Err(ParseError::invalid(format!(
                "{elem} must not contain element {}",
                child.display()
            ))),
        }
    }

    /// The text content of an element whose start was just read (text-only
    /// content, at most `max_value_len` bytes).
    pub fn text(&mut self, elem: &dyn fmt::Display) -> Result<String, ParseError> {
        let mut value: Option<Cow<'i, str>> = None;
        loop {
            match self.next()? {
                Ev::Text(piece) => {
                    match &mut value {
                        None => value = Some(piece.content()),
                        Some(v) => piece.push_to(v.to_mut()),
                    }
                    if value.as_ref().map_or(0, |v| v.len()) > self.limits.max_value_len {
                        return Err(self.malformed(format!(
                            "text of {elem} is longer than {} bytes",
                            self.limits.max_value_len
                        )));
                    }
                }
                Ev::End => return Ok(value.map(Cow::into_owned).unwrap_or_default()),
                Ev::Start(child) => {
                    return Err(ParseError::invalid(format!(
                        "{elem} must contain only text, found element {}",
                        child.display()
                    )));
                }
                Ev::Eof => return Err(self.malformed("unexpected end of document")),
            }
        }
    }
}

enum Resolved {
    Known(Ns),
    Other(String),
    UnknownPrefix(String),
}

fn classify(resolved: ResolveResult<'_>) -> Resolved {
    match resolved {
        ResolveResult::Unbound => Resolved::Known(Ns::None),
        ResolveResult::Bound(Namespace(uri)) => match Ns::classify(uri) {
            Ns::Other => Resolved::Other(uri.to_owned()),
            ns => Resolved::Known(ns),
        },
        ResolveResult::Unknown(prefix) => Resolved::UnknownPrefix(prefix),
    }
}

/// XML 1.0 `Char` production.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Refuse raw characters XML 1.0 forbids (C0 controls, U+FFFE, U+FFFF):
/// quick-xml does not check them and the writer could not reproduce them.
fn check_chars(xml: &[u8]) -> Result<(), ParseError> {
    // Whole chunks are tested branch-free (vectorizable); only a chunk that
    // may hold a bad byte is looked at byte by byte.
    const CHUNK: usize = 64;
    let suspicious = |b: u8| (b < 0x20) & (b != b'\t') & (b != b'\n') & (b != b'\r') | (b == 0xEF);
    for (n, chunk) in xml.chunks(CHUNK).enumerate() {
        if !chunk.iter().fold(false, |acc, &b| acc | suspicious(b)) {
            continue;
        }
        for (k, &b) in chunk.iter().enumerate() {
            let i = n * CHUNK + k;
            if b == 0xEF {
                if xml.get(i + 1) == Some(&0xBF) && matches!(xml.get(i + 2), Some(0xBE | 0xBF)) {
                    return Err(ParseError::malformed(format!(
                        "non-character U+FFFE/U+FFFF at byte {i} is not allowed in XML"
                    )));
                }
            } else if suspicious(b) {
                return Err(ParseError::malformed(format!(
                    "control character 0x{b:02X} at byte {i} is not allowed in XML"
                )));
            }
        }
    }
    Ok(())
}

/// Trim XML whitespace at both ends without reallocating when nothing changes
/// (anyURI attributes collapse whitespace per XML Schema).
pub(crate) fn trimmed(value: String) -> String {
    let t = value.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
    if t.len() == value.len() {
        value
    } else {
        t.to_owned()
    }
}
