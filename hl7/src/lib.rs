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
//! Choices worth knowing:
//!
//! * Every PID-3 / MRG-1 / QPD-3 identifier needs an id and an assigning
//!   authority (namespace and/or OID); one without is an AE (101) pointing
//!   at the component (`PID^1^3^n^4`), the whole message is refused rather
//!   than partly applied.
//! * Unsupported message types are AR 200, unsupported ADT/QBP events AR 201
//!   (HL7 table 0357 "unsupported event code").
//! * Replies copy MSH-3..6 (swapped), MSH-10 (into MSA-2), MSH-11 and the QPD
//!   segment verbatim from the request, so escapes and non-ASCII text survive.
//! * ISO-2022-JP output keeps half-width katakana as JIS X 0201 (`ESC ( I`),
//!   as SS-MIX2 senders write them.
//! * A message that fails [`v2::Message::parse`] can still be answered (AR)
//!   from [`v2::Message::parse_header`], with [`pix_v2::ErrDetail`]`::from(&error)`.
//! * v3 bodies are read into a small bounded element tree (quick-xml events
//!   checked by `soap::XmlGuard`: no DTD, bounded size/depth/attributes, plus
//!   element-count and text-length bounds) and the PIX data extracted from it.
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
