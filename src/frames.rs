//! A tap on event-stream response bodies: the bytes pass through to the SDK's
//! decoder unchanged, while each complete event message's `:event-type` and
//! JSON payload are queued, so every event can be converted with its own
//! frame as the wire reference (members the wire did not carry stay out, maps
//! and documents keep wire order), as non-streaming answers are with the body.
//!
//! The tap also checks each message as botocore's parser does, raising its
//! errors in its order: the prelude's checksum, then its limits (before any
//! of the message is buffered: a frame that claims more is refused at once
//! instead of being read into memory), then the message's checksum.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use crate::sync::LockUnpoisoned;
use aws_smithy_types::body::SdkBody;
use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame, SizeHint};

/// botocore's `_MAX_HEADERS_LENGTH` (128 KiB).
pub const MAX_HEADERS_LENGTH: usize = 128 * 1024;
/// botocore's `_MAX_PAYLOAD_LENGTH` (24 MiB).
pub const MAX_PAYLOAD_LENGTH: usize = 24 * 1024 * 1024;
/// Prelude (total length, headers length, prelude CRC) and message CRC.
const PRELUDE_LENGTH: usize = 12;
const FRAMING_LENGTH: usize = PRELUDE_LENGTH + 4;

/// One event message as it was on the wire.
#[derive(Debug, Clone)]
pub struct RawEvent {
    /// The `:event-type` header (the event's member name in the model).
    pub event_type: Bytes,
    /// The message payload (the member's JSON, for this service's events).
    pub payload: Bytes,
}

impl RawEvent {
    /// `{event_type: payload}` as JSON, the shape the union converters read;
    /// None when the payload is not JSON (the SDK's value is used alone).
    pub fn to_json(&self) -> Option<serde_json::Value> {
        let event_type = std::str::from_utf8(&self.event_type).ok()?;
        let payload: serde_json::Value = serde_json::from_slice(&self.payload).ok()?;
        let mut wrapper = serde_json::Map::with_capacity(1);
        wrapper.insert(event_type.to_owned(), payload);
        Some(serde_json::Value::Object(wrapper))
    }
}

/// A `:message-type error` message: the service's error in the middle of a
/// stream (the SDK's decoder does not know this message type; botocore
/// raises `EventStreamError` with its code and message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorFrame {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Default)]
struct Seen {
    events: VecDeque<RawEvent>,
    error: Option<ErrorFrame>,
}

/// Event messages seen by the tap and not yet claimed by the stream's reader.
#[derive(Debug, Clone, Default)]
pub struct FrameQueue(Arc<Mutex<Seen>>);

impl FrameQueue {
    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.0.lock_unpoisoned()
    }

    /// The oldest unclaimed event message.
    pub fn pop(&self) -> Option<RawEvent> {
        self.seen().events.pop_front()
    }

    /// The error message that ended the stream, if one did.
    pub fn error(&self) -> Option<ErrorFrame> {
        self.seen().error.clone()
    }

    /// Wraps `body` so its event messages are queued here.
    pub fn tap(&self, body: SdkBody) -> SdkBody {
        SdkBody::from_body_1_x(TapBody {
            inner: body,
            queue: self.clone(),
            pending: BytesMut::new(),
        })
    }
}

/// A message botocore's parser refuses (its exception names and messages).
#[derive(Debug, Clone)]
pub enum FrameError {
    InvalidHeadersLength(usize),
    InvalidPayloadLength(usize),
    /// The total length is smaller than the framing it must contain.
    InvalidMessageLength(usize),
    /// (expected, calculated), of the prelude or of the whole message.
    ChecksumMismatch(u32, u32),
}

impl FrameError {
    /// The arguments of botocore's exception class for this error.
    pub fn arguments(&self) -> Vec<u64> {
        match self {
            FrameError::InvalidHeadersLength(length) | FrameError::InvalidPayloadLength(length) => {
                vec![*length as u64]
            }
            FrameError::InvalidMessageLength(_) => vec![],
            FrameError::ChecksumMismatch(expected, calculated) => {
                vec![u64::from(*expected), u64::from(*calculated)]
            }
        }
    }

