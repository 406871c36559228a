//! A small bounded element tree read with quick-xml's `NsReader`.
//!
//! HL7 v3 PIX messages are a few kilobytes with a fixed shape; reading them
//! into a tree (elements of the HL7 namespace, their unprefixed attributes
//! and text) keeps the extraction code short. Every guarantee of the
//! `soap` crate's [`XmlGuard`] applies while reading: no DTD, only the five
//! predefined entities, bounded depth, size and attribute count; plus a
//! bound on the number of elements and on text length.

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use soap::{XmlGuard, resolve_reference};

use super::{V3Error, V3Limits};

pub(crate) const HL7_NS: &str = "urn:hl7-org:v3";

#[derive(Debug, Default)]
pub(crate) struct Node {
    /// Local name; elements outside the HL7 namespace are kept with
    /// `hl7 == false` so they are never mistaken for HL7 ones.
    pub name: String,
    pub hl7: bool,
    /// Unprefixed attributes (local name, normalized value).
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
    pub text: String,
}

impl Node {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first HL7 child with this local name.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.hl7 && c.name == name)
    }

    /// Every HL7 child with this local name.
    pub fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children
            .iter()
            .filter(move |c| c.hl7 && c.name == name)
    }

    /// Follows a path of child names.
    pub fn path(&self, names: &[&str]) -> Option<&Node> {
        names.iter().try_fold(self, |node, name| node.child(name))
    }

    /// Text content, trimmed.
    pub fn trimmed_text(&self) -> &str {
        self.text.trim()
    }
}

/// Reads a document into a tree of its root element.
pub(crate) fn read(xml: &[u8], limits: &V3Limits) -> Result<Node, V3Error> {
    let mut guard = XmlGuard::new(limits.xml);
    guard.check_size(xml.len())?;
    // quick-xml does not refuse raw control characters; XML 1.0 does, and
    // echoing one into a reply would make the reply ill-formed.
    if let Some(at) = xml
        .iter()
        .position(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
    {
        return Err(V3Error::Malformed(format!(
            "control character at byte {at} is not allowed in XML"
        )));
    }
    let mut reader = NsReader::from_reader(xml);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.expand_empty_elements = false;
    config.allow_unmatched_ends = false;
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    let mut elements = 0usize;
    loop {
        let position = reader.buffer_position();
        let (resolved, event) = reader
            .read_resolved_event()
            .map_err(|e| V3Error::Malformed(format!("{e} (after byte {position})")))?;
        guard.check_event(&event)?;
        let hl7 = match &resolved {
            ResolveResult::Bound(Namespace(uri)) => *uri == HL7_NS,
            ResolveResult::Unbound => false,
            ResolveResult::Unknown(p) => {
                return Err(V3Error::Malformed(format!(
                    "namespace prefix `{p}` is not declared"
                )));
            }
        };
        match event {
            Event::Start(start) => {
                elements += 1;
                if elements > limits.max_elements {
                    return Err(V3Error::Limit(format!(
                        "more than {} elements",
                        limits.max_elements
                    )));
                }
                if root.is_some() {
                    return Err(V3Error::Malformed("more than one root element".into()));
                }
                stack.push(node(&start, hl7)?);
            }
            Event::Empty(start) => {
                elements += 1;
                if elements > limits.max_elements {
                    return Err(V3Error::Limit(format!(
                        "more than {} elements",
                        limits.max_elements
                    )));
                }
                let n = node(&start, hl7)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(n),
                    None => {
                        if root.is_some() {
                            return Err(V3Error::Malformed("more than one root element".into()));
                        }
                        root = Some(n);
                    }
                }
            }
            Event::End(_) => {
                let Some(done) = stack.pop() else {
                    return Err(V3Error::Malformed("unbalanced end tag".into()));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::Text(text) => {
                let value = text.xml10_content();
                push_text(&mut stack, &value, limits)?;
            }
            Event::CData(cdata) => {
                let value = cdata.xml10_content();
                push_text(&mut stack, &value, limits)?;
            }
            Event::GeneralRef(reference) => {
                let c = resolve_reference(&reference)?;
                push_text(&mut stack, c.encode_utf8(&mut [0u8; 4]), limits)?;
            }
            Event::DocType(_) => return Err(V3Error::Limit("DTD not allowed".into())),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(V3Error::Malformed("document ends inside an element".into()));
    }
    root.ok_or_else(|| V3Error::Malformed("no root element".into()))
}

fn push_text(stack: &mut [Node], value: &str, limits: &V3Limits) -> Result<(), V3Error> {
    match stack.last_mut() {
        Some(node) => {
            if node.text.len() + value.len() > limits.max_text_len {
                return Err(V3Error::Limit(format!(
                    "text of <{}> longer than {} bytes",
                    node.name, limits.max_text_len
                )));
            }
            node.text.push_str(value);
            Ok(())
        }
        None if value.trim().is_empty() => Ok(()),
        None => Err(V3Error::Malformed("text outside the root element".into())),
    }
}

fn node(start: &BytesStart<'_>, hl7: bool) -> Result<Node, V3Error> {
    let name = start.local_name().into_inner().to_owned();
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| V3Error::Malformed(e.to_string()))?;
        // Prefixed attributes (xmlns:*, xsi:*) carry no PIX data.
        if attr.key.prefix().is_some() || attr.key.as_ref() == "xmlns" {
            continue;
        }
        let key = attr.key.as_ref().to_owned();
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| V3Error::Malformed(e.to_string()))?
            .into_owned();
        attrs.push((key, value));
    }
    Ok(Node {
        name,
        hl7,
        attrs,
        children: Vec::new(),
        text: String::new(),
    })
}
