//! Each request of an embed job told to Python as it starts and ends, while
//! OpenTelemetry instruments clients (`bedrock_cris.otel` passes the job's
//! tracer). Untraced jobs carry `None` and never take the GIL for it.
//!
//! The tracer's `begin(body)` returns a token (the request's span); its
//! `end(token, result, error)` is given the result dict the facade's
//! `invoke_model` would return, or the exception it would raise, or neither
//! for a request abandoned when the job stopped (Ctrl-C, a cancelled
//! awaitable, another request's failure). Exceptions of the tracer are
//! reported as unraisable and never stop the job.

use aws_sdk_bedrockruntime::operation::invoke_model::InvokeModelOutput;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::capture::CallRecord;
use crate::ops::invoke::InvokeModel;
use crate::ops::{CallContext, Operation};

/// A job's Python tracer, and what building its results needs.
pub struct Tracer {
    object: Py<PyAny>,
    context: CallContext,
}

impl Tracer {
    pub fn new(object: Py<PyAny>, context: CallContext) -> Self {
        Tracer { object, context }
    }

    /// Opens the span of a request about to be sent with `body`.
    pub fn begin(&self, body: &[u8]) -> Span<'_> {
        let token = Python::attach(|py| {
            let begin = pyo3::intern!(py, "begin");
            let token = self
                .object
                .call_method1(py, begin, (PyBytes::new(py, body),));
            reported(py, token).filter(|token| !token.is_none(py))
        });
        Span {
            tracer: self,
            token,
        }
    }
}

/// One request's open span; ended as abandoned if dropped before `succeeded`
/// or `failed`.
pub struct Span<'t> {
    tracer: &'t Tracer,
    token: Option<Py<PyAny>>,
}

impl Span<'_> {
    /// Ends the span with the facade's result for `output`.
    pub fn succeeded(mut self, output: InvokeModelOutput, record: &mut CallRecord) {
        let Some(token) = self.token.take() else {
            return;
        };
        Python::attach(|py| {
            let result = InvokeModel::finish(py, output, record, &self.tracer.context);
            let _ = match result {
                Ok(result) => self.end(py, token, result, py.None().into_bound(py)),
                Err(error) => self.end(
                    py,
                    token,
                    py.None().into_bound(py),
                    error.into_value(py).into_bound(py).into_any(),
                ),
            };
        });
    }

    /// Ends the span with `error`, the exception the facade raises for the request.
    pub fn failed(mut self, py: Python<'_>, error: &PyErr) {
        if let Some(token) = self.token.take() {
            self.end(
                py,
                token,
                py.None().into_bound(py),
                error.value(py).clone().into_any(),
            );
        }
    }

    fn end<'py>(
        &self,
        py: Python<'py>,
        token: Py<PyAny>,
        result: Bound<'py, PyAny>,
        error: Bound<'py, PyAny>,
    ) -> Option<Py<PyAny>> {
        let end = pyo3::intern!(py, "end");
        reported(
            py,
            self.tracer
                .object
                .call_method1(py, end, (token, result, error)),
        )
    }

    /// The context the facade builds results and errors with.
    pub fn context(&self) -> &CallContext {
        &self.tracer.context
    }
}

impl Drop for Span<'_> {
    fn drop(&mut self) {
        if let Some(token) = self.token.take() {
            // Not while the interpreter shuts down: nothing is left to report to.
            Python::try_attach(|py| {
                self.end(
                    py,
                    token,
                    py.None().into_bound(py),
                    py.None().into_bound(py),
                )
            });
        }
    }
}

/// `outcome`'s value, or None with its exception reported as unraisable.
fn reported(py: Python<'_>, outcome: PyResult<Py<PyAny>>) -> Option<Py<PyAny>> {
    outcome
        .map_err(|error| error.write_unraisable(py, None))
        .ok()
}
