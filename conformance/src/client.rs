//! A participant's view of the hub: SOAP 1.2 requests over mutual TLS.

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use std::path::Path;

/// A mutually authenticated HTTPS client for one facility.
#[derive(Clone)]
pub struct HubClient {
    http: reqwest::Client,
    base: String,
}

/// A SOAP response as received.
#[derive(Debug)]
pub struct SoapReply {
    pub status: u16,
    pub content_type: String,
    pub body: Bytes,
}

impl SoapReply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The SOAP envelope: the whole body, or the root part of an MTOM reply.
    pub fn envelope(&self) -> Result<Bytes> {
        Ok(self.parts()?.0)
    }

    /// For an MTOM reply: the root part and the attachments by Content-ID.
    pub fn parts(&self) -> Result<(Bytes, Vec<(String, Bytes)>)> {
        let ct = soap::parse_content_type(&self.content_type)
            .map_err(|f| anyhow::anyhow!("reply content type: {}", f.reason))?;
        match ct {
            soap::ContentType::Soap(_) => Ok((self.body.clone(), Vec::new())),
            soap::ContentType::Mtom(soap::MtomContentType {
                boundary, start, ..
            }) => {
                let mut reader =
                    soap::MultipartReader::new(&boundary, soap::MultipartLimits::default())?;
                reader.push(self.body.clone());
                reader.finish_input();
                let mut parts: Vec<(Option<String>, Vec<u8>)> = Vec::new();
                while let Some(ev) = reader.next_event()? {
                    match ev {
                        soap::MultipartEvent::PartStart(h) => {
                            parts.push((h.content_id, Vec::new()))
                        }
                        soap::MultipartEvent::Data(d) => {
                            if let Some(p) = parts.last_mut() {
                                p.1.extend_from_slice(&d);
                            }
                        }
                        soap::MultipartEvent::PartEnd => {}
                        soap::MultipartEvent::End => break,
                    }
                }
                let root_idx = match &start {
                    Some(s) => {
                        let s = s.trim_matches(|c| c == '<' || c == '>');
                        parts
                            .iter()
                            .position(|p| p.0.as_deref() == Some(s))
                            .context("MTOM reply: no part matches start")?
                    }
                    None => 0,
                };
                let mut root = Bytes::new();
                let mut rest = Vec::new();
                for (i, (cid, data)) in parts.into_iter().enumerate() {
                    if i == root_idx {
                        root = Bytes::from(data);
                    } else {
                        rest.push((cid.unwrap_or_default(), Bytes::from(data)));
                    }
                }
                Ok((root, rest))
            }
        }
    }
}

impl HubClient {
    /// A client for the facility whose `key.pem`, `cert.pem`, `ca.pem` are in `dir`.
    pub fn from_dir(base: &str, dir: &Path) -> Result<Self> {
        let ca = std::fs::read(dir.join("ca.pem")).context("ca.pem")?;
        let mut identity = std::fs::read(dir.join("key.pem")).context("key.pem")?;
        identity.extend_from_slice(&std::fs::read(dir.join("cert.pem")).context("cert.pem")?);
        Self::new(base, &ca, Some(&identity))
    }

    /// `identity` = PEM private key followed by PEM certificate; None = no client certificate.
    pub fn new(base: &str, ca_pem: &[u8], identity_pem: Option<&[u8]>) -> Result<Self> {
        let mut builder = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(ca_pem)?])
            .https_only(true);
        if let Some(id) = identity_pem {
            builder = builder.identity(reqwest::Identity::from_pem(id)?);
        }
        Ok(Self {
            http: builder.build()?,
            base: base.trim_end_matches('/').to_string(),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// POSTs a simple SOAP 1.2 request.
    pub async fn soap(&self, path: &str, action: &str, body_xml: &str) -> Result<SoapReply> {
        self.post(
            path,
            format!("application/soap+xml; charset=UTF-8; action=\"{action}\""),
            envelope(action, body_xml).into_bytes(),
        )
        .await
    }

    /// POSTs an MTOM package: the envelope with `body_xml`, then the attachments.
    pub async fn mtom(
        &self,
        path: &str,
        action: &str,
        body_xml: &str,
        attachments: &[(String, String, Vec<u8>)],
    ) -> Result<SoapReply> {
        let (ct, body) = mtom_package(action, &envelope(action, body_xml), attachments);
        self.post(path, ct, body).await
    }

    pub async fn post(&self, path: &str, content_type: String, body: Vec<u8>) -> Result<SoapReply> {
        let request = self
            .http
            .post(format!("{}{}", self.base, path))
            .header("Content-Type", content_type)
            .body(body);
        Self::reply(request).await
    }

    /// GETs `path`: for plain web servers measured as references (nginx
    /// serving the same document bytes), not for the hub.
    pub async fn get(&self, path: &str) -> Result<SoapReply> {
        Self::reply(self.http.get(format!("{}{}", self.base, path))).await
    }

    async fn reply(request: reqwest::RequestBuilder) -> Result<SoapReply> {
        let resp = request.send().await?;
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = resp.bytes().await?;
        if content_type.is_empty() && !body.is_empty() {
            bail!("reply without Content-Type (HTTP {status})");
        }
        Ok(SoapReply {
            status,
            content_type,
            body,
        })
    }
}

/// A SOAP 1.2 request envelope with the WS-Addressing headers IHE requires.
pub fn envelope(action: &str, body_xml: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://www.w3.org/2005/08/addressing"><soap:Header><wsa:Action soap:mustUnderstand="1">{action}</wsa:Action><wsa:MessageID>urn:uuid:{id}</wsa:MessageID><wsa:ReplyTo><wsa:Address>http://www.w3.org/2005/08/addressing/anonymous</wsa:Address></wsa:ReplyTo></soap:Header><soap:Body>{body_xml}</soap:Body></soap:Envelope>"#,
        id = uuid::Uuid::new_v4()
    )
}

/// Builds an MTOM multipart/related package; attachments are (content-id, mime, bytes).
pub fn mtom_package(
    action: &str,
    envelope: &str,
    attachments: &[(String, String, Vec<u8>)],
) -> (String, Vec<u8>) {
    let boundary = format!("MIMEBoundary_{}", uuid::Uuid::new_v4().simple());
    let root = format!("root.{}@renkei.test", uuid::Uuid::new_v4().simple());
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Type: application/xop+xml; charset=UTF-8; type=\"application/soap+xml\"\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <{root}>\r\n\r\n{envelope}\r\n"
        )
        .as_bytes(),
    );
    for (cid, mime, bytes) in attachments {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Type: {mime}\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <{cid}>\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let ct = format!(
        "multipart/related; boundary=\"{boundary}\"; type=\"application/xop+xml\"; start=\"<{root}>\"; start-info=\"application/soap+xml\"; action=\"{action}\""
    );
    (ct, body)
}
