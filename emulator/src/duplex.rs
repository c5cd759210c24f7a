//! The response body of InvokeModelWithBidirectionalStream. It reads the request body as it
//! arrives (over HTTP/1.1 chunked or h2c alike) and answers each input event before reading
//! the next one, so the answer to an event is on the wire before the client sends the next,
//! and a client that stops reading answers stops the input too (flow control, as with a real
//! service).

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use serde_json::Value;
use tokio::time::Sleep;

use crate::auth::ChunkChain;
use crate::errors::ApiError;
use crate::eventstream::{
    corrupted, exception_frame, poll_pause, truncated, StreamCut, Tail, SETTLE,
};
use crate::faults::StreamEnd;
use crate::ops::bidi::{unwrap_input, EchoSession, InputDecoder, InputEvent};
use crate::ops::invoke::chunk_frame;
use crate::recorder::RecordedRequest;
use crate::server::Shared;

/// How long the stream waits, after the end-of-input message, for the request body to end.
const GRACE: Duration = Duration::from_millis(500);

enum Phase {
    /// Reading input events.
    Reading,
    /// The end-of-input message arrived: the answers are flushed, then the request body's own
    /// end is awaited (briefly), so that an HTTP/1.1 connection stays reusable.
    Draining(Pin<Box<Sleep>>),
    /// No more input is read; once the queued frames are out the response ends as `Tail` says.
    Closed(Tail),
}

/// The request as recorded once its input ends (the body is the raw event stream received).
struct PendingRecord {
    shared: Arc<Shared>,
    request: RecordedRequest,
    body: BytesMut,
}

/// A bidirectional stream in progress.
pub struct DuplexBody {
    input: Option<Incoming>,
    decoder: InputDecoder,
    session: EchoSession,
    pending: VecDeque<Bytes>,
    phase: Phase,
    /// Frames sent so far.
    sent: usize,
    /// An injected stream fault: after this many frames, end as it says.
    fault: Option<(usize, StreamEnd)>,
    delay: Duration,
    pause: Option<Pin<Box<Sleep>>>,
    /// Whether the pause that lets hyper flush the last frames before a cut or stall ran.
    settled: bool,
    received: usize,
    max_bytes: usize,
    record: Option<PendingRecord>,
    /// With SigV4 authentication: the `:chunk-signature` chain every input envelope must follow.
    chain: Option<ChunkChain>,
}

impl DuplexBody {
    /// `request` is recorded (with the input received) when the input ends, if `shared`'s
    /// recorder keeps requests.
    pub(crate) fn new(
        input: Incoming,
        session: EchoSession,
        fault: Option<(usize, StreamEnd)>,
        delay: Duration,
        shared: &Arc<Shared>,
        request: RecordedRequest,
        chain: Option<ChunkChain>,
    ) -> Self {
        let record = shared.recorder.enabled().then(|| PendingRecord {
            shared: Arc::clone(shared),
            request,
            body: BytesMut::new(),
        });
        DuplexBody {
            input: Some(input),
            decoder: InputDecoder::default(),
            session,
            pending: VecDeque::new(),
            phase: Phase::Reading,
            sent: 0,
            fault,
            delay,
            pause: None,
            settled: false,
            received: 0,
            max_bytes: shared.max_body_bytes,
            record,
            chain,
        }
    }

    fn record_now(&mut self) {
        if let Some(mut pending) = self.record.take() {
            pending.request.body = pending.body.freeze();
            pending.shared.recorder.record(pending.request);
        }
    }

    /// Stops reading the request body.
    fn close_input(&mut self, tail: Tail) {
        self.input = None;
        self.record_now();
        self.phase = Phase::Closed(tail);
    }

    fn push_chunk(&mut self, payload: &Value) {
        self.pending.push_back(chunk_frame(payload));
    }

    /// Answers an error as an exception event and ends the stream (a stream fault still
    /// waiting for its event count no longer applies: the answer is over).
    fn fail(&mut self, error: &ApiError) {
        self.fault = None;
        self.pending.push_back(exception_frame(error));
        self.close_input(Tail::Finish);
    }

    fn apply_fault(&mut self) {
        let Some((_, end)) = self.fault.take() else {
            return;
        };
        let next = self.pending.pop_front().unwrap_or_else(|| {
            exception_frame(&ApiError::new(
                "ModelStreamErrorException",
                crate::errors::default_message("ModelStreamErrorException"),
            ))
        });
        self.pending.clear();
        match end {
            StreamEnd::Exception(e) => self.fail(&e),
            StreamEnd::Cut => self.close_input(Tail::Cut),
            StreamEnd::Stall => self.close_input(Tail::Stall),
            StreamEnd::Truncate => {
                self.pending.push_back(truncated(&next));
                self.close_input(Tail::Finish);
            }
            StreamEnd::CorruptCrc => {
                self.pending.push_back(corrupted(&next));
                self.close_input(Tail::Finish);
            }
        }
    }

