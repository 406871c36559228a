//! A small owned XML tree: the toolkit emulation rewrites metadata (ids,
//! patient ids, namespaces), which roxmltree's read-only tree cannot do.

use super::NistError;
use std::collections::BTreeMap;
use std::fmt::Write;

pub const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// An element with its namespace URI (None = no namespace) and local name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub ns: Option<String>,
    pub name: String,
    pub attrs: Vec<Attr>,
    pub children: Vec<Node>,
}

/// An attribute; only `xml:lang`-style attributes carry a namespace here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    pub ns: Option<String>,
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Element(Element),
    Text(String),
}

/// Prefixes used when writing well-known namespaces, so the output reads
/// like the IHE samples.
const PREFIXES: &[(&str, &str)] = &[
    ("urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0", "lcm"),
    ("urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0", "rim"),
    ("urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0", "rs"),
    ("urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0", "query"),
    ("urn:ihe:iti:xds-b:2007", "xds"),
    ("http://www.w3.org/2004/08/xop/include", "xop"),
    ("http://www.w3.org/2003/05/soap-envelope", "soap"),
    ("http://www.w3.org/2005/08/addressing", "wsa"),
    ("urn:oasis:names:tc:ebxml-regrep:registry:xsd:2.1", "rs21"),
    ("urn:oasis:names:tc:ebxml-regrep:rim:xsd:2.1", "rim21"),
];

impl Element {
    pub fn new(ns: Option<&str>, name: &str) -> Element {
        Element {
            ns: ns.map(str::to_string),
            name: name.to_string(),
            attrs: Vec::new(),
            children: Vec::new(),
        }
    }

    /// Parses a whole document and returns its root element.
    pub fn parse(xml: &str) -> Result<Element, NistError> {
        let doc = roxmltree::Document::parse(xml.trim_start_matches('\u{feff}'))
            .map_err(|e| NistError::Xml(e.to_string()))?;
        Ok(Self::from_node(doc.root_element()))
    }

