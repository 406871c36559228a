//! ITI-41/42/57 request bodies: arbitrary bytes must give a model or a
//! ParseError, never a panic; whatever parses must survive a write/parse
//! round trip unchanged.
#![no_main]

use ebrim::parse::{self, Limits};
use ebrim::write;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    if let Ok(request) = parse::submit_objects_request(data, &limits) {
        let xml = write::submit_objects_request(&request);
        let again = parse::submit_objects_request(xml.as_bytes(), &limits);
        assert_eq!(again.as_ref(), Ok(&request), "{xml}");
    }
    if let Ok(request) = parse::provide_and_register_request(data, &limits) {
        let xml = write::provide_and_register_request(&request);
        let again = parse::provide_and_register_request(xml.as_bytes(), &limits);
        assert_eq!(again.as_ref(), Ok(&request), "{xml}");
    }
});