    fn on_message(&mut self, message: &aws_smithy_types::event_stream::Message) {
        if let Some(chain) = self.chain.as_mut() {
            if let Err(e) = chain.verify(message) {
                self.fail(&e);
                return;
            }
        }
        match unwrap_input(message) {
            Ok(InputEvent::Chunk(bytes)) => match self.session.chunk(&bytes) {
                Ok(answers) => {
                    for payload in &answers {
                        self.push_chunk(payload);
                    }
                }
                Err(e) => self.fail(&e),
            },
            Ok(InputEvent::End) => {
                let end = self.session.finish();
                self.push_chunk(&end);
                self.record_now();
                self.phase = Phase::Draining(Box::pin(tokio::time::sleep(GRACE)));
            }
            Err(e) => self.fail(&e),
        }
    }

    /// The request body ended without the end-of-input message.
    fn end_of_input(&mut self) {
        if self.decoder.buffered() > 0 {
            self.fail(&ApiError::validation(
                "The input stream ended inside an event-stream message.",
            ));
        } else {
            let end = self.session.finish();
            self.push_chunk(&end);
            self.close_input(Tail::Finish);
        }
    }

    fn on_data(&mut self, data: &[u8]) {
        self.received = self.received.saturating_add(data.len());
        if self.received > self.max_bytes {
            let limit = self.max_bytes;
            self.fail(&ApiError::validation(format!(
                "The input stream exceeds the emulator's limit of {limit} bytes."
            )));
            return;
        }
        if let Some(record) = self.record.as_mut() {
            record.body.extend_from_slice(data);
        }
        self.decoder.push(data);
    }
}

impl Drop for DuplexBody {
    fn drop(&mut self) {
        // A client that went away mid-stream is recorded with what it sent.
        self.record_now();
    }
}

/// What to do after polling the request body while draining.
enum Drain {
    Wait,
    Again,
    Done,
}

impl Body for DuplexBody {
    type Data = Bytes;
    type Error = StreamCut;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, StreamCut>>> {
        let this = self.get_mut();
        loop {
            if poll_pause(&mut this.pause, cx).is_pending() {
                return Poll::Pending;
            }
            if this
                .fault
                .as_ref()
                .is_some_and(|(after, _)| this.sent >= *after)
            {
                this.apply_fault();
            }
            if let Some(frame) = this.pending.pop_front() {
                this.sent += 1;
                if !this.delay.is_zero() {
                    this.pause = Some(Box::pin(tokio::time::sleep(this.delay)));
                }
                return Poll::Ready(Some(Ok(Frame::data(frame))));
            }
            match &mut this.phase {
                Phase::Closed(tail) => {
                    let tail = *tail;
                    if this.fault.is_some() {
                        // The answer ended before the fault's event count: it applies now.
                        this.apply_fault();
                        continue;
                    }
                    match tail {
                        Tail::Finish => return Poll::Ready(None),
                        _ if !this.settled => {
                            // Let hyper write out the frames already produced (see
                            // `ResponseBody`), then cut or stall.
                            this.settled = true;
                            let mut sleep = Box::pin(tokio::time::sleep(SETTLE));
                            let _ = sleep.as_mut().poll(cx);
                            this.pause = Some(sleep);
                            return Poll::Pending;
                        }
                        Tail::Cut => return Poll::Ready(Some(Err(StreamCut))),
                        // Parked for good: the server's shutdown drops the connection task.
                        Tail::Stall => return Poll::Pending,
                    }
                }
                Phase::Draining(grace) => {
                    let step = match this.input.as_mut() {
                        None => Drain::Done,
                        Some(input) => match Pin::new(input).poll_frame(cx) {
                            // Whatever follows the end-of-input message is ignored.
                            Poll::Ready(Some(Ok(_))) => Drain::Again,
                            Poll::Ready(Some(Err(_)) | None) => Drain::Done,
                            Poll::Pending if grace.as_mut().poll(cx).is_ready() => Drain::Done,
                            Poll::Pending => Drain::Wait,
                        },
                    };
                    match step {
                        Drain::Wait => return Poll::Pending,
                        Drain::Again => continue,
                        Drain::Done => this.close_input(Tail::Finish),
                    }
                }
                Phase::Reading => {
                    // Buffered input first, one message at a time: the queue never holds
                    // more than the answer to one input event.
                    match this.decoder.next_message() {
                        Ok(Some(message)) => {
                            this.on_message(&message);
                            continue;
                        }
                        Ok(None) => {}
                        Err(e) => {
                            this.fail(&e);
                            continue;
                        }
                    }
                    let Some(input) = this.input.as_mut() else {
                        this.end_of_input();
                        continue;
                    };
                    match Pin::new(input).poll_frame(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(Some(Ok(frame))) => {
                            // Trailers carry nothing the emulator needs.
                            if let Ok(data) = frame.into_data() {
                                this.on_data(&data);
                            }
                        }
                        // The client reset its request: there is no one left to answer.
                        Poll::Ready(Some(Err(_))) => this.close_input(Tail::Finish),
                        Poll::Ready(None) => this.end_of_input(),
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        false
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}
