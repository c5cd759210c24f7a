//! InvokeModelWithBidirectionalStream: input events go up while output events
//! come down, on one HTTP/2 (or chunked HTTP/1.1) exchange. boto3 cannot do
//! this; the API here keeps its shapes: `body=` is the input stream (an
//! [`InputStream`] to `send()` into, or any iterable of input event dicts) and
//! `response["body"]` the output [`EventStream`](crate::stream::EventStream).

use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

use aws_sdk_bedrockruntime::operation::invoke_model_with_bidirectional_stream::{
    InvokeModelWithBidirectionalStreamError, InvokeModelWithBidirectionalStreamOutput,
};
use aws_sdk_bedrockruntime::types::error::InvokeModelWithBidirectionalStreamInputError;
use aws_sdk_bedrockruntime::types::InvokeModelWithBidirectionalStreamInput;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use tokio::sync::mpsc;

use super::streaming::stream_result;
use super::{result_dict, validated, CallContext, Operation, Pending};
use crate::capture::CallRecord;
use crate::stream::{InputFailure, Source};
use crate::sync::LockUnpoisoned;
use crate::{convert, errors, runtime};

type Input =
    Result<InvokeModelWithBidirectionalStreamInput, InvokeModelWithBidirectionalStreamInputError>;

/// Input events waiting to be sent; the pump of the request body reads them.
const INPUT_CAPACITY: usize = 64;

/// The request body: a stream over the channel the Python side feeds.
struct InputEvents(mpsc::Receiver<Input>);

impl futures_core::Stream for InputEvents {
    type Item = Input;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Input>> {
        self.0.poll_recv(cx)
    }
}

/// Validates one input event dict (`{'chunk': {'bytes': b'...'}}`) like botocore would.
fn input_event(event: &Bound<'_, PyAny>) -> PyResult<InvokeModelWithBidirectionalStreamInput> {
    let converted = convert::invoke_model_with_bidirectional_stream_input_event(event)?;
    validated(event.py(), converted)
}

/// The input side of a bidirectional stream: `send(event)` as the model
/// should hear it, then `close()` (or leave the `with` block) to end the input.
#[pyclass(frozen, module = "bedrock_cris._native")]
pub struct InputStream {
    sender: Mutex<Option<mpsc::Sender<Input>>>,
    receiver: Mutex<Option<mpsc::Receiver<Input>>>,
}

impl InputStream {
    fn sender(&self) -> PyResult<mpsc::Sender<Input>> {
        self.sender
            .lock_unpoisoned()
            .clone()
            .ok_or_else(|| PyValueError::new_err("the input stream is closed"))
    }

    /// The receiving end, for the one request this stream feeds.
    fn take_receiver(&self) -> PyResult<mpsc::Receiver<Input>> {
        self.receiver
            .lock_unpoisoned()
            .take()
            .ok_or_else(|| PyValueError::new_err("this InputStream already feeds a request"))
    }
}

fn closed_error() -> PyErr {
    PyValueError::new_err("the bidirectional stream has ended; no more input is read")
}

#[pymethods]
impl InputStream {
    #[new]
    fn new() -> Self {
        let (tx, rx) = mpsc::channel(INPUT_CAPACITY);
        InputStream {
            sender: Mutex::new(Some(tx)),
            receiver: Mutex::new(Some(rx)),
        }
    }

    /// Sends one input event; waits (GIL released) while the buffer is full.
    fn send(&self, py: Python<'_>, event: &Bound<'_, PyAny>) -> PyResult<()> {
        let event = input_event(event)?;
        let sender = self.sender()?;
        runtime::wait(py, async move { sender.send(Ok(event)).await })?.map_err(|_| closed_error())
    }

    /// Awaitable `send`.
    fn send_async<'py>(
        &self,
        py: Python<'py>,
        event: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let event = input_event(event)?;
        let sender = self.sender()?;
        runtime::future_into_py(py, async move {
            sender.send(Ok(event)).await.map_err(|_| closed_error())
        })
    }

    /// Ends the input: the model sees the end of the stream.
    fn close(&self) {
        self.sender.lock_unpoisoned().take();
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
}

