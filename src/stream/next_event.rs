//! The awaitable `EventStream.__anext__` returns when no event is buffered.
//!
//! It waits on an asyncio future that is done once the next batch is buffered (or the stream
//! has ended), and takes the event only when the awaiting task resumes, as `asyncio.Queue.get`
//! does. A task cancelled in between, even after the batch arrived (Python 3.12's
//! `asyncio.wait_for` cancels a task whose future is already done), leaves the event buffered
//! for the next `__anext__` instead of losing it.

use std::sync::Mutex;

use pyo3::exceptions::{PyRuntimeError, PyStopAsyncIteration, PyStopIteration};
use pyo3::prelude::*;

use super::EventStream;
use crate::sync::LockUnpoisoned;

#[pyclass(frozen, module = "bedrock_cris._native")]
pub struct NextEvent {
    stream: Py<EventStream>,
    /// The waiting future's `__await__` iterator, until it is done.
    waiting: Mutex<Option<Py<PyAny>>>,
}

impl NextEvent {
    /// Awaits `ready` (an asyncio future whose result says whether the stream has more).
    pub fn new(
        py: Python<'_>,
        stream: Py<EventStream>,
        ready: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let waiting = ready.call_method0(pyo3::intern!(py, "__await__"))?.unbind();
        Ok(NextEvent {
            stream,
            waiting: Mutex::new(Some(waiting)),
        })
    }
}

#[pymethods]
impl NextEvent {
    fn __await__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// Hands the waiting future to the task until it is done, then takes the event.
    fn __next__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let waiting = self
            .waiting
            .lock_unpoisoned()
            .as_ref()
            .map(|w| w.clone_ref(py));
        let Some(waiting) = waiting else {
            return Err(PyRuntimeError::new_err(
                "cannot reuse an already awaited __anext__",
            ));
        };
        let more = match waiting.bind(py).call_method0(pyo3::intern!(py, "__next__")) {
            Ok(future) => return Ok(future.unbind()), // not done yet: the task waits on it
            Err(done) if done.is_instance_of::<PyStopIteration>(py) => {
                let value = done.value(py).getattr(pyo3::intern!(py, "value"))?;
                value.is_truthy()?
            }
            Err(error) => return Err(error),
        };
        *self.waiting.lock_unpoisoned() = None;
        let stream = self.stream.get();
        if stream.state.is_closed() {
            return Err(PyStopAsyncIteration::new_err(()));
        }
        match stream.state.pop() {
            Some(item) => {
                let event = stream.deliver(py, item)?;
                Err(PyStopIteration::new_err((event.unbind(),)))
            }
            None if !more => Err(stream.end(PyStopAsyncIteration::new_err(()))),
            // Only another consumer can have taken the batch this one waited for.
            None => Err(PyRuntimeError::new_err(
                "anext(): another __anext__ of this stream took its event",
            )),
        }
    }
}
