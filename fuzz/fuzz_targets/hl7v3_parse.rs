//! HL7 v3 PIX parsing (feed, query, ack) and reply building on arbitrary
//! bytes: never a panic.
#![no_main]

use hl7::v3::{self, Ii, V3AckCode, V3Limits, V3Message, V3QueryOutcome, V3ReplyMeta};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = V3Limits::default();
    let meta = V3ReplyMeta {
        message_id: Ii::root("1.2.3"),
        creation_time: "20260101".into(),
    };
    match v3::parse_message(data, &limits) {
        Ok(V3Message::Feed(feed)) => {
            let _ = v3::mcci_ack(&feed.header, V3AckCode::AA, Some("ok"), &meta);
        }
        Ok(V3Message::Query(query)) => {
            let ids = query.patient_identifiers.clone();
            let _ = v3::prpa_in201310(&query, &V3QueryOutcome::Found(ids), &meta);
        }
        Err(_) => {}
    }
    let _ = v3::parse_ack(data, &limits);
});
