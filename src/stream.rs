//! Event streams (ConverseStream, InvokeModelWithResponseStream) as Python
//! iterators and async iterators.
//!
//! A pump task on the shared runtime reads events from the SDK's receiver into
//! a bounded channel, applying the idle timeout. Python pulls from the channel:
//! each wait takes every event already there in one batch (one GIL release for
//! many events), and events become dicts only when Python asks for them.
//! `__next__` and `__anext__` are two doors onto the same batch logic. Closing
//! the stream, or dropping it, aborts the pump, which drops the SDK receiver
//! and with it the connection.

use std::collections::VecDeque;
use std::error::Error as StdError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_bedrockruntime::primitives::event_stream::EventReceiver;
use aws_sdk_bedrockruntime::types::error::{
    ConverseStreamOutputError, InvokeModelWithBidirectionalStreamOutputError, ResponseStreamError,
};
use aws_sdk_bedrockruntime::types::{
    ContentBlockDelta, ContentBlockDeltaEvent, ConverseStreamOutput,
    InvokeModelWithBidirectionalStreamOutput, ResponseStream,
};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::event_stream::RawMessage;
use pyo3::exceptions::{PyStopAsyncIteration, PyStopIteration};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::capture::CallRecord;
use crate::errors::{CallError, Transport};
use crate::frames::{FrameError, FrameQueue, RawEvent};
use crate::sync::LockUnpoisoned;
use crate::{aio, convert, runtime};

/// The event's frame as JSON, parsed only when a dict is built from it.
fn wire(raw: Option<RawEvent>) -> Option<serde_json::Value> {
    raw.as_ref().and_then(RawEvent::to_json)
}

/// Whether a Converse event must be converted against its frame. A text
/// delta (nearly every event of a stream) differs from its SDK value only
/// if the frame left out `contentBlockIndex` (the SDK would say 0), which
/// the frame's bytes show without parsing it: `"contentBlockIndex":` cannot
/// occur inside a JSON string, whose quotes are escaped.
fn converse_needs_wire(event: &ConverseStreamOutput, raw: Option<&RawEvent>) -> bool {
    let text_delta = matches!(
        event,
        ConverseStreamOutput::ContentBlockDelta(ContentBlockDeltaEvent {
            delta: Some(ContentBlockDelta::Text(_)),
            ..
        })
    );
    let index_sent = || {
        raw.is_some_and(|r| {
            r.payload
                .windows(INDEX_KEY.len())
                .any(|window| window == INDEX_KEY)
        })
    };
    !(text_delta && index_sent())
}

const INDEX_KEY: &[u8] = b"\"contentBlockIndex\":";

/// Whether an InvokeModelWithResponseStream event must be converted against
/// its frame: a chunk with its bytes says all its frame would.
fn response_needs_wire(event: &ResponseStream) -> bool {
    !matches!(event, ResponseStream::Chunk(part) if part.bytes.is_some())
}

/// Events buffered between the network and Python; the pump waits when full.
const CHANNEL_CAPACITY: usize = 1024;

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

/// Why a stream ended early.
pub enum Failure {
    /// An exception event (or error message) from the service.
    Service {
        exception_type: String,
        error_code: String,
        error_message: String,
        payload: Vec<u8>,
    },
    /// No event within the idle timeout.
    Timeout,
    /// The connection dropped.
    Transport(String),
    /// A frame botocore's parser refuses.
    Frame(FrameError),
}

type Item = Result<Event, Failure>;

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
    async fn recv(&mut self, frames: Option<&FrameQueue>) -> Result<Option<Event>, Failure> {
        match self {
            Source::Converse(r) => r.next_event(frames).await,
            Source::Response(r) => r.next_event(frames).await,
            Source::Bidirectional(r) => r.next_event(frames).await,
        }
    }
}

/// A failure the SDK reports for an error message, as the tap saw it (the SDK's own account
/// of it says less).
fn tapped(failure: Failure, frames: Option<&FrameQueue>) -> Failure {
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
    item: Option<Item>,
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

/// An exception a stream opened with, before any event reached the caller, that another
/// attempt may not meet: throttling, service unavailable, an internal error, a model not
/// ready, or a model stream error whose original status was 429 or 5xx.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub throttling: bool,
}

