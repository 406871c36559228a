//! ITI-18/43/62/86 request bodies: arbitrary bytes must give a model or a
//! ParseError, never a panic; whatever parses must survive a write/parse
//! round trip unchanged.
#![no_main]

use ebrim::parse::{self, Limits};
use ebrim::write;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    if let Ok(request) = parse::adhoc_query_request(data, &limits) {
        let xml = write::adhoc_query_request(&request);
        let again = parse::adhoc_query_request(xml.as_bytes(), &limits);
        assert_eq!(again.as_ref(), Ok(&request), "{xml}");
    }
    if let Ok(request) = parse::retrieve_document_set_request(data, &limits) {
        let xml = write::retrieve_document_set_request(&request);
        let again = parse::retrieve_document_set_request(xml.as_bytes(), &limits);
        assert_eq!(again.as_ref(), Ok(&request), "{xml}");
    }
    if let Ok(request) = parse::remove_objects_request(data, &limits) {
        let xml = write::remove_objects_request(&request);
        let again = parse::remove_objects_request(xml.as_bytes(), &limits);
        assert_eq!(again.as_ref(), Ok(&request), "{xml}");
    }
    let _ = parse::remove_documents_request(data, &limits);
    let _ = parse::registry_response(data);
    let _ = parse::adhoc_query_response(data);
    let _ = parse::retrieve_document_set_response(data);
});