    /// The name of botocore's exception class for this error (botocore.eventstream).
    pub fn class_name(&self) -> &'static str {
        match self {
            FrameError::InvalidHeadersLength(_) => "InvalidHeadersLength",
            FrameError::InvalidPayloadLength(_) => "InvalidPayloadLength",
            FrameError::InvalidMessageLength(_) => "ParserError",
            FrameError::ChecksumMismatch(..) => "ChecksumMismatch",
        }
    }
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::InvalidHeadersLength(length) => write!(
                f,
                "Header length of {length} exceeded the maximum of {MAX_HEADERS_LENGTH}"
            ),
            FrameError::InvalidPayloadLength(length) => write!(
                f,
                "Payload length of {length} exceeded the maximum of {MAX_PAYLOAD_LENGTH}"
            ),
            FrameError::InvalidMessageLength(length) => write!(
                f,
                "Message length of {length} is shorter than its prelude, headers and checksum"
            ),
            FrameError::ChecksumMismatch(expected, calculated) => write!(
                f,
                "Checksum mismatch: expected 0x{expected:08x}, calculated 0x{calculated:08x}"
            ),
        }
    }
}

impl std::error::Error for FrameError {}

struct TapBody {
    inner: SdkBody,
    queue: FrameQueue,
    /// The start of a message that has not fully arrived yet.
    pending: BytesMut,
}

impl TapBody {
    /// Queues every message `chunk` completes; the bytes themselves go on to
    /// the SDK untouched. Messages within one chunk are sliced, not copied.
    fn feed(&mut self, chunk: &Bytes) -> Result<(), FrameError> {
        let mut at = 0;
        if self.pending.is_empty() {
            while let Some(total) = message_length(&chunk[at..])? {
                if chunk.len() - at < total {
                    break;
                }
                self.record(chunk.slice(at..at + total))?;
                at += total;
            }
        }
        self.pending.extend_from_slice(&chunk[at..]);
        while let Some(total) = message_length(&self.pending)? {
            if self.pending.len() < total {
                break;
            }
            let message = self.pending.split_to(total).freeze();
            self.record(message)?;
        }
        Ok(())
    }

    fn record(&self, message: Bytes) -> Result<(), FrameError> {
        let body_end = message.len() - 4;
        let expected = read_u32(&message, body_end);
        let calculated = crc32fast::hash(&message[..body_end]);
        if expected != calculated {
            return Err(FrameError::ChecksumMismatch(expected, calculated));
        }
        match message_of(&message) {
            Some(Message::Event(event)) => self.queue.seen().events.push_back(event),
            Some(Message::Error(error)) => self.queue.seen().error = Some(error),
            None => {}
        }
        Ok(())
    }
}

/// The total length a message's prelude claims, once the prelude is there,
/// checked (its checksum, then botocore's limits).
fn message_length(buffer: &[u8]) -> Result<Option<usize>, FrameError> {
    if buffer.len() < PRELUDE_LENGTH {
        return Ok(None);
    }
    let expected = read_u32(buffer, 8);
    let calculated = crc32fast::hash(&buffer[..8]);
    if expected != calculated {
        return Err(FrameError::ChecksumMismatch(expected, calculated));
    }
    let total = read_u32(buffer, 0) as usize;
    let headers = read_u32(buffer, 4) as usize;
    if headers > MAX_HEADERS_LENGTH {
        return Err(FrameError::InvalidHeadersLength(headers));
    }
    let Some(payload) = total.checked_sub(headers + FRAMING_LENGTH) else {
        return Err(FrameError::InvalidMessageLength(total));
    };
    if payload > MAX_PAYLOAD_LENGTH {
        return Err(FrameError::InvalidPayloadLength(payload));
    }
    Ok(Some(total))
}

fn read_u32(buffer: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([buffer[at], buffer[at + 1], buffer[at + 2], buffer[at + 3]])
}

/// What the tap keeps of a message.
enum Message {
    Event(RawEvent),
    Error(ErrorFrame),
}