    /// Copies a roxmltree element (and its subtree).
    pub fn from_node(node: roxmltree::Node<'_, '_>) -> Element {
        let mut el = Element::new(node.tag_name().namespace(), node.tag_name().name());
        for a in node.attributes() {
            el.attrs.push(Attr {
                ns: a.namespace().map(str::to_string),
                name: a.name().to_string(),
                value: a.value().to_string(),
            });
        }
        for child in node.children() {
            if child.is_element() {
                el.children.push(Node::Element(Self::from_node(child)));
            } else if child.is_text()
                && let Some(t) = child.text()
            {
                el.children.push(Node::Text(t.to_string()));
            }
        }
        el
    }

    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.ns.as_deref() == Some(ns) && self.name == name
    }

    /// The value of a no-namespace attribute.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns.is_none() && a.name == name)
            .map(|a| a.value.as_str())
    }

    /// Sets (or adds) a no-namespace attribute.
    pub fn set_attr(&mut self, name: &str, value: &str) {
        match self
            .attrs
            .iter_mut()
            .find(|a| a.ns.is_none() && a.name == name)
        {
            Some(a) => a.value = value.to_string(),
            None => self.attrs.push(Attr {
                ns: None,
                name: name.to_string(),
                value: value.to_string(),
            }),
        }
    }

    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|c| match c {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    pub fn elements_mut(&mut self) -> impl Iterator<Item = &mut Element> {
        self.children.iter_mut().filter_map(|c| match c {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// First child element with this local name (any namespace).
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.elements().find(|e| e.name == name)
    }

    /// The concatenated text content of the subtree.
    pub fn text(&self) -> String {
        let mut s = String::new();
        self.collect_text(&mut s);
        s
    }

    fn collect_text(&self, out: &mut String) {
        for c in &self.children {
            match c {
                Node::Text(t) => out.push_str(t),
                Node::Element(e) => e.collect_text(out),
            }
        }
    }

    /// Every element of the subtree, this one first, in document order.
    pub fn descendants(&self) -> Vec<&Element> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            out.push(e);
            let kids: Vec<&Element> = e.elements().collect();
            stack.extend(kids.into_iter().rev());
        }
        out
    }

    /// Applies `f` to every element of the subtree (this one first).
    pub fn walk_mut(&mut self, f: &mut impl FnMut(&mut Element)) {
        f(self);
        for c in self.elements_mut() {
            c.walk_mut(f);
        }
    }

    /// Replaces text in every attribute value and text node of the subtree.
    pub fn replace_text(&mut self, from: &str, to: &str) {
        if from.is_empty() {
            return;
        }
        for a in &mut self.attrs {
            if a.value.contains(from) {
                a.value = a.value.replace(from, to);
            }
        }
        for c in &mut self.children {
            match c {
                Node::Text(t) => {
                    if t.contains(from) {
                        *t = t.replace(from, to);
                    }
                }
                Node::Element(e) => e.replace_text(from, to),
            }
        }
    }

    /// Serialises the subtree; every namespace is declared on this element.
    pub fn to_xml(&self) -> String {
        let mut prefixes: BTreeMap<String, String> = BTreeMap::new();
        let mut n = 0;
        self.collect_namespaces(&mut prefixes, &mut n);
        let mut out = String::new();
        self.write(&mut out, &prefixes, true);
        out
    }

    fn collect_namespaces(&self, map: &mut BTreeMap<String, String>, n: &mut usize) {
        let mut add = |uri: &str| {
            if uri == XML_NS || map.contains_key(uri) {
                return;
            }
            let prefix = PREFIXES
                .iter()
                .find(|(u, _)| *u == uri)
                .map(|(_, p)| (*p).to_string())
                .unwrap_or_else(|| {
                    *n += 1;
                    format!("ns{n}")
                });
            map.insert(uri.to_string(), prefix);
        };
        if let Some(ns) = &self.ns {
            add(ns);
        }
        for a in &self.attrs {
            if let Some(ns) = &a.ns {
                add(ns);
            }
        }
        for c in self.elements() {
            c.collect_namespaces(map, n);
        }
    }

    fn qname(ns: Option<&String>, name: &str, prefixes: &BTreeMap<String, String>) -> String {
        match ns {
            Some(uri) if uri == XML_NS => format!("xml:{name}"),
            Some(uri) => match prefixes.get(uri) {
                Some(p) => format!("{p}:{name}"),
                None => name.to_string(),
            },
            None => name.to_string(),
        }
    }

    fn write(&self, out: &mut String, prefixes: &BTreeMap<String, String>, root: bool) {
        let qn = Self::qname(self.ns.as_ref(), &self.name, prefixes);
        out.push('<');
        out.push_str(&qn);
        if root {
            for (uri, p) in prefixes {
                let _ = write!(out, " xmlns:{p}=\"{}\"", escape(uri));
            }
        }
        for a in &self.attrs {
            let _ = write!(
                out,
                " {}=\"{}\"",
                Self::qname(a.ns.as_ref(), &a.name, prefixes),
                escape(&a.value)
            );
        }
        if self.children.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        for c in &self.children {
            match c {
                Node::Text(t) => out.push_str(&escape(t)),
                Node::Element(e) => e.write(out, prefixes, false),
            }
        }
        let _ = write!(out, "</{qn}>");
    }
}

/// Escapes text for use in attribute values and character data.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn round_trips_namespaces_attributes_and_text() {
        let xml = r#"<a:Root xmlns:a="urn:x" xmlns:b="urn:y" k="v&amp;w"><b:Child xml:lang="en">t &lt; u</b:Child><Plain/></a:Root>"#;
        let e = Element::parse(xml).unwrap();
        let out = e.to_xml();
        let again = Element::parse(&out).unwrap();
        assert_eq!(e, again);
        assert!(out.contains(r#"xml:lang="en""#), "{out}");
        assert_eq!(e.attr("k"), Some("v&w"));
        assert_eq!(e.text(), "t < u");
    }

    #[test]
    fn well_known_namespaces_get_their_usual_prefix() {
        let e = Element::new(Some("urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"), "Slot");
        assert_eq!(
            e.to_xml(),
            r#"<rim:Slot xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"/>"#
        );
    }

    #[test]
    fn descendants_are_in_document_order() {
        let e = Element::parse("<a><b><c/></b><d/></a>").unwrap();
        let names: Vec<&str> = e.descendants().iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c", "d"]);
    }

    #[test]
    fn replace_text_reaches_attributes_and_text() {
        let mut e = Element::parse(r#"<a v="$x$"><b>'$x$'</b></a>"#).unwrap();
        e.replace_text("$x$", "1^^^&2&ISO");
        assert_eq!(e.attr("v"), Some("1^^^&2&ISO"));
        assert_eq!(e.text(), "'1^^^&2&ISO'");
    }
}
