//! InvokeModelWithBidirectionalStream: the input event stream (signed envelopes unwrapped) and
//! the emulator's echo model, which answers each input `chunk` as it arrives.
//!
//! # Wire format
//!
//! The request body is an `application/vnd.amazon.eventstream` stream. A client that signs
//! (the AWS SDKs) wraps each input message in an envelope message whose headers are
//! `:chunk-signature` (byte array, the SigV4 chain signature) and `:date` (timestamp) and
//! whose payload is the encoded input message; an envelope with an empty payload ends the
//! input. Unsigned input messages are accepted as they are unless SigV4 authentication is on
//! (then `auth::ChunkChain` checks every envelope's signature before it is unwrapped here).
//! The input message is an `event` with `:event-type: chunk` and a JSON payload
//! `{"bytes": "<base64>"}`.
//!
//! The response is `200` with an event stream of `chunk` events (payload
//! `{"bytes": "<base64>"}`), or exception events such as `validationException`.
//!
//! # The echo model
//!
//! For input chunk number `i` (from 0) whose bytes are a JSON document `v`, it answers:
//! 1. `{"index": i, "echo": v}` with `v`'s object keys sorted (answers never depend on key
//!    order);
//! 2. when `v` is an object with a string member `text`: the model's text answer to it, as
//!    `{"index": i, "delta": "..."}` chunks (as many as the stream-delta knob says) and then
//!    `{"index": i, "stopReason": "end_turn", "usage": {"inputTokens": n, "outputTokens": m}}`.
//!
//! When the input ends (end envelope or end of body) it sends
//! `{"end": {"inputChunks": n, "outputChunks": m}}` (`m` counts the chunks before it) and ends
//! the response. Chunk bytes that are not JSON, unknown event types and malformed messages
//! are answered by a `validationException` event, which ends the response.

use aws_smithy_eventstream::frame::read_message_from;
use aws_smithy_types::event_stream::{HeaderValue, Message};
use bytes::{Bytes, BytesMut};
use serde_json::{json, Value};

use crate::canonical::canonical;
use crate::errors::ApiError;
use crate::generate::{generate, Prompt};
use crate::model_id::{Family, ModelRef};

/// Event-stream messages larger than this are refused (the service's limit is far lower).
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// Smallest valid message: prelude (12) and message CRC (4).
const MIN_MESSAGE_BYTES: usize = 16;

/// The validation error of a model that doesn't serve this operation.
pub fn unsupported_model() -> ApiError {
    ApiError::validation(
        "The provided model doesn't support InvokeModelWithBidirectionalStream. Try again with a bidirectional streaming model such as amazon.nova-sonic-v1:0.",
    )
}

/// Whether `model` serves InvokeModelWithBidirectionalStream.
pub fn supports(model: &ModelRef) -> bool {
    model.family == Family::Sonic
}

/// Splits the request body into event-stream messages as bytes arrive.
#[derive(Debug, Default)]
pub struct InputDecoder {
    buf: BytesMut,
}

impl InputDecoder {
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Bytes received but not yet decoded (a partial message).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next complete message, `None` until one has fully arrived.
    pub fn next_message(&mut self) -> Result<Option<Message>, ApiError> {
        if self.buf.len() < 4 {
            return Ok(None);
        }
        let total = u32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]);
        let total = usize::try_from(total).unwrap_or(usize::MAX);
        if !(MIN_MESSAGE_BYTES..=MAX_MESSAGE_BYTES).contains(&total) {
            return Err(invalid_message(&format!(
                "a message length of {total} bytes"
            )));
        }
        if self.buf.len() < total {
            return Ok(None);
        }
        let frame = self.buf.split_to(total).freeze();
        read_message_from(frame)
            .map(Some)
            .map_err(|e| invalid_message(&e.to_string()))
    }
}

fn invalid_message(detail: &str) -> ApiError {
    ApiError::validation(format!(
        "The input stream is not a valid event stream: {detail}."
    ))
}

/// One input event, unwrapped from its signed envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputEvent {
    /// A `chunk` event's decoded bytes.
    Chunk(Bytes),
    /// The signed empty envelope that ends the input.
    End,
}

fn string_header<'a>(message: &'a Message, name: &str) -> Option<&'a str> {
    message
        .headers()
        .iter()
        .find(|h| h.name().as_str() == name)
        .and_then(|h| match h.value() {
            HeaderValue::String(s) => Some(s.as_str()),
            _ => None,
        })
}

fn has_header(message: &Message, name: &str) -> bool {
    message.headers().iter().any(|h| h.name().as_str() == name)
}

