//! The SDK's event receivers behind a stream, the events they yield with their frames, and
//! the read-ahead of a stream's first event before its call returns.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_bedrockruntime::primitives::event_stream::EventReceiver;
use aws_sdk_bedrockruntime::types::error::{
    ConverseStreamOutputError, InvokeModelWithBidirectionalStreamOutputError, ResponseStreamError,
};
use aws_sdk_bedrockruntime::types::{
    ConverseStreamOutput, InvokeModelWithBidirectionalStreamOutput, ResponseStream,
};
use pyo3::prelude::*;

use super::failure::{failure, Failure, Refusal};
use crate::capture::CallRecord;
use crate::frames::{FrameQueue, RawEvent};

/// The SDK receiver behind a stream.
pub enum Source {
    Converse(EventReceiver<ConverseStreamOutput, ConverseStreamOutputError>),
    Response(EventReceiver<ResponseStream, ResponseStreamError>),
    Bidirectional(
        EventReceiver<
            InvokeModelWithBidirectionalStreamOutput,
            InvokeModelWithBidirectionalStreamOutputError,
        >,
    ),
}

/// Where the feeder of a bidirectional stream's input leaves the error that
/// ended the input early (raised by the output stream when it ends).
pub type InputFailure = Arc<Mutex<Option<PyErr>>>;

/// One event, still as the SDK's type (boxed: Converse events are large and
/// most of a stream's events are small deltas), with its frame as sent.
pub enum Event {
    Converse(Box<ConverseStreamOutput>, Option<RawEvent>),
    Response(ResponseStream, Option<RawEvent>),
    Bidirectional(InvokeModelWithBidirectionalStreamOutput, Option<RawEvent>),
}

/// What the pump hands to Python: an event, or the failure that ends the stream.
pub type Item = Result<Event, Failure>;

/// An SDK event receiver: the next event, paired with the next event frame the tap saw (the
/// SDK decodes one event per event message, in order, so they correspond).
pub trait Receive: Send {
    fn next_event<'a>(
        &'a mut self,
        frames: Option<&'a FrameQueue>,
    ) -> impl std::future::Future<Output = Result<Option<Event>, Failure>> + Send + 'a;
}

impl Receive for EventReceiver<ConverseStreamOutput, ConverseStreamOutputError> {
    async fn next_event(&mut self, frames: Option<&FrameQueue>) -> Result<Option<Event>, Failure> {
        let event = self.recv().await.map_err(failure)?;
        Ok(event.map(|e| Event::Converse(Box::new(e), frames.and_then(FrameQueue::pop))))
    }
}

impl Receive for EventReceiver<ResponseStream, ResponseStreamError> {
    async fn next_event(&mut self, frames: Option<&FrameQueue>) -> Result<Option<Event>, Failure> {
        let event = self.recv().await.map_err(failure)?;
        Ok(event.map(|e| Event::Response(e, frames.and_then(FrameQueue::pop))))
    }
}

impl Receive
    for EventReceiver<
        InvokeModelWithBidirectionalStreamOutput,
        InvokeModelWithBidirectionalStreamOutputError,
    >
{
    async fn next_event(&mut self, frames: Option<&FrameQueue>) -> Result<Option<Event>, Failure> {
        let event = self.recv().await.map_err(failure)?;
        Ok(event.map(|e| Event::Bidirectional(e, frames.and_then(FrameQueue::pop))))
    }
}

impl Source {
    pub(super) async fn recv(
        &mut self,
        frames: Option<&FrameQueue>,
    ) -> Result<Option<Event>, Failure> {
        match self {
            Source::Converse(r) => r.next_event(frames).await,
            Source::Response(r) => r.next_event(frames).await,
            Source::Bidirectional(r) => r.next_event(frames).await,
        }
    }
}

/// A failure the SDK reports for an error message, as the tap saw it (the SDK's own account
/// of it says less).
pub(super) fn tapped(failure: Failure, frames: Option<&FrameQueue>) -> Failure {
    match frames.and_then(FrameQueue::error) {
        Some(error) => Failure::Service {
            exception_type: String::new(),
            error_code: error.code,
            error_message: error.message,
            payload: Vec::new(),
        },
        None => failure,
    }
}

/// What a stream said before its call returned: its first event, its end, or its failure.
pub struct Ahead {
    pub(super) item: Option<Item>,
}

impl std::fmt::Debug for Ahead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match &self.item {
            None => "end",
            Some(Ok(_)) => "event",
            Some(Err(_)) => "failure",
        };
        f.debug_tuple("Ahead").field(&what).finish()
    }
}

/// Reads a stream's first event before its call returns (kept in `record` for the
/// [`EventStream`]); returns the refusal it opened with, if it did, for the call to retry or
/// fail over. No event within `idle` is kept as the timeout the stream then raises.
pub async fn read_ahead<R: Receive>(
    receiver: &mut R,
    record: &mut CallRecord,
    idle: Duration,
) -> Option<Refusal> {
    let frames = record.frames.clone();
    let item = match tokio::time::timeout(idle, receiver.next_event(frames.as_ref())).await {
        Ok(Ok(Some(event))) => Some(Ok(event)),
        Ok(Ok(None)) => None,
        Ok(Err(failure)) => Some(Err(tapped(failure, frames.as_ref()))),
        Err(_) => Some(Err(Failure::Timeout)),
    };
    let refusal = match &item {
        Some(Err(failure)) => failure.refusal(),
        _ => None,
    };
    record.ahead = Some(Box::new(Ahead { item }));
    refusal
}
