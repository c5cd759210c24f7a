//! Scripted answers: responses a test queues (status, headers, and a body or event-stream
//! events), served verbatim to the next requests in arrival order instead of the operation's
//! own answer. They let a test send any response the service model allows (e.g. random valid
//! responses generated from the model) without the emulator knowing what they mean.
//!
//! A scripted answer is taken by the next request other than a control request or an
//! InvokeModelWithBidirectionalStream, after authentication and the concurrency quota (a
//! refused request leaves it queued); faults are not consulted for it.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::SystemTime;

use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue as EventHeaderValue, Message};
use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue, CONTENT_LENGTH, DATE};
use hyper::{Response, StatusCode};

use crate::eventstream::{ResponseBody, Tail};

/// One event-stream message of a scripted stream: its headers (string-valued, e.g.
/// `:message-type`, `:event-type`, `:content-type`) and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptedEvent {
    pub headers: Vec<(String, String)>,
    pub payload: Bytes,
}

/// What a scripted answer carries after its headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptedBody {
    /// A whole body, sent with its `Content-Length`.
    Full(Bytes),
    /// Event-stream messages, each encoded in the real framing (prelude, headers, CRCs) and
    /// sent as its own chunk.
    Events(Vec<ScriptedEvent>),
}

/// A response to send verbatim. The emulator adds `x-amzn-RequestId` and `Date` unless
/// `headers` has them; everything else (`Content-Type` included) comes from `headers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptedReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: ScriptedBody,
}

impl ScriptedReply {
    /// Checks what the HTTP layer would refuse: the status and header names and values.
    pub fn validate(&self) -> Result<(), String> {
        StatusCode::from_u16(self.status)
            .map_err(|_| format!("invalid HTTP status {}", self.status))?;
        for (name, value) in &self.headers {
            HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("invalid header name {name:?}"))?;
            HeaderValue::from_str(value)
                .map_err(|_| format!("invalid value for header {name:?}: {value:?}"))?;
        }
        Ok(())
    }

    pub(crate) fn into_response(self, request_id: &str) -> Response<ResponseBody> {
        let has = |wanted: &str| {
            self.headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case(wanted))
        };
        let mut builder = Response::builder()
            .status(StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
        if !has("x-amzn-requestid") {
            builder = builder.header("x-amzn-RequestId", request_id);
        }
        if !has("date") {
            builder = builder.header(DATE, httpdate::fmt_http_date(SystemTime::now()));
        }
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                builder = builder.header(name, value);
            }
        }
        let body = match self.body {
            ScriptedBody::Full(bytes) => {
                builder = builder.header(CONTENT_LENGTH, bytes.len());
                ResponseBody::full(bytes)
            }
            ScriptedBody::Events(events) => {
                ResponseBody::events(events.iter().map(encode).collect(), None, Tail::Finish)
            }
        };
        builder
            .body(body)
            .unwrap_or_else(|_| Response::new(ResponseBody::full(Bytes::new())))
    }
}

fn encode(event: &ScriptedEvent) -> Bytes {
    let mut message = Message::new(event.payload.clone());
    for (name, value) in &event.headers {
        message = message.add_header(Header::new(
            name.clone(),
            EventHeaderValue::String(value.clone().into()),
        ));
    }
    let mut out = Vec::with_capacity(event.payload.len() + 128);
    // Only oversized headers or payloads fail to encode; such an event is sent empty.
    match write_message_to(&message, &mut out) {
        Ok(()) => Bytes::from(out),
        Err(_) => Bytes::new(),
    }
}

/// The queue of scripted answers, first in first out.
#[derive(Debug, Default)]
pub(crate) struct ScriptedReplies(Mutex<VecDeque<ScriptedReply>>);

impl ScriptedReplies {
    pub fn push(&self, reply: ScriptedReply) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back(reply);
    }

    pub fn take(&self) -> Option<ScriptedReply> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).pop_front()
    }

    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn clear(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_eventstream::frame::read_message_from;

    #[test]
    fn events_are_framed_and_queue_is_fifo() {
        let queue = ScriptedReplies::default();
        let event = ScriptedEvent {
            headers: vec![(":event-type".into(), "chunk".into())],
            payload: Bytes::from_static(b"{}"),
        };
        let mut framed = encode(&event);
        let message = read_message_from(&mut framed).expect("decodes");
        assert_eq!(message.payload().as_ref(), b"{}");
        assert_eq!(message.headers()[0].name().as_str(), ":event-type");
        for status in [200, 500] {
            queue.push(ScriptedReply {
                status,
                headers: vec![],
                body: ScriptedBody::Full(Bytes::new()),
            });
        }
        assert_eq!(queue.len(), 2);
        assert_eq!(queue.take().map(|r| r.status), Some(200));
        queue.clear();
        assert!(queue.take().is_none());
        let bad = ScriptedReply {
            status: 42,
            headers: vec![],
            body: ScriptedBody::Full(Bytes::new()),
        };
        assert!(bad.validate().is_err());
    }
}
