//! HTTP Content-Type of SOAP requests: simple SOAP 1.2 or MTOM
//! (ITI TF-2 Appendix V; W3C SOAP 1.2 MTOM, XOP).

use crate::fault::SoapFault;

/// A parsed media type: lower-cased `type/subtype` and its parameters
/// (names lower-cased, values unquoted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaType {
    pub essence: String,
    pub params: Vec<(String, String)>,
}

/// Why a Content-Type value could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentTypeError {
    #[error("malformed Content-Type: {0}")]
    Malformed(String),
    #[error("parameter '{0}' appears more than once in Content-Type")]
    DuplicateParameter(String),
    #[error(
        "unsupported media type '{0}': SOAP 1.2 requires application/soap+xml or MTOM multipart/related"
    )]
    Unsupported(String),
    #[error("{0}")]
    Invalid(String),
}

impl From<ContentTypeError> for SoapFault {
    fn from(error: ContentTypeError) -> Self {
        SoapFault::sender(error.to_string())
    }
}

/// At most this many parameters are accepted: real clients send five.
const MAX_PARAMS: usize = 32;
/// RFC 2046 allows 70; a little slack for lenient senders.
pub(crate) const MAX_BOUNDARY_LEN: usize = 200;

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b)
}

impl MediaType {
    /// Parses `type/subtype *(; name=value)` (RFC 2045 §5.1); values may be
    /// tokens or quoted strings with backslash escapes.
    pub fn parse(value: &str) -> Result<Self, ContentTypeError> {
        let malformed = |what: &str| ContentTypeError::Malformed(what.to_owned());
        let (essence, mut rest) = value.split_once(';').unwrap_or((value, ""));
        let essence = essence.trim();
        let (kind, subtype) = essence
            .split_once('/')
            .ok_or_else(|| malformed("missing '/' in the media type"))?;
        if kind.is_empty()
            || subtype.is_empty()
            || !kind.bytes().chain(subtype.bytes()).all(is_token_byte)
        {
            return Err(malformed("invalid media type"));
        }

        let mut params: Vec<(String, String)> = Vec::new();
        loop {
            rest = rest.trim_start_matches([' ', '\t', ';']);
            if rest.is_empty() {
                break;
            }
            let (name, after_name) = rest
                .split_once('=')
                .ok_or_else(|| malformed("parameter without '='"))?;
            let name = name.trim().to_ascii_lowercase();
            if name.is_empty() || !name.bytes().all(is_token_byte) {
                return Err(malformed("invalid parameter name"));
            }
            let after_name = after_name.trim_start_matches([' ', '\t']);
            let (param_value, after_value) = if let Some(quoted) = after_name.strip_prefix('"') {
                parse_quoted(quoted).ok_or_else(|| malformed("unterminated quoted string"))?
            } else {
                let end = after_name.find(';').unwrap_or(after_name.len());
                let (raw, tail) = after_name.split_at(end);
                (raw.trim().to_owned(), tail)
            };
            let after_value = after_value.trim_start_matches([' ', '\t']);
            if !after_value.is_empty() && !after_value.starts_with(';') {
                return Err(malformed("text after a quoted parameter value"));
            }
            if params.iter().any(|(n, _)| *n == name) {
                return Err(ContentTypeError::DuplicateParameter(name));
            }
            if params.len() >= MAX_PARAMS {
                return Err(malformed("too many parameters"));
            }
            params.push((name, param_value));
            rest = after_value;
        }
        Ok(Self {
            essence: essence.to_ascii_lowercase(),
            params,
        })
    }

    /// A parameter by (case-insensitive) name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads a quoted-string body (after the opening quote); returns the
/// unescaped value and the text after the closing quote.
fn parse_quoted(input: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = input.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, input.get(i + 1..).unwrap_or(""))),
            '\\' => value.push(chars.next()?.1),
            '\r' | '\n' => return None,
            c => value.push(c),
        }
    }
    None
}

/// Simple SOAP: `application/soap+xml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoapContentType {
    /// The optional `action` parameter (must equal wsa:Action when present).
    pub action: Option<String>,
    pub charset: Option<String>,
}

/// MTOM: `multipart/related; type="application/xop+xml"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MtomContentType {
    pub boundary: String,
    /// Content-ID of the root part, without angle brackets.
    pub start: Option<String>,
    pub start_info: Option<String>,
    /// `action` parameter, or the one carried inside start-info.
    pub action: Option<String>,
}

/// How the request body is framed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContentType {
    Soap(SoapContentType),
    Mtom(MtomContentType),
}

impl ContentType {
    /// The SOAP action announced in the HTTP header, if any.
    pub fn action(&self) -> Option<&str> {
        match self {
            Self::Soap(soap) => soap.action.as_deref(),
            Self::Mtom(mtom) => mtom.action.as_deref(),
        }
    }

    pub fn is_mtom(&self) -> bool {
        matches!(self, Self::Mtom(_))
    }
}

/// Parses the HTTP Content-Type of a SOAP 1.2 request.
///
/// Accepts `application/soap+xml` (UTF-8 only) and MTOM `multipart/related`;
/// `text/xml` (SOAP 1.1) and anything else are refused with a Sender fault.
pub fn parse_content_type(value: &str) -> Result<ContentType, SoapFault> {
    let media = MediaType::parse(value)?;
    match media.essence.as_str() {
        "application/soap+xml" => {
            let charset = media.param("charset").map(str::to_owned);
            check_charset(charset.as_deref())?;
            Ok(ContentType::Soap(SoapContentType {
                action: non_empty(media.param("action")),
                charset,
            }))
        }
        "multipart/related" => Ok(ContentType::Mtom(parse_mtom(&media)?)),
        "text/xml" => Err(ContentTypeError::Unsupported(
            "text/xml (SOAP 1.1; this endpoint accepts SOAP 1.2 only)".to_owned(),
        )
        .into()),
        other => Err(ContentTypeError::Unsupported(other.to_owned()).into()),
    }
}

