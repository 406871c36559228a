//! Sans-IO streaming reader for MIME multipart bodies (RFC 2046 §5.1).
//!
//! The caller pushes network chunks and pulls events. Part bodies are handed
//! out as they arrive; the reader only holds back the few bytes that could
//! be the start of a boundary, so a 1 GB document never sits in memory.

use bytes::{Buf, Bytes, BytesMut};
use memchr::memmem::Finder;

use super::headers::{HeaderCollector, PartHeaders};
use crate::content_type::is_valid_boundary;
use crate::fault::SoapFault;

/// Bounds on the parts of a multipart body that are buffered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MultipartLimits {
    /// Most parts in one package (root part included).
    pub max_parts: usize,
    /// Most header bytes of one part, line breaks included.
    pub max_header_bytes: usize,
    /// Longest single header line.
    pub max_header_line: usize,
    /// Most bytes of preamble skipped before the first boundary.
    pub max_preamble_bytes: usize,
}

impl Default for MultipartLimits {
    fn default() -> Self {
        Self {
            max_parts: 1000,
            max_header_bytes: 16 * 1024,
            max_header_line: 8 * 1024,
            max_preamble_bytes: 64 * 1024,
        }
    }
}

/// Why a multipart body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MtomError {
    #[error("invalid multipart boundary")]
    InvalidBoundary,
    #[error("more than {limit} bytes before the first boundary")]
    PreambleTooLarge { limit: usize },
    #[error("a part header line is longer than {limit} bytes")]
    HeaderLineTooLong { limit: usize },
    #[error("the headers of a part exceed {limit} bytes")]
    HeadersTooLarge { limit: usize },
    #[error("the package has more than {limit} parts")]
    TooManyParts { limit: usize },
    #[error("malformed part header: {0}")]
    MalformedHeader(String),
    #[error("the multipart body ends {0}")]
    Truncated(&'static str),
    #[error("input was pushed after finish_input")]
    InputAfterFinish,
}

impl From<MtomError> for SoapFault {
    fn from(error: MtomError) -> Self {
        SoapFault::sender(format!("malformed MTOM package: {error}"))
    }
}

/// What the reader found next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MultipartEvent {
    /// A part begins; its body follows as `Data` events.
    PartStart(PartHeaders),
    /// The next bytes of the current part's body (never empty).
    Data(Bytes),
    /// The current part's body is complete.
    PartEnd,
    /// The closing boundary was read; the epilogue is ignored.
    End,
}

/// Transport padding allowed after a boundary before its line break.
const MAX_PADDING: usize = 64;

/// What follows `--boundary`.
enum Tail {
    /// More bytes are needed to decide.
    Incomplete,
    /// `--`: the close delimiter.
    Close,
    /// Padding and a line break of this many bytes: a part follows.
    Open(usize),
    /// Not a boundary line after all (the boundary is a prefix of other text).
    NotDelimiter,
}

fn classify(after: &[u8]) -> Tail {
    match after {
        [] | [b'-'] => return Tail::Incomplete,
        [b'-', b'-', ..] => return Tail::Close,
        _ => {}
    }
    let padding = after
        .iter()
        .take(MAX_PADDING + 1)
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count();
    if padding > MAX_PADDING {
        return Tail::NotDelimiter;
    }
    match after.get(padding) {
        None => Tail::Incomplete,
        Some(b'\n') => Tail::Open(padding + 1),
        Some(b'\r') => match after.get(padding + 1) {
            None => Tail::Incomplete,
            Some(b'\n') => Tail::Open(padding + 2),
            Some(_) => Tail::NotDelimiter,
        },
        Some(_) => Tail::NotDelimiter,
    }
}

enum State {
    /// Before the first boundary; `at_start` while nothing was skipped, since
    /// the first boundary may open the body without a preceding line break.
    Preamble {
        at_start: bool,
    },
    Headers(HeaderCollector),
    /// In a part body; `fresh` until the first byte of it was handed out.
    Body {
        fresh: bool,
    },
    /// Close delimiter read, `End` not yet reported.
    Closing,
    Done,
}

enum Step {
    Emit(MultipartEvent),
    NeedInput,
    Again,
}

/// Streaming multipart/related reader (see the module documentation).
pub struct MultipartReader {
    /// `--boundary`
    dash_boundary: Vec<u8>,
    /// Finds `\n--boundary`; a CR before it is also part of the delimiter.
    delimiter: Finder<'static>,
    delimiter_len: usize,
    limits: MultipartLimits,
    buf: BytesMut,
    state: State,
    input_done: bool,
    parts: usize,
    preamble_bytes: usize,
    failed: Option<MtomError>,
}

