//! Writing SOAP responses, simple or MTOM.

use actix_web::HttpResponse;
use soap::MtomWriter;

/// A SOAP 1.2 response carrying `body_xml`, as MTOM when the request was MTOM
/// (ITI-41 answers in the form it was asked).
pub fn soap_response(
    action: &str,
    relates_to: Option<&str>,
    body_xml: &str,
    mtom: bool,
) -> HttpResponse {
    let envelope = soap::envelope(action, relates_to, body_xml);
    if mtom {
        let w = MtomWriter::new();
        let mut body = Vec::new();
        body.extend_from_slice(&w.root_part(&envelope));
        body.extend_from_slice(&w.closing());
        HttpResponse::Ok()
            .content_type(w.content_type(action))
            .body(body)
    } else {
        HttpResponse::Ok()
            .content_type(format!(
                "application/soap+xml; charset=utf-8; action=\"{action}\""
            ))
            .body(envelope)
    }
}
