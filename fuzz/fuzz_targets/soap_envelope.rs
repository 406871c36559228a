//! read_envelope on arbitrary bytes: must never panic, whatever comes in.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = soap::XmlLimits {
        max_bytes: 1 << 20,
        ..soap::XmlLimits::default()
    };
    if let Err(fault) = soap::read_envelope(data, &limits) {
        // Fault serialisation must also cope with whatever the input echoed.
        let _ = fault.to_xml(None);
    }
});