impl std::fmt::Debug for MultipartReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MultipartReader")
            .field("buffered", &self.buf.len())
            .field("parts", &self.parts)
            .field("input_done", &self.input_done)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl MultipartReader {
    /// A reader for the body of a `multipart/related; boundary=...` message.
    pub fn new(boundary: &str, limits: MultipartLimits) -> Result<Self, MtomError> {
        if !is_valid_boundary(boundary) {
            return Err(MtomError::InvalidBoundary);
        }
        let dash_boundary = [b"--", boundary.as_bytes()].concat();
        let needle = [b"\n", dash_boundary.as_slice()].concat();
        Ok(Self {
            delimiter_len: needle.len(),
            delimiter: Finder::new(&needle).into_owned(),
            dash_boundary,
            limits,
            buf: BytesMut::new(),
            state: State::Preamble { at_start: true },
            input_done: false,
            parts: 0,
            preamble_bytes: 0,
            failed: None,
        })
    }

    /// Appends input. After the close delimiter further input (the
    /// epilogue) is dropped unread.
    pub fn push(&mut self, chunk: Bytes) {
        if self.input_done {
            self.failed.get_or_insert(MtomError::InputAfterFinish);
            return;
        }
        if self.failed.is_some() || matches!(self.state, State::Closing | State::Done) {
            return;
        }
        self.buf.extend_from_slice(&chunk);
    }

    /// Declares the end of input; from then on an incomplete body is an error.
    pub fn finish_input(&mut self) {
        self.input_done = true;
    }

    /// Bytes held in the reader's buffer (pushed but not yet handed out).
    pub fn buffered_len(&self) -> usize {
        self.buf.len()
    }

    /// The next event; `Ok(None)` when more input is needed (or after `End`).
    /// After an error every further call returns the same error.
    pub fn next_event(&mut self) -> Result<Option<MultipartEvent>, MtomError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        loop {
            let step = match self.step() {
                Ok(step) => step,
                Err(error) => {
                    self.buf = BytesMut::new();
                    self.failed = Some(error.clone());
                    return Err(error);
                }
            };
            match step {
                Step::Emit(event) => return Ok(Some(event)),
                Step::NeedInput => return Ok(None),
                Step::Again => {}
            }
        }
    }

    fn step(&mut self) -> Result<Step, MtomError> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Preamble { at_start } => self.preamble(at_start),
            State::Headers(collector) => self.headers(collector),
            State::Body { fresh } => self.body(fresh),
            State::Closing => Ok(Step::Emit(MultipartEvent::End)),
            State::Done => {
                self.buf.clear();
                Ok(Step::NeedInput)
            }
        }
    }

    /// Handles what follows a boundary found at `boundary_end` (the index
    /// just past `--boundary`). `None` means the boundary line was not one.
    fn after_boundary(
        &mut self,
        boundary_end: usize,
        waiting: State,
        truncated: &'static str,
    ) -> Result<Option<Step>, MtomError> {
        match classify(self.buf.get(boundary_end..).unwrap_or_default()) {
            Tail::Incomplete => {
                if self.input_done {
                    return Err(MtomError::Truncated(truncated));
                }
                self.state = waiting;
                Ok(Some(Step::NeedInput))
            }
            Tail::Close => {
                self.buf.clear();
                self.state = State::Closing;
                Ok(Some(Step::Again))
            }
            Tail::Open(line_break) => {
                self.buf.advance(boundary_end + line_break);
                self.state = State::Headers(HeaderCollector::default());
                Ok(Some(Step::Again))
            }
            Tail::NotDelimiter => Ok(None),
        }
    }

    fn preamble(&mut self, at_start: bool) -> Result<Step, MtomError> {
        const TRUNCATED: &str = "before the first boundary";
        if at_start {
            let dash_len = self.dash_boundary.len();
            if self.buf.len() < dash_len && self.dash_boundary.starts_with(&self.buf) {
                if self.input_done {
                    return Err(MtomError::Truncated(TRUNCATED));
                }
                self.state = State::Preamble { at_start: true };
                return Ok(Step::NeedInput);
            }
            if self.buf.starts_with(&self.dash_boundary)
                && let Some(step) =
                    self.after_boundary(dash_len, State::Preamble { at_start: true }, TRUNCATED)?
            {
                return Ok(step);
            }
        }
        match self.delimiter.find(&self.buf) {
            Some(at) => {
                self.skip_preamble(at)?;
                match self.after_boundary(
                    self.delimiter_len,
                    State::Preamble { at_start: false },
                    TRUNCATED,
                )? {
                    Some(step) => Ok(step),
                    None => {
                        self.skip_preamble(1)?;
                        self.state = State::Preamble { at_start: false };
                        Ok(Step::Again)
                    }
                }
            }
            None => {
                if self.input_done {
                    return Err(MtomError::Truncated(TRUNCATED));
                }
                // Keep what could be the start of `\n--boundary`.
                let keep = self.delimiter_len - 1;
                if self.buf.len() > keep {
                    self.skip_preamble(self.buf.len() - keep)?;
                }
                self.state = State::Preamble { at_start: false };
                Ok(Step::NeedInput)
            }
        }
    }

    fn skip_preamble(&mut self, count: usize) -> Result<(), MtomError> {
        self.preamble_bytes = self.preamble_bytes.saturating_add(count);
        if self.preamble_bytes > self.limits.max_preamble_bytes {
            return Err(MtomError::PreambleTooLarge {
                limit: self.limits.max_preamble_bytes,
            });
        }
        self.buf.advance(count);
        Ok(())
    }

    fn headers(&mut self, mut collector: HeaderCollector) -> Result<Step, MtomError> {
        let from = collector.scanned.min(self.buf.len());
        let found = memchr::memchr(b'\n', self.buf.get(from..).unwrap_or_default());
        let Some(offset) = found else {
            // Everything buffered is the current, incomplete line.
            if let Some(error) = self.header_overflow(collector.bytes, self.buf.len()) {
                return Err(error);
            }
            if self.input_done {
                return Err(MtomError::Truncated("inside part headers"));
            }
            collector.scanned = self.buf.len();
            self.state = State::Headers(collector);
            return Ok(Step::NeedInput);
        };
        let newline = from + offset;
        if let Some(error) = self.header_overflow(collector.bytes, newline) {
            return Err(error);
        }
        let line = self.buf.split_to(newline + 1);
        let content = line.get(..newline).unwrap_or_default();
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        if content.len() > self.limits.max_header_line {
            return Err(MtomError::HeaderLineTooLong {
                limit: self.limits.max_header_line,
            });
        }
        collector.scanned = 0;
        collector.bytes = collector.bytes.saturating_add(line.len());
        if collector.bytes > self.limits.max_header_bytes {
            return Err(MtomError::HeadersTooLarge {
                limit: self.limits.max_header_bytes,
            });
        }
        if !content.is_empty() {
            collector.push_line(content)?;
            self.state = State::Headers(collector);
            return Ok(Step::Again);
        }
        self.parts += 1;
        if self.parts > self.limits.max_parts {
            return Err(MtomError::TooManyParts {
                limit: self.limits.max_parts,
            });
        }
        let headers = collector.finish()?;
        self.state = State::Body { fresh: true };
        Ok(Step::Emit(MultipartEvent::PartStart(headers)))
    }

    /// Limit check for a header line of which `pending` bytes (before its
    /// LF) are known. When both limits are already exceeded it reports the
    /// one a byte-by-byte feed would have hit first, so the error does not
    /// depend on how the input was chunked.
    fn header_overflow(&self, bytes: usize, pending: usize) -> Option<MtomError> {
        // `pending` values at which each limit is certainly exceeded (+2:
        // the line's CR may be pending and does not count).
        let line_at = self.limits.max_header_line.saturating_add(2);
        let total_at = self
            .limits
            .max_header_bytes
            .saturating_sub(bytes)
            .saturating_add(1);
        let line = pending >= line_at;
        let total = pending >= total_at;
        if line && (!total || line_at <= total_at) {
            return Some(MtomError::HeaderLineTooLong {
                limit: self.limits.max_header_line,
            });
        }
        total.then_some(MtomError::HeadersTooLarge {
            limit: self.limits.max_header_bytes,
        })
    }

    fn body(&mut self, fresh: bool) -> Result<Step, MtomError> {
        const TRUNCATED: &str = "inside a part body (no closing boundary)";
        if fresh {
            // A part without body: the blank line that ended its headers
            // doubles as the line break before the next boundary.
            let dash_len = self.dash_boundary.len();
            if self.buf.len() < dash_len && self.dash_boundary.starts_with(&self.buf) {
                if self.input_done {
                    return Err(MtomError::Truncated(TRUNCATED));
                }
                self.state = State::Body { fresh: true };
                return Ok(Step::NeedInput);
            }
            if self.buf.starts_with(&self.dash_boundary)
                && let Some(step) =
                    self.after_boundary(dash_len, State::Body { fresh: true }, TRUNCATED)?
            {
                return Ok(self.part_end(step));
            }
        }
        match self.delimiter.find(&self.buf) {
            Some(at) => {
                let data_end = if at > 0 && self.buf.get(at - 1) == Some(&b'\r') {
                    at - 1
                } else {
                    at
                };
                if data_end > 0 {
                    return Ok(self.emit_data(data_end));
                }
                match self.after_boundary(
                    at + self.delimiter_len,
                    State::Body { fresh: false },
                    TRUNCATED,
                )? {
                    Some(step) => Ok(self.part_end(step)),
                    // Just text that looks like a boundary: it is content.
                    None => Ok(self.emit_data(at + 1)),
                }
            }
            None => {
                if self.input_done {
                    return Err(MtomError::Truncated(TRUNCATED));
                }
                // Hold back a possible `\r\n--boundary` prefix.
                let keep = self.delimiter_len;
                if self.buf.len() > keep {
                    return Ok(self.emit_data(self.buf.len() - keep));
                }
                self.state = State::Body { fresh: false };
                Ok(Step::NeedInput)
            }
        }
    }

    fn emit_data(&mut self, len: usize) -> Step {
        self.state = State::Body { fresh: false };
        Step::Emit(MultipartEvent::Data(self.buf.split_to(len).freeze()))
    }

    /// A boundary ended the part: report it (unless more input is needed).
    fn part_end(&self, step: Step) -> Step {
        match step {
            Step::Again => Step::Emit(MultipartEvent::PartEnd),
            other => other,
        }
    }
}
