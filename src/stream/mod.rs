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

mod channel;
mod failure;
mod next_event;
mod source;
mod wire;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_bedrockruntime::types::{
    ContentBlockDelta, ContentBlockDeltaEvent, ConverseStreamOutput,
};
use pyo3::exceptions::{PyStopAsyncIteration, PyStopIteration};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::capture::CallRecord;
use crate::sync::LockUnpoisoned;
use crate::{aio, convert, runtime};
use channel::{pump, Sender, State, SPIN_BEFORE_SLEEP};
use failure::{failure_error, Failure};
pub use failure::{refusal_error, Refusal};
use next_event::NextEvent;
use source::Event;
use source::Item;
pub use source::{read_ahead, Ahead, InputFailure, Source};
use wire::{converse_needs_wire, response_needs_wire, wire};

/// What Python sees: an iterator and async iterator of event dicts.
#[pyclass(frozen, module = "bedrock_cris._native")]
pub struct EventStream {
    state: Arc<State>,
    /// Where an asyncio reader's futures come from.
    loop_futures: aio::LoopFutures,
    operation: &'static str,
    endpoint_url: String,
    input_failure: Option<InputFailure>,
    /// Earlier targets' errors, the cause of the refusal this stream opened with (if any).
    refused_after: Mutex<Option<PyErr>>,
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
        let (tx, rx, waiting) = Sender::channel();
        let (frames, ahead) = (record.frames.take(), record.ahead.take());
        let (place, lane) = (record.place.take(), record.lane.take());
        let handle = runtime::get().spawn(async move {
            pump(source, frames, ahead, idle, tx).await;
            drop((place, lane));
        });
        let endpoint_url = record.url.clone();
        EventStream {
            state: Arc::new(State::new(rx, waiting, handle)),
            loop_futures: aio::LoopFutures::default(),
            operation,
            endpoint_url,
            input_failure: None,
            refused_after: Mutex::new(record.refused_after.take()),
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
        let error = failure_error(self.operation, &self.endpoint_url, failure).into_pyerr(py);
        if let Some(cause) = self.refused_after.lock_unpoisoned().take() {
            error.set_cause(py, Some(cause));
        }
        error
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
        let stream = slf.get();
        if stream.state.is_closed() {
            return aio::ready(py, Err(PyStopAsyncIteration::new_err(())));
        }
        // Events arrive in bursts: a buffered one needs no trip through the loop.
        if let Some(item) = stream.state.take_now() {
            let event = stream.deliver(py, item).map(|e| e.into_any().unbind());
            return aio::ready(py, event);
        }
        // Otherwise the awaiting task waits on a future the pump completes; the event is
        // taken when the task resumes (`NextEvent`), so a cancelled task leaves it buffered.
        Ok(Bound::new(py, NextEvent::new(slf.unbind()))?.into_any())
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
