//! The codec over a real byte stream (an in-memory duplex pipe, chunked
//! writes), as the hub's listener and the ITI-10 sender use it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::{SinkExt, StreamExt};
use hl7::mllp::{MllpCodec, MllpError};
use hl7::pix_v2::{self, AckCode, PatientFeed, ReplyMeta};
use hl7::v2::Message;
use tokio::io::AsyncWriteExt;
use tokio_util::codec::{Framed, FramedRead};

const A04: &[u8] = b"MSH|^~\\&|SRC|FAC|HUB|HUB|20260101||ADT^A04^ADT_A01|42|P|2.3.1\r\
PID|||123^^^&1.2.3&ISO||YAMADA^TARO||19700101|M\rPV1||O\r";

#[tokio::test]
async fn request_and_ack_over_a_stream() {
    let (client, server) = tokio::io::duplex(64);
    let server = tokio::spawn(async move {
        let mut framed = Framed::new(server, MllpCodec::new());
        let mut handled = 0;
        while let Some(frame) = framed.next().await {
            let request = Message::parse(&frame.unwrap()).unwrap();
            let feed = PatientFeed::from_message(&request).unwrap();
            let meta = ReplyMeta {
                control_id: format!("ACK-{}", feed.control_id),
                timestamp: "20260101000000".into(),
            };
            let ack = pix_v2::ack(&request, AckCode::AA, None, &meta).unwrap();
            framed.send(ack.encode().unwrap()).await.unwrap();
            handled += 1;
        }
        handled
    });
    let mut framed = Framed::new(client, MllpCodec::new());
    for _ in 0..3 {
        framed.send(A04).await.unwrap();
        let reply = framed.next().await.unwrap().unwrap();
        let ack = pix_v2::parse_ack(&Message::parse(&reply).unwrap()).unwrap();
        assert_eq!(ack.code, AckCode::AA);
        assert_eq!(ack.acknowledged_control_id, "42");
    }
    drop(framed);
    assert_eq!(server.await.unwrap(), 3);
}

#[tokio::test]
async fn peer_closing_mid_frame_is_reported() {
    let (mut client, server) = tokio::io::duplex(64);
    let reader = tokio::spawn(async move {
        let mut frames = FramedRead::new(server, MllpCodec::new());
        let mut results = Vec::new();
        while let Some(item) = frames.next().await {
            let failed = item.is_err();
            results.push(item.map(|b| b.len()));
            if failed {
                break;
            }
        }
        results
    });
    client
        .write_all(b"\x0bMSH|a\r\x1c\x0d\x0bMSH|^~\\&|trunc")
        .await
        .unwrap();
    drop(client);
    let results = reader.await.unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(*results[0].as_ref().unwrap(), 6);
    assert!(matches!(results[1], Err(MllpError::Truncated { .. })));
}

#[tokio::test]
async fn oversized_frame_stops_the_stream_early() {
    let (mut client, server) = tokio::io::duplex(4096);
    let reader = tokio::spawn(async move {
        let mut frames = FramedRead::new(server, MllpCodec::with_max_frame_len(1000));
        frames.next().await
    });
    client.write_all(b"\x0b").await.unwrap();
    let chunk = [b'A'; 512];
    let mut written = 0usize;
    // The reader fails after ~1000 bytes; later writes then fail or block.
    while written < 100_000 {
        match tokio::time::timeout(
            std::time::Duration::from_millis(200),
            client.write_all(&chunk),
        )
        .await
        {
            Ok(Ok(())) => written += chunk.len(),
            _ => break,
        }
    }
    let first = reader.await.unwrap();
    assert!(matches!(
        first,
        Some(Err(MllpError::FrameTooLarge { limit: 1000 }))
    ));
    assert!(written < 100_000, "the reader kept accepting bytes");
}