impl Failure {
    fn refusal(&self) -> Option<Refusal> {
        let Failure::Service {
            exception_type,
            error_code,
            payload,
            ..
        } = self
        else {
            return None;
        };
        let name = if exception_type.is_empty() {
            error_code
        } else {
            exception_type
        };
        let name = name.to_ascii_lowercase();
        let retryable = match name.trim_end_matches("exception") {
            "throttling" | "serviceunavailable" | "internalserver" | "modelnotready" => true,
            "modelstreamerror" => serde_json::from_slice::<serde_json::Value>(payload)
                .ok()
                .and_then(|v| v.get("originalStatusCode").and_then(|c| c.as_u64()))
                .is_some_and(|status| status == 429 || status >= 500),
            _ => false,
        };
        retryable.then(|| Refusal {
            throttling: name.starts_with("throttling"),
        })
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

fn failure<E: StdError + Send + Sync + 'static>(error: SdkError<E, RawMessage>) -> Failure {
    if let SdkError::ServiceError(service) = &error {
        if let RawMessage::Decoded(message) = service.raw() {
            let header = |name: &str| {
                message
                    .headers()
                    .iter()
                    .find(|h| h.name().as_str() == name)
                    .and_then(|h| h.value().as_string().ok())
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default()
            };
            return Failure::Service {
                exception_type: header(":exception-type"),
                error_code: header(":error-code"),
                error_message: header(":error-message"),
                payload: message.payload().to_vec(),
            };
        }
    }
    if let Some(frame) = crate::transport::find::<FrameError>(&error) {
        return Failure::Frame(frame.clone());
    }
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    Failure::Transport(text)
}

/// Reads events until the stream ends, fails, idles out or nobody listens.
///
/// The idle timer is armed once and only moved when it fires: a fresh timer
/// per event would cost a timer-wheel insert and removal for every delta.
async fn pump(
    mut source: Source,
    frames: Option<FrameQueue>,
    ahead: Option<Box<Ahead>>,
    idle: Duration,
    tx: mpsc::Sender<Item>,
) {
    if let Some(item) = ahead.map(|a| a.item) {
        let Some(item) = item else {
            return; // the stream had ended
        };
        let last = item.is_err();
        if tx.send(item).await.is_err() || last {
            return;
        }
    }
    let mut last_event = tokio::time::Instant::now();
    let timer = tokio::time::sleep_until(last_event + idle);
    tokio::pin!(timer);
    loop {
        // One `recv` future per event, kept while the timer is moved on.
        let recv = source.recv(frames.as_ref());
        tokio::pin!(recv);
        let item = loop {
            tokio::select! {
                // Stop reading as soon as the Python side is gone.
                _ = tx.closed() => return,
                received = &mut recv => break match received {
                    Ok(Some(event)) => Ok(event),
                    Ok(None) => return,
                    // The SDK fails on an error message; the tap kept what it said.
                    Err(failure) => Err(tapped(failure, frames.as_ref())),
                },
                () = &mut timer => {
                    let deadline = last_event + idle;
                    if tokio::time::Instant::now() < deadline {
                        timer.as_mut().reset(deadline);
                    } else {
                        break Err(Failure::Timeout);
                    }
                }
            }
        };
        let last = item.is_err();
        if tx.send(item).await.is_err() || last {
            return;
        }
        last_event = tokio::time::Instant::now();
    }
}

/// What Python sees: an iterator and async iterator of event dicts.
#[pyclass(frozen, module = "bedrock_cris._native")]
pub struct EventStream {
    state: Arc<State>,
    operation: &'static str,
    endpoint_url: String,
    input_failure: Option<InputFailure>,
}

struct State {
    receiver: tokio::sync::Mutex<mpsc::Receiver<Item>>,
    ready: Mutex<VecDeque<Item>>,
    pump: Mutex<Option<JoinHandle<()>>>,
    closed: AtomicBool,
}

impl State {
    fn pop(&self) -> Option<Item> {
        self.ready.lock_unpoisoned().pop_front()
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Waits for the next batch; false when the stream has ended.
    ///
    /// With `spin`, a blocked Python thread first polls the channel for that
    /// long before it sleeps: while a stream is flowing the next event is
    /// microseconds away, and sleeping then being woken for each small batch
    /// costs more than the events themselves (two context switches).
    async fn fill(&self, spin: Duration) -> bool {
        let mut receiver = self.receiver.lock().await;
        let Some(first) = recv_spinning(&mut receiver, spin).await else {
            return false;
        };
        let mut ready = self.ready.lock_unpoisoned();
        ready.push_back(first);
        while let Ok(more) = receiver.try_recv() {
            ready.push_back(more);
        }
        true
    }

    fn close(&self) {
        self.closed.store(true, Ordering::Release);
        if let Some(pump) = self.pump.lock_unpoisoned().take() {
            pump.abort();
        }
        self.ready.lock_unpoisoned().clear();
        if let Ok(mut receiver) = self.receiver.try_lock() {
            receiver.close();
        }
    }
}

/// How long a Python thread waiting for events polls before it sleeps.
const SPIN_BEFORE_SLEEP: Duration = Duration::from_micros(50);

/// The next item, polling for up to `spin` (yielding the CPU between polls)
/// before waiting to be woken.
async fn recv_spinning(receiver: &mut mpsc::Receiver<Item>, spin: Duration) -> Option<Item> {
    if !spin.is_zero() {
        let deadline = std::time::Instant::now() + spin;
        loop {
            match receiver.try_recv() {
                Ok(item) => return Some(item),
                Err(mpsc::error::TryRecvError::Disconnected) => return None,
                Err(mpsc::error::TryRecvError::Empty) => {}
            }
            if std::time::Instant::now() >= deadline {
                break;
            }
            std::thread::yield_now();
        }
    }
    receiver.recv().await
}

impl EventStream {
    /// Starts pumping `source` on the shared runtime.
    /// From `record` it takes the tap on the answer's body (whose event
    /// messages are the wire reference each event is converted against) and
    /// the call's place in flight, held by the pump until the stream ends.
    pub fn start(
        source: Source,
        record: &mut CallRecord,
        idle: Duration,
        operation: &'static str,
    ) -> Self {
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let (frames, ahead) = (record.frames.take(), record.ahead.take());
        let (place, lane) = (record.place.take(), record.lane.take());
        let handle = runtime::get().spawn(async move {
            pump(source, frames, ahead, idle, tx).await;
            drop((place, lane));
        });
        let endpoint_url = record.url.clone();
        EventStream {
            state: Arc::new(State {
                receiver: tokio::sync::Mutex::new(rx),
                ready: Mutex::new(VecDeque::new()),
                pump: Mutex::new(Some(handle)),
                closed: AtomicBool::new(false),
            }),
            operation,
            endpoint_url,
            input_failure: None,
        }
    }

