//! The one place HTTP-level failures become responses. Business errors of an
//! XDS transaction are NOT handled here: they travel in a RegistryResponse
//! with HTTP 200. This covers what SOAP 1.2 answers with a Fault: malformed
//! envelopes, unsupported actions, oversize bodies, refused identities.

use actix_web::{HttpResponse, http::StatusCode};
use soap::{FaultCode, SoapFault};

#[derive(Debug)]
pub enum HttpFailure {
    Fault(SoapFault),
    TooLarge(u64),
    Forbidden(String),
}

impl HttpFailure {
    pub fn sender(reason: impl Into<String>) -> Self {
        HttpFailure::Fault(SoapFault::new(FaultCode::Sender, reason))
    }
    pub fn receiver(reason: impl Into<String>) -> Self {
        HttpFailure::Fault(SoapFault::new(FaultCode::Receiver, reason))
    }

    pub fn into_response(self, relates_to: Option<&str>) -> HttpResponse {
        match self {
            HttpFailure::Fault(f) => {
                // SOAP 1.2 HTTP binding: Sender faults are 400, the rest 500.
                let status = match f.code {
                    FaultCode::Sender | FaultCode::MustUnderstand | FaultCode::VersionMismatch => {
                        StatusCode::BAD_REQUEST
                    }
                    _ => StatusCode::INTERNAL_SERVER_ERROR,
                };
                HttpResponse::build(status)
                    .content_type("application/soap+xml; charset=utf-8")
                    .body(f.to_xml(relates_to))
            }
            HttpFailure::TooLarge(limit) => {
                let f = SoapFault::new(
                    FaultCode::Sender,
                    format!("the request is larger than this hub accepts ({limit} bytes)"),
                );
                HttpResponse::build(StatusCode::PAYLOAD_TOO_LARGE)
                    .content_type("application/soap+xml; charset=utf-8")
                    .body(f.to_xml(relates_to))
            }
            HttpFailure::Forbidden(reason) => {
                let f = SoapFault::new(FaultCode::Sender, reason);
                HttpResponse::build(StatusCode::FORBIDDEN)
                    .content_type("application/soap+xml; charset=utf-8")
                    .body(f.to_xml(relates_to))
            }
        }
    }
}