/// Unwraps a received message (a signed envelope or a bare input message) into an input event.
pub fn unwrap_input(message: &Message) -> Result<InputEvent, ApiError> {
    if has_header(message, ":chunk-signature") {
        if message.payload().is_empty() {
            return Ok(InputEvent::End);
        }
        let inner = read_message_from(message.payload().clone())
            .map_err(|e| invalid_message(&format!("inside a signed message: {e}")))?;
        if has_header(&inner, ":chunk-signature") {
            return Err(invalid_message("a signed message inside a signed message"));
        }
        return input_event(&inner);
    }
    input_event(message)
}

fn input_event(message: &Message) -> Result<InputEvent, ApiError> {
    match string_header(message, ":message-type") {
        Some("event") => {}
        Some("exception") | Some("error") => {
            return Err(ApiError::validation(
                "The client ended the input stream with an error.",
            ))
        }
        Some(other) => {
            return Err(invalid_message(&format!("unknown :message-type {other}")));
        }
        None => return Err(invalid_message("a message without :message-type")),
    }
    match string_header(message, ":event-type") {
        Some("chunk") => {}
        Some(other) => {
            return Err(ApiError::validation(format!(
                "Unknown input event type {other}; InvokeModelWithBidirectionalStream takes chunk events."
            )))
        }
        None => return Err(invalid_message("an event without :event-type")),
    }
    let payload: Value = serde_json::from_slice(message.payload()).map_err(|_| {
        ApiError::new(
            "SerializationException",
            "The chunk event's payload is not a JSON object.",
        )
    })?;
    let Value::Object(payload) = payload else {
        return Err(ApiError::new(
            "SerializationException",
            "The chunk event's payload is not a JSON object.",
        ));
    };
    match payload.get("bytes") {
        None | Some(Value::Null) => Ok(InputEvent::Chunk(Bytes::new())),
        Some(Value::String(encoded)) => aws_smithy_types::base64::decode(encoded)
            .map(|b| InputEvent::Chunk(Bytes::from(b)))
            .map_err(|_| {
                ApiError::new(
                    "SerializationException",
                    "The chunk event's bytes member is not valid base64.",
                )
            }),
        Some(_) => Err(ApiError::new(
            "SerializationException",
            "Unexpected value type for member 'bytes'.",
        )),
    }
}

/// The echo model's state for one stream.
#[derive(Debug, Clone)]
pub struct EchoSession {
    model: String,
    deltas: usize,
    inputs: u64,
    outputs: u64,
}

impl EchoSession {
    /// `deltas`: text deltas per text answer (0: about one per four tokens).
    pub fn new(model: &ModelRef, deltas: usize) -> Self {
        EchoSession {
            model: model.base.clone(),
            deltas,
            inputs: 0,
            outputs: 0,
        }
    }

    /// The output chunk payloads (JSON documents) answering one input chunk's bytes.
    pub fn chunk(&mut self, bytes: &[u8]) -> Result<Vec<Value>, ApiError> {
        let index = self.inputs;
        let value: Value = serde_json::from_slice(bytes).map_err(|_| {
            ApiError::validation(format!(
                "The bytes of input chunk {index} are not a JSON document."
            ))
        })?;
        self.inputs += 1;
        let mut out = vec![json!({"index": index, "echo": canonical(&value)})];
        if let Some(text) = value.get("text").and_then(Value::as_str) {
            let mut prompt = Prompt {
                model: self.model.clone(),
                last_user_text: text.to_string(),
                min_pieces: self.deltas,
                ..Prompt::default()
            };
            prompt.push_text(text);
            let answer = generate(&prompt);
            if let Some(t) = &answer.text {
                for piece in t.chunks(self.deltas) {
                    out.push(json!({"index": index, "delta": piece}));
                }
            }
            out.push(json!({
                "index": index,
                "stopReason": answer.stop_reason.as_str(),
                "usage": {"inputTokens": answer.input_tokens, "outputTokens": answer.output_tokens},
            }));
        }
        self.outputs += out.len() as u64;
        Ok(out)
    }