/// The event type and payload of a complete `:message-type event` message,
/// or the code and message of an error message; None for other messages
/// (exceptions) or headers that do not parse (the SDK's decoder reports those).
fn message_of(message: &Bytes) -> Option<Message> {
    let headers_end = PRELUDE_LENGTH + read_u32(message, 4) as usize;
    let payload_end = message.len().checked_sub(4)?;
    let mut at = PRELUDE_LENGTH;
    let (mut message_type, mut event_type) = (None, None);
    let (mut error_code, mut error_message) = (None, None);
    while at < headers_end {
        let name_length = usize::from(*message.get(at)?);
        let name = message.get(at + 1..at + 1 + name_length)?;
        at += 1 + name_length;
        let value_type = *message.get(at)?;
        at += 1;
        let value_length = match value_type {
            0 | 1 => 0,
            2 => 1,
            3 => 2,
            4 => 4,
            5 | 8 => 8,
            9 => 16,
            6 | 7 => {
                let length = message.get(at..at + 2)?;
                at += 2;
                usize::from(u16::from_be_bytes([length[0], length[1]]))
            }
            _ => return None,
        };
        let value = (at, at + value_length);
        message.get(value.0..value.1)?;
        at += value_length;
        match name {
            b":message-type" if value_type == 7 => message_type = Some(value),
            b":event-type" if value_type == 7 => event_type = Some(value),
            b":error-code" if value_type == 7 => error_code = Some(value),
            b":error-message" if value_type == 7 => error_message = Some(value),
            _ => {}
        }
    }
    let text = |(start, end): (usize, usize)| String::from_utf8_lossy(&message[start..end]);
    let (start, end) = message_type?;
    match &message[start..end] {
        b"event" if headers_end <= payload_end => {
            let (start, end) = event_type?;
            Some(Message::Event(RawEvent {
                event_type: message.slice(start..end),
                payload: message.slice(headers_end..payload_end),
            }))
        }
        b"error" => Some(Message::Error(ErrorFrame {
            code: error_code.map(text).unwrap_or_default().into_owned(),
            message: error_message.map(text).unwrap_or_default().into_owned(),
        })),
        _ => None,
    }
}