/// Feeds a Python iterable of input events from a thread of its own, so a
/// slow generator (a microphone, a file) never blocks the runtime. A bad
/// event or an exception from the iterable ends the input and is raised
/// from the output stream.
fn feed_iterable(iterable: Py<PyAny>, tx: mpsc::Sender<Input>, failure: InputFailure) {
    std::thread::spawn(move || {
        Python::attach(|py| {
            let outcome = (|| -> PyResult<()> {
                for item in iterable.bind(py).try_iter()? {
                    let event = input_event(&item?)?;
                    let tx = tx.clone();
                    if py.detach(move || tx.blocking_send(Ok(event))).is_err() {
                        return Ok(()); // the call is over: stop reading the iterable
                    }
                }
                Ok(())
            })();
            if let Err(error) = outcome {
                *failure.lock_unpoisoned() = Some(error);
            }
        });
    });
}

pub struct InvokeModelWithBidirectionalStream;

impl InvokeModelWithBidirectionalStream {
    /// Wires `params["body"]` to a channel; returns its receiving end.
    fn input(body: &Bound<'_, PyAny>, failure: &InputFailure) -> PyResult<mpsc::Receiver<Input>> {
        if let Ok(stream) = body.cast::<InputStream>() {
            return stream.get().take_receiver();
        }
        if body.is_instance_of::<PyDict>() || body.is_instance_of::<PyString>() {
            return Err(PyTypeError::new_err(
                "body must be a bedrock_cris.InputStream or an iterable of input event dicts \
                 such as {'chunk': {'bytes': b'...'}}",
            ));
        }
        body.try_iter().map_err(|_| {
            PyTypeError::new_err(format!(
                "body must be a bedrock_cris.InputStream or an iterable of input events, not {}",
                body.get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            ))
        })?;
        let (tx, rx) = mpsc::channel(INPUT_CAPACITY);
        feed_iterable(body.clone().unbind(), tx, failure.clone());
        Ok(rx)
    }
}

impl Operation for InvokeModelWithBidirectionalStream {
    const NAME: &'static str = "InvokeModelWithBidirectionalStream";
    const KEEP: crate::capture::Keep = crate::capture::Keep::Frames;
    const OUTLIVES_CALL: bool = true;
    type Output = (InvokeModelWithBidirectionalStreamOutput, InputFailure);
    type Error = InvokeModelWithBidirectionalStreamError;

    fn prepare(
        sdk: &aws_sdk_bedrockruntime::Client,
        params: &Bound<'_, PyDict>,
    ) -> PyResult<Pending<Self::Output, Self::Error>> {
        let builder = convert::invoke_model_with_bidirectional_stream_input(
            params,
            sdk.invoke_model_with_bidirectional_stream(),
        )?;
        // Its builder cannot be customized before `body` is set.
        let (builder, bridged) = validated(params.py(), builder)?;
        let failure = InputFailure::default();
        let body = params
            .get_item(pyo3::intern!(params.py(), "body"))?
            .ok_or_else(|| {
                errors::param_validation(
                    params.py(),
                    "Missing required parameter in input: \"body\"",
                )
            })?;
        let receiver = Self::input(&body, &failure)?;
        let builder = builder.body(InputEvents(receiver).into());
        match crate::request_edits::CallEdits::new(bridged).interceptor() {
            None => Ok(Box::pin(async move {
                builder.send().await.map(|output| (output, failure))
            })),
            Some(edits) => {
                let customized = builder.customize().interceptor(edits);
                Ok(Box::pin(async move {
                    customized.send().await.map(|output| (output, failure))
                }))
            }
        }
    }

    fn finish<'py>(
        py: Python<'py>,
        (output, failure): Self::Output,
        record: &mut CallRecord,
        context: &CallContext,
    ) -> PyResult<Bound<'py, PyAny>> {
        let result = result_dict(py, record, context)?;
        let receiver =
            convert::invoke_model_with_bidirectional_stream_output(py, output, None, &result)?;
        let source = Source::Bidirectional(receiver);
        let key = pyo3::intern!(py, "body");
        stream_result(
            result,
            key,
            source,
            record,
            context,
            Self::NAME,
            Some(failure),
        )
    }
}

/// Adds `InputStream` to the native module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<InputStream>()
}
