//! `application/vnd.amazon.eventstream` frames (encoded by aws-smithy-eventstream, the codec
//! the AWS SDKs decode with) and the response body that sends them over time.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};

use crate::errors::ApiError;
use crate::pacing::Schedule;

fn encode(message: &Message) -> Bytes {
    let mut out = Vec::with_capacity(message.payload().len() + 96);
    // Encoding only fails for oversized headers/payloads, which the emulator never builds.
    match write_message_to(message, &mut out) {
        Ok(()) => Bytes::from(out),
        Err(_) => Bytes::new(),
    }
}

/// A message with string-valued `headers` (`:event-type`, `:content-type`, ...), in order.
pub(crate) fn message(payload: impl Into<Bytes>, headers: &[(&str, &str)]) -> Message {
    headers
        .iter()
        .fold(Message::new(payload), |m, (name, value)| {
            let value = HeaderValue::String(value.to_string().into());
            m.add_header(Header::new(name.to_string(), value))
        })
}

/// An event frame: `:event-type` is the union member name (`contentBlockDelta`, `chunk`).
pub fn event_frame(event_type: &'static str, payload: Vec<u8>) -> Bytes {
    encode(&message(
        payload,
        &[
            (":event-type", event_type),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ],
    ))
}

/// An exception frame: `:exception-type` is the union member name (`throttlingException`).
pub fn exception_frame(error: &ApiError) -> Bytes {
    encode(&message(
        error.body(),
        &[
            (":exception-type", &error.stream_member_name()),
            (":content-type", "application/json"),
            (":message-type", "exception"),
        ],
    ))
}

/// Waits out `pause` (a pause before the next frame), if any: `Pending` until it has passed.
pub(crate) fn poll_pause(
    pause: &mut Option<Pin<Box<tokio::time::Sleep>>>,
    cx: &mut Context<'_>,
) -> Poll<()> {
    if let Some(sleep) = pause.as_mut() {
        if sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        *pause = None;
    }
    Poll::Ready(())
}

/// The first half of `frame`: a stream that ends there ends inside a frame.
pub fn truncated(frame: &Bytes) -> Bytes {
    frame.slice(..frame.len() / 2)
}

/// `frame` with its message CRC (the last four bytes) wrong.
pub fn corrupted(frame: &Bytes) -> Bytes {
    let mut bytes = frame.to_vec();
    if let Some(last) = bytes.last_mut() {
        *last ^= 0xff;
    }
    Bytes::from(bytes)
}

/// How long a faulted stream waits, after its last frame, before cutting or stalling.
pub(crate) const SETTLE: Duration = Duration::from_millis(20);

/// What happens once the frames run out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tail {
    /// End the response normally.
    Finish,
    /// Fail the body, which makes hyper drop the connection mid-response.
    Cut,
    /// Never finish, never write: the client sees a stalled stream.
    Stall,
}

/// The error a cut stream reports to hyper (which then aborts the connection).
#[derive(Debug)]
pub struct StreamCut;

impl std::fmt::Display for StreamCut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stream cut by fault injection")
    }
}

impl std::error::Error for StreamCut {}

/// A response body: either the whole answer at once, or event frames sent one by one with an
/// optional pause between them.
pub enum ResponseBody {
    Full(Option<Bytes>),
    Events {
        frames: std::collections::VecDeque<Bytes>,
        /// When each frame is due (None: all at once).
        schedule: Option<Schedule>,
        /// The pause before a cut or stall (see `settled`).
        pause: Option<Pin<Box<tokio::time::Sleep>>>,
        tail: Tail,
        /// Whether the pause that lets hyper flush the last frames before a cut or stall ran.
        settled: bool,
    },
    /// A bidirectional stream: answers produced as the request body arrives.
    Duplex(Box<crate::duplex::DuplexBody>),
    /// A body that holds a place in the concurrency count until it is sent or dropped.
    Counted {
        body: Box<ResponseBody>,
        _slot: InFlight,
    },
}

/// One request in flight; dropping it (with the response body) ends its count.
#[derive(Debug)]
pub struct InFlight(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl InFlight {
    /// Counts one more request in `counter`; returns it and the count including it.
    pub fn enter(counter: &std::sync::Arc<std::sync::atomic::AtomicUsize>) -> (InFlight, usize) {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::AcqRel) + 1;
        (InFlight(std::sync::Arc::clone(counter)), n)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

impl ResponseBody {
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        ResponseBody::Full(Some(bytes.into()))
    }

    /// Sends `frames` on `schedule` (as fast as hyper takes them without one).
    pub fn events(frames: Vec<Bytes>, schedule: Option<Schedule>, tail: Tail) -> Self {
        ResponseBody::Events {
            frames: frames.into(),
            schedule,
            pause: None,
            tail,
            settled: false,
        }
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = StreamCut;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, StreamCut>>> {
        match self.get_mut() {
            ResponseBody::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            ResponseBody::Duplex(body) => Pin::new(body.as_mut()).poll_frame(cx),
            ResponseBody::Counted { body, .. } => Pin::new(body.as_mut()).poll_frame(cx),
            ResponseBody::Events {
                frames,
                schedule,
                pause,
                tail,
                settled,
            } => {
                if poll_pause(pause, cx).is_pending() {
                    return Poll::Pending;
                }
                if let (Some(schedule), false) = (schedule.as_mut(), frames.is_empty()) {
                    if schedule.poll_next(cx).is_pending() {
                        return Poll::Pending;
                    }
                }
                match frames.pop_front() {
                    Some(frame) => Poll::Ready(Some(Ok(Frame::data(frame)))),
                    None if *tail != Tail::Finish && !*settled => {
                        // hyper writes frames out when the body is pending; without this pause
                        // a cut would drop frames that were produced but not yet sent.
                        *settled = true;
                        let mut sleep = Box::pin(tokio::time::sleep(SETTLE));
                        let _ = sleep.as_mut().poll(cx);
                        *pause = Some(sleep);
                        Poll::Pending
                    }
                    None => match tail {
                        Tail::Finish => Poll::Ready(None),
                        Tail::Cut => Poll::Ready(Some(Err(StreamCut))),
                        // Parked for good: the server's shutdown drops the connection task.
                        Tail::Stall => Poll::Pending,
                    },
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ResponseBody::Full(None) => true,
            ResponseBody::Counted { body, .. } => body.is_end_stream(),
            _ => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ResponseBody::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            ResponseBody::Full(None) => SizeHint::with_exact(0),
            ResponseBody::Counted { body, .. } => body.size_hint(),
            ResponseBody::Events { .. } | ResponseBody::Duplex(_) => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_eventstream::frame::read_message_from;

    #[test]
    fn frames_round_trip() {
        let frame = event_frame("chunk", br#"{"bytes":"e30="}"#.to_vec());
        let message = read_message_from(frame).expect("valid frame");
        assert_eq!(message.payload().as_ref(), br#"{"bytes":"e30="}"#);
        let names: Vec<_> = message
            .headers()
            .iter()
            .map(|h| h.name().as_str().to_string())
            .collect();
        assert_eq!(names, [":event-type", ":content-type", ":message-type"]);

        let err = ApiError::new("ThrottlingException", "slow down");
        let message = read_message_from(exception_frame(&err)).expect("valid frame");
        let value = message.headers()[0]
            .value()
            .as_string()
            .map(|s| s.as_str().to_string());
        assert_eq!(value.ok().as_deref(), Some("throttlingException"));
    }
}
