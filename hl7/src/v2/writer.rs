//! Writing ER7 messages with a given set of delimiters and charset.

use super::charset::Charset;
use super::parse::Message;
use super::{Delimiters, ParseError, ParseLimits, escape};

/// The value of one field to write: repetitions of components of
/// subcomponents, escaped on output. Trailing empty parts are dropped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldValue {
    repr: Repr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Repr {
    /// Written verbatim (already ER7 with the target delimiters).
    Raw(String),
    Structured(Vec<Vec<Vec<String>>>),
}

impl Default for Repr {
    fn default() -> Self {
        Repr::Structured(Vec::new())
    }
}

impl FieldValue {
    /// An empty field.
    pub fn empty() -> Self {
        Self::default()
    }

    /// A simple text field.
    pub fn text(value: impl Into<String>) -> Self {
        Self::from_repetitions(vec![vec![vec![value.into()]]])
    }

    /// One repetition made of simple components.
    pub fn components<I, S>(components: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::from_repetitions(vec![
            components.into_iter().map(|c| vec![c.into()]).collect(),
        ])
    }

    /// Full structure: repetitions → components → subcomponents.
    pub fn from_repetitions(repetitions: Vec<Vec<Vec<String>>>) -> Self {
        Self {
            repr: Repr::Structured(repetitions),
        }
    }

    /// Already encoded ER7 text, written as is (e.g. a field copied from a
    /// request that uses the same delimiters).
    pub fn raw(er7: impl Into<String>) -> Self {
        Self {
            repr: Repr::Raw(er7.into()),
        }
    }

    /// The field as ER7 text with the given delimiters.
    pub fn to_er7(&self, d: &Delimiters) -> String {
        let mut out = String::new();
        self.write(d, &mut out);
        out
    }

    fn write(&self, d: &Delimiters, out: &mut String) {
        let reps = match &self.repr {
            Repr::Raw(s) => {
                out.push_str(s);
                return;
            }
            Repr::Structured(reps) => reps,
        };
        for (r, rep) in reps.iter().enumerate() {
            if r > 0 {
                out.push(d.repetition);
            }
            let comps = trim_end(rep, |c: &Vec<String>| c.iter().all(String::is_empty));
            for (c, comp) in comps.iter().enumerate() {
                if c > 0 {
                    out.push(d.component);
                }
                let subs = trim_end(comp, |s: &String| s.is_empty());
                for (s, sub) in subs.iter().enumerate() {
                    if s > 0 {
                        out.push(d.subcomponent);
                    }
                    out.push_str(&escape(sub, d));
                }
            }
        }
    }
}

fn trim_end<T>(items: &[T], empty: impl Fn(&T) -> bool) -> &[T] {
    let keep = items.iter().rposition(|i| !empty(i)).map_or(0, |p| p + 1);
    items.get(..keep).unwrap_or(items)
}

/// Builds a message segment by segment.
#[derive(Debug, Clone)]
pub struct MessageBuilder {
    delimiters: Delimiters,
    charset: Charset,
    charset_field: String,
    text: String,
}

impl MessageBuilder {
    /// `charset_field` is the MSH-18 value to declare (raw ER7, e.g. `~ISO IR87`);
    /// when empty, [`Charset::msh18_value`] is declared. [`MessageBuilder::msh`]
    /// writes it into MSH-18.
    pub fn new(delimiters: Delimiters, charset: Charset, charset_field: impl Into<String>) -> Self {
        let mut charset_field = charset_field.into();
        if charset_field.is_empty() {
            charset_field = charset
                .msh18_value()
                .replace('~', &delimiters.repetition.to_string());
        }
        Self {
            delimiters,
            charset,
            charset_field,
            text: String::new(),
        }
    }

    /// A builder writing replies to `request`: same delimiters, same charset.
    pub fn reply_to(request: &Message) -> Self {
        Self::new(
            *request.delimiters(),
            request.charset(),
            request.charset_field(),
        )
    }

    pub fn delimiters(&self) -> &Delimiters {
        &self.delimiters
    }

