//! Typed PIX messages over HL7 v2: the ITI-8 feed, the ITI-9 query and the
//! replies (ACK, RSP^K23), the ITI-10 update notification (ADT^A31), and the
//! acknowledgement the hub receives as ITI-10 sender.
//!
//! Parsing errors carry the HL7 table 0357 code, the ERR-2 location and the
//! MSA-1 code the reply must use ([`RequestError`]), so the listener only
//! has to call [`ack`] / [`rsp_k23`] with them.

mod ack;
mod error;
mod feed;
mod notify;
mod query;

pub use ack::{AckReply, ReplyMeta, ack, parse_ack};
pub use error::{AckCode, ErrDetail, ErrLocation, ErrorCode, FeedError, QueryError, RequestError};
pub use feed::{FeedRecord, FeedTrigger, PatientFeed};
pub use notify::{UpdateNotification, adt_a31};
pub use query::{PixQuery, QueryName, QueryOutcome, rsp_k23};