    /// The last output chunk payload, once the input has ended.
    pub fn finish(&mut self) -> Value {
        let end = json!({"end": {"inputChunks": self.inputs, "outputChunks": self.outputs}});
        self.outputs += 1;
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eventstream::message;
    use crate::model_id::{resolve, Resolution};
    use aws_smithy_eventstream::frame::write_message_to;
    use aws_smithy_types::event_stream::Header;

    fn sonic() -> ModelRef {
        match resolve("amazon.nova-sonic-v1:0") {
            Ok(Resolution::Model(m)) => m,
            other => panic!("{other:?}"),
        }
    }

    fn encode(message: &Message) -> Vec<u8> {
        let mut out = Vec::new();
        write_message_to(message, &mut out).expect("encodes");
        out
    }

    fn chunk_message(bytes: &[u8]) -> Message {
        let payload = format!(
            "{{\"bytes\":\"{}\"}}",
            aws_smithy_types::base64::encode(bytes)
        );
        message(
            payload.into_bytes(),
            &[
                (":message-type", "event"),
                (":event-type", "chunk"),
                (":content-type", "application/json"),
            ],
        )
    }

    fn envelope(inner: Option<&Message>) -> Message {
        let payload = inner.map(encode).unwrap_or_default();
        Message::new(payload)
            .add_header(Header::new(
                ":chunk-signature",
                HeaderValue::ByteArray(Bytes::from(vec![7u8; 32])),
            ))
            .add_header(Header::new(
                ":date",
                HeaderValue::Timestamp(aws_smithy_types::DateTime::from_secs(1_700_000_000)),
            ))
    }

    #[test]
    fn envelopes_are_unwrapped_byte_by_byte() {
        let mut wire = encode(&envelope(Some(&chunk_message(br#"{"a":1}"#))));
        wire.extend(encode(&chunk_message(b"[]")));
        wire.extend(encode(&envelope(None)));
        let mut decoder = InputDecoder::default();
        let mut events = Vec::new();
        for b in wire {
            decoder.push(&[b]);
            while let Some(m) = decoder.next_message().expect("valid") {
                events.push(unwrap_input(&m).expect("an input event"));
            }
        }
        assert_eq!(
            events,
            [
                InputEvent::Chunk(Bytes::from_static(br#"{"a":1}"#)),
                InputEvent::Chunk(Bytes::from_static(b"[]")),
                InputEvent::End
            ]
        );
        assert_eq!(decoder.buffered(), 0);
    }

    #[test]
    fn bad_input_is_a_validation_error() {
        let mut decoder = InputDecoder::default();
        decoder.push(b"GET / HTTP/1.1\r\n\r\n");
        assert!(decoder.next_message().is_err());
        let mut decoder = InputDecoder::default();
        let mut wire = encode(&chunk_message(b"{}"));
        let last = wire.len() - 1;
        wire[last] ^= 1;
        decoder.push(&wire);
        assert!(decoder.next_message().is_err(), "CRC mismatch");
        let other = message(
            &b"{}"[..],
            &[(":message-type", "event"), (":event-type", "audio")],
        );
        assert!(unwrap_input(&other).is_err());
        let nested = envelope(Some(&envelope(Some(&chunk_message(b"{}")))));
        assert!(unwrap_input(&nested).is_err());
        let garbage = Message::new(&b"nope"[..])
            .add_header(Header::new(":chunk-signature", HeaderValue::Bool(true)));
        assert!(unwrap_input(&garbage).is_err());
    }

    /// Every single-byte corruption and every truncation of a valid input stream is answered
    /// (events or an error), never a panic.
    #[test]
    fn mutated_input_never_panics() {
        let mut wire = encode(&envelope(Some(&chunk_message(br#"{"a":[1,{"b":2}]}"#))));
        wire.extend(encode(&chunk_message(br#"{"text":"hi there"}"#)));
        wire.extend(encode(&envelope(Some(&chunk_message(b"not json")))));
        wire.extend(encode(&envelope(None)));
        let run = |bytes: &[u8]| {
            let mut decoder = InputDecoder::default();
            let mut session = EchoSession::new(&sonic(), 0);
            decoder.push(bytes);
            let mut answers = 0usize;
            while let Ok(Some(m)) = decoder.next_message() {
                match unwrap_input(&m) {
                    Ok(InputEvent::Chunk(b)) => answers += session.chunk(&b).map_or(1, |v| v.len()),
                    Ok(InputEvent::End) => answers += usize::from(!session.finish().is_null()),
                    Err(_) => answers += 1,
                }
            }
            answers
        };
        assert!(run(&wire) > 3);
        for at in 0..wire.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut bad = wire.clone();
                bad[at] ^= flip;
                run(&bad);
            }
            run(&wire[..at]);
        }
    }

    #[test]
    fn echo_model_answers() {
        let mut session = EchoSession::new(&sonic(), 3);
        let out = session
            .chunk(br#"{"z":1,"a":[{"y":2,"b":3}]}"#)
            .expect("json");
        assert_eq!(
            serde_json::to_string(&out).unwrap_or_default(),
            r#"[{"index":0,"echo":{"a":[{"b":3,"y":2}],"z":1}}]"#
        );
        let out = session
            .chunk(br#"{"text":"Explain cloud computing."}"#)
            .expect("json");
        assert_eq!(out.len(), 1 + 3 + 1);
        assert_eq!(out[1]["index"], 1);
        assert!(out[1]["delta"].is_string());
        assert_eq!(out[4]["stopReason"], "end_turn");
        assert!(session.chunk(b"not json").is_err());
        assert_eq!(
            session.finish().to_string(),
            r#"{"end":{"inputChunks":2,"outputChunks":6}}"#
        );
    }
}