    /// Writes the MSH segment; `fields` are MSH-3, MSH-4, … (MSH-1/2 come
    /// from the delimiters). MSH-18 is filled from the builder's charset field
    /// when non-empty.
    pub fn msh(&mut self, fields: Vec<FieldValue>) -> &mut Self {
        let d = self.delimiters;
        let mut fields = fields;
        if !self.charset_field.is_empty() {
            // MSH-3 is index 0, so MSH-18 is index 15.
            if fields.len() < 16 {
                fields.resize(16, FieldValue::empty());
            }
            if let Some(slot) = fields.get_mut(15) {
                *slot = FieldValue::raw(self.charset_field.clone());
            }
        }
        self.text.push_str("MSH");
        self.text.push(d.field);
        self.text.push_str(&d.encoding_characters());
        let keep = self.text.len();
        for f in &fields {
            self.text.push(d.field);
            f.write(&d, &mut self.text);
        }
        self.trim_and_end(keep);
        self
    }

    /// Writes a segment; `fields` start at field 1.
    pub fn segment(&mut self, name: &str, fields: Vec<FieldValue>) -> &mut Self {
        let d = self.delimiters;
        self.text.push_str(name);
        let keep = self.text.len();
        for f in &fields {
            self.text.push(d.field);
            f.write(&d, &mut self.text);
        }
        self.trim_and_end(keep);
        self
    }

    /// Appends a segment verbatim (e.g. QPD echoed from the request).
    pub fn raw_segment(&mut self, er7: &str) -> &mut Self {
        self.text.push_str(er7);
        self.text.push('\r');
        self
    }

    /// Drops trailing empty fields (never past `keep`, the end of the
    /// segment name or of MSH-2) and ends the segment.
    fn trim_and_end(&mut self, keep: usize) {
        let sep = self.delimiters.field.len_utf8();
        while self.text.len() > keep && self.text.ends_with(self.delimiters.field) {
            self.text.truncate(self.text.len() - sep);
        }
        self.text.push('\r');
    }

    /// The finished message.
    pub fn finish(self) -> Result<Message, ParseError> {
        let limits = ParseLimits {
            max_bytes: usize::MAX,
            max_segments: usize::MAX,
            max_fields: usize::MAX,
        };
        Message::from_text(self.text, self.charset, self.charset_field, &limits)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn structured_values_are_escaped_and_trimmed() {
        let d = Delimiters::default();
        let mut out = String::new();
        FieldValue::from_repetitions(vec![
            vec![vec![String::new()]],
            vec![
                vec![String::new()],
                vec![String::new()],
                vec![String::new()],
                vec![String::new()],
                vec![String::new()],
                vec![String::new()],
                vec!["S".into()],
            ],
        ])
        .write(&d, &mut out);
        assert_eq!(out, "~^^^^^^S");
        let mut out = String::new();
        FieldValue::components(["a|b", "", ""]).write(&d, &mut out);
        assert_eq!(out, r"a\F\b");
    }

    #[test]
    fn builder_writes_and_reparses() {
        let mut b = MessageBuilder::new(Delimiters::default(), Charset::Utf8, "UNICODE UTF-8");
        b.msh(vec![
            FieldValue::text("HUB"),
            FieldValue::empty(),
            FieldValue::empty(),
            FieldValue::empty(),
            FieldValue::text("20260101"),
            FieldValue::empty(),
            FieldValue::components(["ACK", "A01", "ACK"]),
            FieldValue::text("1"),
            FieldValue::text("P"),
            FieldValue::text("2.5"),
        ]);
        b.segment("MSA", vec![FieldValue::text("AA"), FieldValue::text("X")]);
        let m = b.finish().unwrap();
        assert_eq!(
            m.to_er7(),
            "MSH|^~\\&|HUB||||20260101||ACK^A01^ACK|1|P|2.5||||||UNICODE UTF-8\rMSA|AA|X\r"
        );
        assert_eq!(m.control_id(), "1");
    }
}
