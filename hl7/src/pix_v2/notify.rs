//! ITI-10 PIX Update Notification: `ADT^A31^ADT_A05` (v2.5).

use crate::cx::{Cx, Demographics, Hd, Xad, Xpn};
use crate::v2::{Charset, Delimiters, FieldValue, Message, MessageBuilder, ParseError};

use super::ack::ReplyMeta;

/// What the PIX Manager tells a consumer about one patient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateNotification {
    /// MSH-3/4: the PIX Manager.
    pub sending_application: Hd,
    pub sending_facility: Hd,
    /// MSH-5/6: the consumer.
    pub receiving_application: Hd,
    pub receiving_facility: Hd,
    /// PID-3: the full list of linked ids in the domains the consumer wants.
    pub identifiers: Vec<Cx>,
    /// PID-5/7/8/11; when empty PID-5 is a single space (v2.5 requires it).
    pub demographics: Demographics,
    /// The consumer's character set and MSH-18 value (`~ISO IR87`…).
    pub charset: Charset,
    pub charset_field: String,
}

/// Builds the notification (MSH, EVN, PID, PV1 `||N`).
pub fn adt_a31(n: &UpdateNotification, meta: &ReplyMeta) -> Result<Message, ParseError> {
    let mut b = MessageBuilder::new(Delimiters::default(), n.charset, n.charset_field.clone());
    b.msh(vec![
        n.sending_application.to_field(),
        n.sending_facility.to_field(),
        n.receiving_application.to_field(),
        n.receiving_facility.to_field(),
        FieldValue::text(meta.timestamp.clone()),
        FieldValue::empty(),
        FieldValue::components(["ADT", "A31", "ADT_A05"]),
        FieldValue::text(meta.control_id.clone()),
        FieldValue::text("P"),
        FieldValue::text("2.5"),
    ]);
    b.segment(
        "EVN",
        vec![
            FieldValue::text("A31"),
            FieldValue::text(meta.timestamp.clone()),
        ],
    );
    let d = &n.demographics;
    let names = if d.names.is_empty() {
        FieldValue::text(" ")
    } else {
        FieldValue::from_repetitions(d.names.iter().map(Xpn::to_repetition).collect())
    };
    let addresses =
        FieldValue::from_repetitions(d.addresses.iter().map(Xad::to_repetition).collect());
    b.segment(
        "PID",
        vec![
            FieldValue::empty(),
            FieldValue::empty(),
            Cx::list_field(&n.identifiers),
            FieldValue::empty(),
            names,
            FieldValue::empty(),
            FieldValue::text(d.birth_date.clone()),
            FieldValue::text(d.sex.clone()),
            FieldValue::empty(),
            FieldValue::empty(),
            addresses,
        ],
    );
    b.segment("PV1", vec![FieldValue::empty(), FieldValue::text("N")]);
    b.finish()
}