fn parse_mtom(media: &MediaType) -> Result<MtomContentType, ContentTypeError> {
    let invalid = |s: &str| ContentTypeError::Invalid(s.to_owned());
    let boundary = media
        .param("boundary")
        .ok_or_else(|| invalid("multipart/related without a boundary parameter"))?;
    if !is_valid_boundary(boundary) {
        return Err(invalid("invalid multipart boundary"));
    }
    if let Some(kind) = media.param("type")
        && !kind.trim().eq_ignore_ascii_case("application/xop+xml")
    {
        return Err(ContentTypeError::Invalid(format!(
            "multipart/related type is '{kind}'; MTOM requires type=\"application/xop+xml\""
        )));
    }
    let mut action = non_empty(media.param("action"));
    let start_info = media.param("start-info").map(str::to_owned);
    if let Some(info) = &start_info {
        let info = MediaType::parse(info)?;
        if info.essence != "application/soap+xml" {
            return Err(ContentTypeError::Invalid(format!(
                "start-info is '{}'; SOAP 1.2 MTOM requires application/soap+xml",
                info.essence
            )));
        }
        if action.is_none() {
            action = non_empty(info.param("action"));
        }
    }
    let start = media
        .param("start")
        .map(|s| strip_angle_brackets(s).to_owned())
        .filter(|s| !s.is_empty());
    Ok(MtomContentType {
        boundary: boundary.to_owned(),
        start,
        start_info,
        action,
    })
}

fn check_charset(charset: Option<&str>) -> Result<(), ContentTypeError> {
    match charset {
        None => Ok(()),
        Some(c) if c.eq_ignore_ascii_case("utf-8") || c.eq_ignore_ascii_case("utf8") => Ok(()),
        Some(c) => Err(ContentTypeError::Invalid(format!(
            "unsupported charset '{c}': SOAP messages must be UTF-8"
        ))),
    }
}

fn non_empty(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// `<id>` -> `id`; anything else is returned trimmed.
pub(crate) fn strip_angle_brackets(value: &str) -> &str {
    let value = value.trim();
    value
        .strip_prefix('<')
        .and_then(|v| v.strip_suffix('>'))
        .unwrap_or(value)
        .trim()
}

/// RFC 2046 §5.1.1 boundary characters (printable ASCII, no trailing space),
/// with the length limit relaxed a little.
pub(crate) fn is_valid_boundary(boundary: &str) -> bool {
    !boundary.is_empty()
        && boundary.len() <= MAX_BOUNDARY_LEN
        && !boundary.ends_with(' ')
        && boundary
            .bytes()
            .all(|b| b == b' ' || (b.is_ascii_graphic() && b != b'"'))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::FaultCode;

    #[test]
    fn axis2_mtom_header() {
        let value = r#"multipart/related; boundary=MIMEBoundaryurn_uuid_3D4B161591CD1DEC0C1286850962202; type="application/xop+xml"; start="<0.urn:uuid:3D4B161591CD1DEC0C1286850962203@apache.org>"; start-info="application/soap+xml"; action="urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b" "#;
        let ContentType::Mtom(mtom) = parse_content_type(value).unwrap() else {
            panic!("expected MTOM");
        };
        assert_eq!(
            mtom.boundary,
            "MIMEBoundaryurn_uuid_3D4B161591CD1DEC0C1286850962202"
        );
        assert_eq!(
            mtom.start.as_deref(),
            Some("0.urn:uuid:3D4B161591CD1DEC0C1286850962203@apache.org")
        );
        assert_eq!(mtom.start_info.as_deref(), Some("application/soap+xml"));
        assert_eq!(
            mtom.action.as_deref(),
            Some("urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b")
        );
    }

    #[test]
    fn cxf_style_action_inside_start_info() {
        let value = "Multipart/Related; type=\"application/xop+xml\"; boundary=\"uuid:1f0b-4; x\"; start=\"<root.message@cxf.apache.org>\"; start-info=\"application/soap+xml; action=\\\"urn:ihe:iti:2007:RetrieveDocumentSet\\\"\"";
        let ct = parse_content_type(value).unwrap();
        assert!(ct.is_mtom());
        assert_eq!(ct.action(), Some("urn:ihe:iti:2007:RetrieveDocumentSet"));
        let ContentType::Mtom(mtom) = ct else {
            panic!()
        };
        assert_eq!(mtom.boundary, "uuid:1f0b-4; x");
    }

    #[test]
    fn simple_soap() {
        let ct = parse_content_type(
            "application/soap+xml;charset=UTF-8;action=\"urn:ihe:iti:2007:RegistryStoredQuery\"",
        )
        .unwrap();
        assert_eq!(ct.action(), Some("urn:ihe:iti:2007:RegistryStoredQuery"));
        assert!(!ct.is_mtom());
        assert_eq!(
            parse_content_type("application/soap+xml").unwrap().action(),
            None
        );
    }

    #[test]
    fn refusals() {
        for bad in [
            "text/xml; charset=utf-8",
            "application/json",
            "multipart/related; type=\"application/xop+xml\"",
            "multipart/related; boundary=a; boundary=b",
            "multipart/related; boundary=\"unterminated",
            "multipart/related; boundary=x; type=\"application/soap+xml\"",
            "multipart/related; boundary=x; start-info=\"text/xml\"",
            "application/soap+xml; charset=ISO-8859-1",
            "noslash",
            "",
        ] {
            let fault = parse_content_type(bad).unwrap_err();
            assert_eq!(fault.code, FaultCode::Sender, "{bad}");
        }
    }
}