    /// Raise the input feeder's error, if any, when the output ends.
    pub fn with_input_failure(mut self, failure: InputFailure) -> Self {
        self.input_failure = Some(failure);
        self
    }

    /// What ending the iteration raises: the input's error, else `stop`.
    fn end(&self, stop: PyErr) -> PyErr {
        self.input_failure
            .as_ref()
            .and_then(|f| f.lock_unpoisoned().take())
            .unwrap_or(stop)
    }

    /// The next event as a dict, or the exception to raise.
    fn deliver<'py>(&self, py: Python<'py>, item: Item) -> PyResult<Bound<'py, PyDict>> {
        match item {
            Ok(Event::Converse(event, raw)) => {
                let raw = raw.filter(|raw| converse_needs_wire(&event, Some(raw)));
                convert::converse_stream_event(py, *event, wire(raw).as_ref())
            }
            Ok(Event::Response(event, raw)) => {
                let raw = raw.filter(|_| response_needs_wire(&event));
                convert::invoke_model_with_response_stream_event(py, event, wire(raw).as_ref())
            }
            Ok(Event::Bidirectional(event, raw)) => {
                convert::invoke_model_with_bidirectional_stream_event(py, event, wire(raw).as_ref())
            }
            Err(failure) => {
                // A stream ends with its first failure.
                self.state.close();
                Err(self.raise(py, failure))
            }
        }
    }

    /// The next item for a blocking iterator, waiting (GIL released) when
    /// none is buffered; `StopIteration` once the stream is over.
    fn next_item(&self, py: Python<'_>) -> PyResult<Item> {
        loop {
            if self.state.is_closed() {
                return Err(PyStopIteration::new_err(()));
            }
            if let Some(item) = self.state.pop() {
                return Ok(item);
            }
            let state = self.state.clone();
            if !runtime::wait(py, async move { state.fill(SPIN_BEFORE_SLEEP).await })? {
                return Err(self.end(PyStopIteration::new_err(())));
            }
        }
    }

