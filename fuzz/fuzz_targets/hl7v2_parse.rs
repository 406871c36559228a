//! HL7 v2 parse + PIX feed/query/ack extraction + reply building on
//! arbitrary bytes: never a panic; encode → parse gives the same message.
#![no_main]

use hl7::pix_v2::{self, AckCode, PatientFeed, PixQuery, QueryOutcome, ReplyMeta};
use hl7::v2::Message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(message) = Message::parse(data) else {
        return;
    };
    let meta = ReplyMeta {
        control_id: "1".into(),
        timestamp: "20260101".into(),
    };
    match PatientFeed::from_message(&message) {
        Ok(_) => {
            let _ = pix_v2::ack(&message, AckCode::AA, None, &meta).map(|m| m.encode());
        }
        Err(e) => {
            let _ = pix_v2::ack(&message, e.ack_code, Some(&e.detail), &meta).map(|m| m.encode());
        }
    }
    let outcome = match PixQuery::from_message(&message) {
        Ok(q) => QueryOutcome::Found(vec![q.person_id]),
        Err(e) => QueryOutcome::Failed(e),
    };
    let _ = pix_v2::rsp_k23(&message, &outcome, &meta).map(|m| m.encode());
    let _ = pix_v2::parse_ack(&message);
    // Whatever was read can be written back and reads the same.
    if let Ok(bytes) = message.encode() {
        let again = Message::parse(&bytes).expect("re-parse of an encoded message");
        assert_eq!(again.to_er7(), message.to_er7());
        assert_eq!(again.charset(), message.charset());
    }
});
