//! The value syntax of stored query parameters (ITI TF-2 3.18.4.1.2.3.5):
//! a `rim:Value` holds a quoted string `'…'` (a quote inside doubled:
//! `'O''Brien'`), a bare number (timestamps), or a parenthesised list of
//! those, `('a', 'b')`.

/// One decoded item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// A quoted string, unquoted.
    Text(String),
    /// A bare run of digits.
    Number(String),
}

/// Decodes one `rim:Value` into its items. Errors say what is wrong in
/// words a consumer can act on.
pub(crate) fn parse_value(raw: &str) -> Result<Vec<Value>, &'static str> {
    let mut p = Parser {
        chars: raw.trim().chars().peekable(),
    };
    if p.chars.peek().is_none() {
        return Err("empty value");
    }
    let items = if p.eat('(') {
        p.list()?
    } else {
        vec![p.item()?]
    };
    p.skip_whitespace();
    match p.chars.peek() {
        None => Ok(items),
        Some(_) => Err("unexpected text after the value"),
    }
}

struct Parser<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
}

impl Parser<'_> {
    fn eat(&mut self, c: char) -> bool {
        self.chars.next_if_eq(&c).is_some()
    }

    fn skip_whitespace(&mut self) {
        while self.chars.next_if(|c| c.is_whitespace()).is_some() {}
    }

    /// After `(`: items separated by commas up to `)`. `()` is empty.
    fn list(&mut self) -> Result<Vec<Value>, &'static str> {
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.eat(')') {
            return Ok(items);
        }
        loop {
            self.skip_whitespace();
            items.push(self.item()?);
            self.skip_whitespace();
            if self.eat(')') {
                return Ok(items);
            }
            if !self.eat(',') {
                return Err("expected ',' or ')' in a list");
            }
        }
    }

    fn item(&mut self) -> Result<Value, &'static str> {
        match self.chars.peek() {
            Some('\'') => {
                self.chars.next();
                self.quoted()
            }
            Some(c) if c.is_ascii_digit() => {
                let mut digits = String::new();
                while let Some(d) = self.chars.next_if(char::is_ascii_digit) {
                    digits.push(d);
                }
                Ok(Value::Number(digits))
            }
            Some(_) => {
                Err("text values must be in single quotes ('...'); only numbers may be bare")
            }
            None => Err("a value is missing"),
        }
    }

    /// After the opening quote: up to the closing one, `''` standing for `'`.
    fn quoted(&mut self) -> Result<Value, &'static str> {
        let mut text = String::new();
        loop {
            match self.chars.next() {
                None => return Err("unterminated quoted string"),
                Some('\'') if self.eat('\'') => text.push('\''),
                Some('\'') => return Ok(Value::Text(text)),
                Some(c) => text.push(c),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::Value::{Number, Text};
    use super::*;

    fn t(s: &str) -> Value {
        Text(s.to_owned())
    }

    #[test]
    fn quoted_strings_numbers_and_lists() {
        assert_eq!(parse_value("'a^^b'").unwrap(), [t("a^^b")]);
        assert_eq!(
            parse_value(" 200412 ").unwrap(),
            [Number("200412".to_owned())]
        );
        assert_eq!(parse_value("('a','b')").unwrap(), [t("a"), t("b")]);
        assert_eq!(parse_value("( 'a' ,\n 'b' )").unwrap(), [t("a"), t("b")]);
        assert_eq!(parse_value("('only')").unwrap(), [t("only")]);
        assert_eq!(parse_value("()").unwrap(), []);
        assert_eq!(
            parse_value("(2004, '2005')").unwrap(),
            [Number("2004".to_owned()), t("2005")]
        );
    }

    #[test]
    fn doubled_quotes_commas_and_parentheses_inside_strings() {
        assert_eq!(parse_value("'O''Brien'").unwrap(), [t("O'Brien")]);
        assert_eq!(
            parse_value("('O''Brien', 'x')").unwrap(),
            [t("O'Brien"), t("x")]
        );
        assert_eq!(parse_value("''''").unwrap(), [t("'")]);
        assert_eq!(parse_value("''").unwrap(), [t("")]);
        assert_eq!(parse_value("('a,b', 'c)')").unwrap(), [t("a,b"), t("c)")]);
        assert_eq!(parse_value("'%Smith%'").unwrap(), [t("%Smith%")]);
        assert_eq!(parse_value("'山田^太郎'").unwrap(), [t("山田^太郎")]);
    }

    #[test]
    fn malformed_values() {
        for bad in [
            "",
            "   ",
            "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved",
            "(urn:oasis:names:tc:ebxml-regrep:StatusType:Approved)",
            "c4d77e21d0dd487^^^&1.3.6.1.4.1.21367.2005.3.7&ISO",
            "'unterminated",
            "'O'Brien'",
            "('a' 'b')",
            "('a',)",
            "('a'",
            "'a' 'b'",
            "'a'x",
            "2004-01",
            "\"a\"",
            "(('a'))",
        ] {
            assert!(parse_value(bad).is_err(), "{bad:?} accepted");
        }
    }
}