    fn raise(&self, py: Python<'_>, failure: Failure) -> PyErr {
        failure_error(self.operation, &self.endpoint_url, failure).into_pyerr(py)
    }
}

/// What a stream's failure is, as a typed error.
fn failure_error(operation: &'static str, endpoint_url: &str, failure: Failure) -> CallError {
    let in_transit = |failure, detail| CallError::Transport {
        failure,
        endpoint_url: endpoint_url.to_owned(),
        detail,
    };
    match failure {
        Failure::Service {
            exception_type,
            error_code,
            error_message,
            payload,
        } => CallError::EventStream {
            operation,
            exception_type,
            error_code,
            error_message,
            payload,
        },
        Failure::Timeout => in_transit(Transport::ReadTimeout, String::new()),
        Failure::Transport(text) => in_transit(Transport::StreamBody, text),
        Failure::Frame(frame) => CallError::Frame(frame),
    }
}

/// The exception of a stream that opened with a refusal (its read-ahead in `record`), as
/// iterating it would raise.
pub fn refusal_error(py: Python<'_>, operation: &'static str, record: &mut CallRecord) -> PyErr {
    match record.ahead.take().and_then(|a| a.item) {
        Some(Err(failure)) => failure_error(operation, &record.url, failure).into_pyerr(py),
        _ => pyo3::exceptions::PyRuntimeError::new_err("the stream was refused"),
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.state.close();
    }
}

#[pymethods]
impl EventStream {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let item = self.next_item(py)?;
        self.deliver(py, item)
    }

    /// As `__next__`, but a text delta comes as `(contentBlockIndex, text)`
    /// instead of the three nested dicts of its event: the native API's text
    /// streams want only the text, and nearly every event is one.
    fn _next_text<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self.next_item(py)? {
            Ok(Event::Converse(event, raw)) => match *event {
                ConverseStreamOutput::ContentBlockDelta(ContentBlockDeltaEvent {
                    delta: Some(ContentBlockDelta::Text(text)),
                    content_block_index,
                    ..
                }) => Ok((content_block_index, text).into_pyobject(py)?.into_any()),
                other => Ok(self
                    .deliver(py, Ok(Event::Converse(Box::new(other), raw)))?
                    .into_any()),
            },
            item => Ok(self.deliver(py, item)?.into_any()),
        }
    }

    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __anext__<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        // Events arrive in bursts: a buffered one needs no trip through the loop.
        {
            let stream = slf.get();
            if stream.state.is_closed() {
                return aio::ready(py, Err(PyStopAsyncIteration::new_err(())));
            }
            if let Some(item) = stream.state.pop() {
                let event = stream.deliver(py, item).map(|e| e.into_any().unbind());
                return aio::ready(py, event);
            }
        }
        let this = slf.unbind();
        runtime::future_into_py(py, async move {
            loop {
                let state = Python::attach(|py| {
                    let stream = this.get();
                    if stream.state.is_closed() {
                        return Err(PyStopAsyncIteration::new_err(()));
                    }
                    match stream.state.pop() {
                        Some(item) => Ok(Err(stream.deliver(py, item).map(Bound::unbind))),
                        None => Ok::<_, PyErr>(Ok(stream.state.clone())),
                    }
                })?;
                match state {
                    Err(delivered) => return delivered,
                    Ok(state) => {
                        if !state.fill(Duration::ZERO).await {
                            let stop = PyStopAsyncIteration::new_err(());
                            return Err(Python::attach(|_| this.get().end(stop)));
                        }
                    }
                }
            }
        })
    }

    /// Stops reading and releases the connection; iteration then ends.
    fn close(&self) {
        self.state.close();
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __exit__(
        &self,
        _exc_type: Option<Bound<'_, PyAny>>,
        _exc: Option<Bound<'_, PyAny>>,
        _tb: Option<Bound<'_, PyAny>>,
    ) {
        self.close();
    }

    fn __repr__(&self) -> String {
        format!("<bedrock_cris.EventStream for {}>", self.operation)
    }
}

/// Adds the stream class to the native module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<EventStream>()
}