impl Body for TapBody {
    type Data = Bytes;
    type Error = aws_smithy_types::body::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled {
            if let Some(data) = frame.data_ref() {
                if let Err(error) = self.feed(&data.clone()) {
                    return Poll::Ready(Some(Err(error.into())));
                }
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        Body::size_hint(&self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An event message with string headers, as the service frames it.
    fn message(headers: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
        let mut encoded = Vec::new();
        for (name, value) in headers {
            encoded.push(name.len() as u8);
            encoded.extend_from_slice(name.as_bytes());
            encoded.push(7);
            encoded.extend_from_slice(&(value.len() as u16).to_be_bytes());
            encoded.extend_from_slice(value.as_bytes());
        }
        let total = FRAMING_LENGTH + encoded.len() + payload.len();
        let mut out = Vec::new();
        out.extend_from_slice(&(total as u32).to_be_bytes());
        out.extend_from_slice(&(encoded.len() as u32).to_be_bytes());
        let prelude_crc = crc32fast::hash(&out);
        out.extend_from_slice(&prelude_crc.to_be_bytes());
        out.extend_from_slice(&encoded);
        out.extend_from_slice(payload);
        let message_crc = crc32fast::hash(&out);
        out.extend_from_slice(&message_crc.to_be_bytes());
        out
    }

    /// A bare prelude claiming `total` bytes with `headers` bytes of headers.
    fn prelude(total: u32, headers: u32) -> Bytes {
        let mut out = Vec::new();
        out.extend_from_slice(&total.to_be_bytes());
        out.extend_from_slice(&headers.to_be_bytes());
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_be_bytes());
        Bytes::from(out)
    }

    fn event(kind: &str, payload: &str) -> Vec<u8> {
        message(
            &[
                (":event-type", kind),
                (":content-type", "application/json"),
                (":message-type", "event"),
            ],
            payload.as_bytes(),
        )
    }

    fn tap() -> TapBody {
        TapBody {
            inner: SdkBody::empty(),
            queue: FrameQueue::default(),
            pending: BytesMut::new(),
        }
    }

    fn drain(queue: &FrameQueue) -> Vec<(String, String)> {
        std::iter::from_fn(|| queue.pop())
            .map(|e| {
                let text = |b: &Bytes| String::from_utf8(b.to_vec()).unwrap();
                (text(&e.event_type), text(&e.payload))
            })
            .collect()
    }

    #[test]
    fn events_are_queued_whatever_the_chunking() {
        let mut wire = event("messageStart", r#"{"role":"assistant"}"#);
        wire.extend(message(
            &[(":message-type", "exception"), (":exception-type", "x")],
            b"{}",
        ));
        wire.extend(event("contentBlockDelta", r#"{"delta":{"text":"hi"}}"#));
        let expected = vec![
            (
                "messageStart".to_owned(),
                r#"{"role":"assistant"}"#.to_owned(),
            ),
            (
                "contentBlockDelta".to_owned(),
                r#"{"delta":{"text":"hi"}}"#.to_owned(),
            ),
        ];
        for chunk_size in [1, 5, 13, 64, wire.len()] {
            let mut body = tap();
            for chunk in wire.chunks(chunk_size) {
                body.feed(&Bytes::copy_from_slice(chunk)).unwrap();
            }
            assert_eq!(drain(&body.queue), expected, "chunks of {chunk_size}");
            assert!(body.pending.is_empty());
        }
    }

    #[test]
    fn error_messages_are_kept_for_the_reader() {
        let mut body = tap();
        let error = message(
            &[
                (":message-type", "error"),
                (":error-code", "InternalFailure"),
                (":error-message", "it broke"),
            ],
            b"",
        );
        body.feed(&Bytes::from(error)).unwrap();
        assert_eq!(
            body.queue.error(),
            Some(ErrorFrame {
                code: "InternalFailure".into(),
                message: "it broke".into()
            })
        );
        assert!(body.queue.pop().is_none());
    }

    #[test]
    fn oversized_preludes_are_refused_before_buffering() {
        let error = tap().feed(&prelude(2 << 30, 16)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Payload length of 2147483616 exceeded the maximum of 25165824"
        );
        assert_eq!(error.class_name(), "InvalidPayloadLength");
        let error = tap().feed(&prelude(1_000_000, 200_000)).unwrap_err();
        assert!(matches!(error, FrameError::InvalidHeadersLength(200_000)));
        assert!(matches!(
            tap().feed(&prelude(10, 0)).unwrap_err(),
            FrameError::InvalidMessageLength(10)
        ));
    }

    #[test]
    fn checksums_are_checked_as_botocore_checks_them() {
        // The prelude's checksum comes first, even before its limits.
        let mut bad_prelude = prelude(2 << 30, 16).to_vec();
        bad_prelude[11] ^= 1;
        let error = tap().feed(&Bytes::from(bad_prelude)).unwrap_err();
        assert_eq!(error.class_name(), "ChecksumMismatch");
        assert!(error
            .to_string()
            .starts_with("Checksum mismatch: expected 0x"));
        let mut bad_message = event("chunk", r#"{"bytes":"eA=="}"#);
        let last = bad_message.len() - 1;
        bad_message[last] ^= 1;
        let error = tap().feed(&Bytes::from(bad_message)).unwrap_err();
        assert!(matches!(error, FrameError::ChecksumMismatch(..)));
    }

    #[test]
    fn raw_events_become_the_union_shape() {
        let event = RawEvent {
            event_type: Bytes::from_static(b"metadata"),
            payload: Bytes::from_static(br#"{"usage":{"b":1,"a":2}}"#),
        };
        assert_eq!(
            event.to_json().unwrap().to_string(),
            r#"{"metadata":{"usage":{"b":1,"a":2}}}"#
        );
        let not_json = RawEvent {
            event_type: Bytes::from_static(b"chunk"),
            payload: Bytes::from_static(b"\x00"),
        };
        assert!(not_json.to_json().is_none());
    }
}
