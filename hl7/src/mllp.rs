//! MLLP framing (ITI TF-2 Appendix C.2): `0x0B` message `0x1C 0x0D`.
//!
//! [`MllpCodec`] is a `tokio_util` codec: `FramedRead`/`Framed` over a TCP or
//! TLS stream yields one message body (without the frame bytes) per frame.
//! The codec never buffers more than the configured maximum frame size plus
//! one read: a frame that grows past the limit is refused at once.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

/// Start block (VT).
pub const START_BLOCK: u8 = 0x0B;
/// End block (FS), followed by [`CARRIAGE_RETURN`].
pub const END_BLOCK: u8 = 0x1C;
/// Carriage return closing the frame.
pub const CARRIAGE_RETURN: u8 = 0x0D;
/// Default largest message accepted in one frame: 1 MiB.
pub const DEFAULT_MAX_FRAME_LEN: usize = 1024 * 1024;

/// Why a stream of MLLP frames cannot be read or written.
///
/// Every variant except [`MllpError::Io`] means the peer broke the framing;
/// the connection's byte stream cannot be resynchronised reliably, so a
/// listener should close it (after sending an AR for [`MllpError::FrameTooLarge`]
/// if it wants to be polite).
#[derive(Debug, thiserror::Error)]
pub enum MllpError {
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A byte other than whitespace arrived where a start block (0x0B) was expected.
    #[error("byte 0x{byte:02X} before the MLLP start block")]
    BytesBeforeStartBlock { byte: u8 },
    /// The frame is longer than the configured limit.
    #[error("MLLP frame longer than the limit of {limit} bytes")]
    FrameTooLarge { limit: usize },
    /// The end block 0x1C was not followed by a carriage return.
    #[error("MLLP end block not followed by a carriage return (got 0x{byte:02X})")]
    BadEndBlock { byte: u8 },
    /// The stream ended inside a frame.
    #[error("connection closed inside an MLLP frame ({buffered} bytes buffered)")]
    Truncated { buffered: usize },
    /// A message to send contains a framing byte (0x0B or 0x1C), which HL7 forbids.
    #[error("message contains the MLLP framing byte 0x{byte:02X}")]
    FramingByteInMessage { byte: u8 },
    /// A message to send is longer than the configured limit.
    #[error("message of {len} bytes exceeds the MLLP frame limit of {limit}")]
    MessageTooLarge { len: usize, limit: usize },
}

/// The MLLP codec; see the module docs.
#[derive(Debug, Clone)]
pub struct MllpCodec {
    max_frame_len: usize,
    /// Inside a frame: how many bytes after the start block were already
    /// scanned for the end block (avoids rescanning on every read).
    scanned: Option<usize>,
}

impl Default for MllpCodec {
    fn default() -> Self {
        Self::new()
    }
}

impl MllpCodec {
    /// A codec with [`DEFAULT_MAX_FRAME_LEN`].
    pub fn new() -> Self {
        Self::with_max_frame_len(DEFAULT_MAX_FRAME_LEN)
    }

    /// A codec refusing frames whose message is longer than `max_frame_len` bytes.
    pub fn with_max_frame_len(max_frame_len: usize) -> Self {
        Self {
            max_frame_len,
            scanned: None,
        }
    }

    /// The largest message accepted in one frame.
    pub fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }
}

