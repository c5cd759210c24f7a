//! The awaitable `EventStream.__anext__` returns when no event is buffered.
//!
//! It hands the awaiting task an asyncio future that the stream's pump completes once the
//! next event is in the channel (or the stream has ended), and takes the event only when the
//! task resumes, as `asyncio.Queue.get` does. A task cancelled in between, even after the
//! event arrived (Python 3.12's `asyncio.wait_for` cancels a task whose future is already
//! done), leaves the event buffered for the next `__anext__` instead of losing it.
//!
//! The future is yielded to the task directly, marked as blocking, as `Future.__await__`
//! does: no iterator object and no `StopIteration` of its own per event.

use std::sync::atomic::{AtomicBool, Ordering};

use pyo3::exceptions::{PyRuntimeError, PyStopAsyncIteration, PyStopIteration};
use pyo3::prelude::*;

use super::channel::Next;
use super::EventStream;

#[pyclass(frozen, module = "bedrock_cris._native")]
pub struct NextEvent {
    stream: Py<EventStream>,
    finished: AtomicBool,
}

impl NextEvent {
    pub fn new(stream: Py<EventStream>) -> Self {
        NextEvent {
            stream,
            finished: AtomicBool::new(false),
        }
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

    /// The event once there is one (as `StopIteration`'s value), else a future to wait on.
    fn __next__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        if self.finished.load(Ordering::Acquire) {
            return Err(PyRuntimeError::new_err(
                "cannot reuse an already awaited __anext__",
            ));
        }
        let stream = self.stream.get();
        if stream.state.is_closed() {
            self.finished.store(true, Ordering::Release);
            return Err(PyStopAsyncIteration::new_err(()));
        }
        // On resuming, the event is nearly always there: no future is made for it.
        let next = match stream.state.take_now() {
            Some(item) => Next::Item(item),
            None => {
                let (future, waiter) = stream.loop_futures.create(py)?;
                match stream.state.next_or_register(waiter) {
                    Next::Pending => {
                        // What `Future.__await__` sets before yielding the future to its task.
                        future.setattr(pyo3::intern!(py, "_asyncio_future_blocking"), true)?;
                        return Ok(future.unbind());
                    }
                    next => next,
                }
            }
        };
        self.finished.store(true, Ordering::Release);
        match next {
            Next::Item(item) => {
                let event = stream.deliver(py, item)?;
                Err(PyStopIteration::new_err((event.unbind(),)))
            }
            _ if stream.state.is_closed() => Err(PyStopAsyncIteration::new_err(())),
            _ => Err(stream.end(PyStopAsyncIteration::new_err(()))),
        }
    }
}
