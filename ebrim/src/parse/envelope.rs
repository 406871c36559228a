//! Finding the body element, whether it is the document root or the single
//! child of a SOAP 1.2 `Envelope/Body`, and checking what follows it.

use std::fmt;

use super::Limits;
use super::ParseError;
use super::cursor::{Cursor, Elem, Ev, Ns};

/// Parse `xml` with `body`, which receives the body element just after its
/// start tag and must consume it up to its end tag.
///
/// When `body` finds the message invalid, the rest of the input is still
/// read so that a message that is also malformed further on is reported as
/// [`ParseError::Malformed`] (a SOAP Fault), as it must be.
pub(crate) fn parse<'i, T>(
    xml: &'i [u8],
    limits: &Limits,
    body: impl FnOnce(&mut Cursor<'i>, &Elem<'i>) -> Result<T, ParseError>,
) -> Result<T, ParseError> {
    let mut cur = Cursor::new(xml, limits)?;
    let result = open(&mut cur).and_then(|(elem, in_envelope)| {
        let value = body(&mut cur, &elem)?;
        finish(&mut cur, in_envelope)?;
        Ok(value)
    });
    match result {
        Err(invalid @ ParseError::Invalid { .. }) => Err(drain(&mut cur).err().unwrap_or(invalid)),
        other => other,
    }
}

/// Require the body element to be `ns:local`.
pub(crate) fn expect(elem: &Elem<'_>, ns: Ns, name: &str) -> Result<(), ParseError> {
    let local = name.rsplit(':').next().unwrap_or(name);
    if elem.is(ns, local) {
        Ok(())
    } else {
        Err(ParseError::invalid(format!(
            "expected {name} as the message body, found {}",
            elem.display()
        )))
    }
}

/// Read until the end of the input, reporting only well-formedness errors.
fn drain(cur: &mut Cursor<'_>) -> Result<(), ParseError> {
    loop {
        if let Ev::Eof = cur.next()? {
            return Ok(());
        }
    }
}

fn open<'i>(cur: &mut Cursor<'i>) -> Result<(Elem<'i>, bool), ParseError> {
    let root = loop {
        match cur.next()? {
            Ev::Start(elem) => break elem,
            Ev::Text(piece) if piece.is_blank() => {}
            Ev::Text(_) => return Err(ParseError::malformed("text before the root element")),
            Ev::End | Ev::Eof => return Err(ParseError::malformed("no root element")),
        }
    };
    if !root.is(Ns::Soap, "Envelope") {
        return Ok((root, false));
    }
    let mut seen_header = false;
    while let Some(child) = cur.child(&SoapName("Envelope"))? {
        match (child.ns, child.local()) {
            (Ns::Soap, "Header") if !seen_header => {
                seen_header = true;
                cur.skip()?;
            }
            (Ns::Soap, "Body") => {
                return match cur.child(&SoapName("Body"))? {
                    Some(elem) => Ok((elem, true)),
                    None => Err(ParseError::invalid("soap:Body contains no request element")),
                };
            }
            _ => {
                return Err(ParseError::malformed(format!(
                    "unexpected element {} in soap:Envelope",
                    child.display()
                )));
            }
        }
    }
    Err(ParseError::malformed("soap:Envelope has no soap:Body"))
}

fn finish(cur: &mut Cursor<'_>, in_envelope: bool) -> Result<(), ParseError> {
    if in_envelope {
        if let Some(extra) = cur.child(&SoapName("Body"))? {
            return Err(ParseError::invalid(format!(
                "soap:Body contains more than one element: unexpected {}",
                extra.display()
            )));
        }
        if let Some(extra) = cur.child(&SoapName("Envelope"))? {
            return Err(ParseError::malformed(format!(
                "unexpected element {} after soap:Body",
                extra.display()
            )));
        }
    }
    loop {
        match cur.next()? {
            Ev::Eof => return Ok(()),
            Ev::Text(piece) if piece.is_blank() => {}
            Ev::Text(_) => return Err(ParseError::malformed("text after the root element")),
            Ev::Start(_) | Ev::End => {
                return Err(ParseError::malformed("content after the root element"));
            }
        }
    }
}

struct SoapName(&'static str);

impl fmt::Display for SoapName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "soap:{}", self.0)
    }
}