impl Decoder for MllpCodec {
    type Item = Bytes;
    type Error = MllpError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, MllpError> {
        if self.scanned.is_none() {
            // Between frames: tolerate whitespace (some senders add CR LF).
            let skip = src
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t'))
                .count();
            src.advance(skip);
            match src.first() {
                None => return Ok(None),
                Some(&START_BLOCK) => {
                    src.advance(1);
                    self.scanned = Some(0);
                }
                Some(&byte) => return Err(MllpError::BytesBeforeStartBlock { byte }),
            }
        }
        let from = self.scanned.unwrap_or(0);
        let found = src
            .get(from..)
            .and_then(|rest| memchr::memchr(END_BLOCK, rest))
            .map(|i| from + i);
        match found {
            Some(end) => {
                if end > self.max_frame_len {
                    return Err(MllpError::FrameTooLarge {
                        limit: self.max_frame_len,
                    });
                }
                match src.get(end + 1) {
                    None => {
                        // The CR has not arrived yet.
                        self.scanned = Some(end);
                        Ok(None)
                    }
                    Some(&CARRIAGE_RETURN) => {
                        let message = src.split_to(end).freeze();
                        src.advance(2);
                        self.scanned = None;
                        Ok(Some(message))
                    }
                    Some(&byte) => Err(MllpError::BadEndBlock { byte }),
                }
            }
            None => {
                if src.len() > self.max_frame_len {
                    return Err(MllpError::FrameTooLarge {
                        limit: self.max_frame_len,
                    });
                }
                self.scanned = Some(src.len());
                // Room for the rest of a typical message, never past the limit.
                src.reserve(4096.min(self.max_frame_len.saturating_add(2) - src.len()));
                Ok(None)
            }
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, MllpError> {
        match self.decode(src)? {
            Some(frame) => Ok(Some(frame)),
            None => {
                let rest = src
                    .iter()
                    .filter(|b| !matches!(b, b'\r' | b'\n' | b' ' | b'\t'))
                    .count();
                if self.scanned.is_some() || rest > 0 {
                    Err(MllpError::Truncated {
                        buffered: src.len(),
                    })
                } else {
                    Ok(None)
                }
            }
        }
    }
}

impl Encoder<&[u8]> for MllpCodec {
    type Error = MllpError;

    fn encode(&mut self, message: &[u8], dst: &mut BytesMut) -> Result<(), MllpError> {
        if message.len() > self.max_frame_len {
            return Err(MllpError::MessageTooLarge {
                len: message.len(),
                limit: self.max_frame_len,
            });
        }
        if let Some(&byte) = message
            .iter()
            .find(|b| matches!(**b, START_BLOCK | END_BLOCK))
        {
            return Err(MllpError::FramingByteInMessage { byte });
        }
        dst.reserve(message.len() + 3);
        dst.put_u8(START_BLOCK);
        dst.put_slice(message);
        dst.put_u8(END_BLOCK);
        dst.put_u8(CARRIAGE_RETURN);
        Ok(())
    }
}

impl Encoder<Vec<u8>> for MllpCodec {
    type Error = MllpError;

    fn encode(&mut self, message: Vec<u8>, dst: &mut BytesMut) -> Result<(), MllpError> {
        self.encode(message.as_slice(), dst)
    }
}

impl Encoder<Bytes> for MllpCodec {
    type Error = MllpError;

    fn encode(&mut self, message: Bytes, dst: &mut BytesMut) -> Result<(), MllpError> {
        self.encode(message.as_ref(), dst)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn decode_all(codec: &mut MllpCodec, bytes: &[u8]) -> Result<Vec<Bytes>, MllpError> {
        let mut buf = BytesMut::from(bytes);
        let mut out = Vec::new();
        while let Some(frame) = codec.decode(&mut buf)? {
            out.push(frame);
        }
        if let Some(frame) = codec.decode_eof(&mut buf)? {
            out.push(frame);
        }
        Ok(out)
    }

    #[test]
    fn two_frames_with_whitespace_between() {
        let mut codec = MllpCodec::new();
        let frames = decode_all(&mut codec, b"\x0bMSH|a\r\x1c\x0d\r\n\x0bMSH|b\r\x1c\x0d").unwrap();
        assert_eq!(frames, vec![Bytes::from("MSH|a\r"), Bytes::from("MSH|b\r")]);
    }

    #[test]
    fn frame_split_across_reads_byte_by_byte() {
        let mut codec = MllpCodec::new();
        let wire = b"\x0bMSH|^~\\&|A\r\x1c\x0d";
        let mut buf = BytesMut::new();
        let mut got = None;
        for &b in wire {
            buf.put_u8(b);
            if let Some(frame) = codec.decode(&mut buf).unwrap() {
                got = Some(frame);
            }
        }
        assert_eq!(got.unwrap(), Bytes::from_static(b"MSH|^~\\&|A\r"));
        assert!(buf.is_empty());
    }

    #[test]
    fn bytes_before_start_block_are_refused() {
        let mut codec = MllpCodec::new();
        let err = decode_all(&mut codec, b"GET / HTTP/1.1\r\n").unwrap_err();
        assert!(matches!(
            err,
            MllpError::BytesBeforeStartBlock { byte: b'G' }
        ));
    }

    #[test]
    fn truncated_frame_at_eof_is_an_error() {
        let mut codec = MllpCodec::new();
        let err = decode_all(&mut codec, b"\x0bMSH|^~\\&|A\r").unwrap_err();
        assert!(matches!(err, MllpError::Truncated { .. }));
        let mut codec = MllpCodec::new();
        let err = decode_all(&mut codec, b"\x0bMSH|^~\\&|A\r\x1c").unwrap_err();
        assert!(matches!(err, MllpError::Truncated { .. }));
    }

    #[test]
    fn end_block_without_cr_is_refused() {
        let mut codec = MllpCodec::new();
        let err = decode_all(&mut codec, b"\x0bMSH\x1cX").unwrap_err();
        assert!(matches!(err, MllpError::BadEndBlock { byte: b'X' }));
    }

    #[test]
    fn ten_megabyte_segment_is_refused_without_buffering_it() {
        let mut codec = MllpCodec::new();
        let mut buf = BytesMut::new();
        buf.put_u8(START_BLOCK);
        buf.put_slice(b"MSH|^~\\&|");
        let chunk = vec![b'A'; 64 * 1024];
        let mut fed = 0usize;
        let err = loop {
            buf.put_slice(&chunk);
            fed += chunk.len();
            match codec.decode(&mut buf) {
                Ok(None) => assert!(fed < 10 * 1024 * 1024, "never refused"),
                Ok(Some(_)) => panic!("no frame expected"),
                Err(e) => break e,
            }
        };
        assert!(matches!(err, MllpError::FrameTooLarge { .. }));
        assert!(fed <= DEFAULT_MAX_FRAME_LEN + chunk.len());
    }

    #[test]
    fn limit_is_exact() {
        let mut codec = MllpCodec::with_max_frame_len(4);
        assert_eq!(
            decode_all(&mut codec, b"\x0babcd\x1c\x0d").unwrap(),
            vec![Bytes::from("abcd")]
        );
        let mut codec = MllpCodec::with_max_frame_len(4);
        assert!(matches!(
            decode_all(&mut codec, b"\x0babcde\x1c\x0d"),
            Err(MllpError::FrameTooLarge { limit: 4 })
        ));
    }

    #[test]
    fn encode_round_trips_and_refuses_framing_bytes() {
        let mut codec = MllpCodec::new();
        let mut buf = BytesMut::new();
        codec.encode(&b"MSH|x\r"[..], &mut buf).unwrap();
        assert_eq!(&buf[..], b"\x0bMSH|x\r\x1c\x0d");
        let frames = decode_all(&mut codec, &buf).unwrap();
        assert_eq!(frames, vec![Bytes::from("MSH|x\r")]);
        assert!(matches!(
            codec.encode(&b"a\x1cb"[..], &mut buf),
            Err(MllpError::FramingByteInMessage { byte: END_BLOCK })
        ));
    }
}
