//! HL7 for the PIX Manager (IHE ITI-8/9/10 over HL7 v2, ITI-44/45/46 over HL7 v3).
//!
//! Pure: no I/O except the `tokio_util` codec; no database, no hub.
//!
//! * [`mllp`]: [`mllp::MllpCodec`], MLLP framing with a frame size bound.
//! * [`v2`]: ER7 parsing/writing. [`v2::Message::parse`] reads MSH-18 from the
//!   raw header, decodes the bytes (UTF-8, ISO-2022-JP for `ISO IR87`/`ISO IR13`,
//!   ISO-8859-1, Shift_JIS), then splits with the message's own delimiters;
//!   [`v2::Message::encode`] writes back in the same charset.
//!   [`v2::MessageBuilder`] writes new messages.
//! * [`cx`]: [`cx::Cx`] / [`cx::Hd`] identifiers, [`cx::Xpn`], [`cx::Xad`],
//!   [`cx::Demographics`] (PID-5/7/8/11).
//! * [`pix_v2`]: [`pix_v2::PatientFeed::from_message`] (ITI-8),
//!   [`pix_v2::PixQuery::from_message`] (ITI-9), builders [`pix_v2::ack`],
//!   [`pix_v2::rsp_k23`], [`pix_v2::adt_a31`] (ITI-10) and [`pix_v2::parse_ack`].
//!   Errors ([`pix_v2::RequestError`]) carry the MSA-1 code and the ERR content.
//! * [`v3`]: [`v3::parse_feed`] (PRPA_IN201301/02/04UV02), [`v3::parse_query`]
//!   (PRPA_IN201309UV02), builders [`v3::mcci_ack`], [`v3::prpa_in201310`],
//!   [`v3::prpa_in201302_notification`] (body elements only).
//!
//! Typical ITI-8 flow in a listener:
//!
//! ```
//! use hl7::pix_v2::{self, AckCode, PatientFeed, ReplyMeta};
//! use hl7::v2::Message;
//!
//! let raw = b"MSH|^~\\&|SRC|FAC|HUB|HUB|20260101||ADT^A04^ADT_A01|42|P|2.3.1\r\
//! PID|||123^^^&1.2.3&ISO||YAMADA^TARO||19700101|M\rPV1||O\r";
//! let request = Message::parse(raw).unwrap();
//! let meta = ReplyMeta { control_id: "1".into(), timestamp: "20260101000000".into() };
//! let reply = match PatientFeed::from_message(&request) {
//!     Ok(feed) => {
//!         assert_eq!(feed.records[0].identifiers[0].authority_oid(), Some("1.2.3"));
//!         pix_v2::ack(&request, AckCode::AA, None, &meta)
//!     }
//!     Err(e) => pix_v2::ack(&request, e.ack_code, Some(&e.detail), &meta),
//! }
//! .unwrap();
//! let bytes = reply.encode().unwrap(); // same charset as the request
//! assert!(bytes.starts_with(b"MSH|^~\\&|HUB|HUB|SRC|FAC|"));
//! ```

pub mod cx;
pub mod mllp;
pub mod pix_v2;
pub mod v2;
pub mod v3;
