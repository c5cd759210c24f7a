//! Awaitables for asyncio, completed in batches on the event loop's thread.
//!
//! A request runs on the shared runtime without ever taking the GIL. When it
//! ends, its result (still Rust data) and the step that turns it into Python
//! objects are queued for the loop that awaits it, and the loop is woken
//! through a socket it watches (`loop.add_reader`): one byte per burst of
//! completions, however many there are. The loop's thread then builds every
//! queued result and sets its future, holding the GIL it already has. So no
//! worker thread fights the loop for the GIL, and a burst of N completions
//! costs one wake-up instead of N `call_soon_threadsafe` calls.
//!
//! Loops that cannot watch a socket (Windows' proactor loop) get the same
//! awaitables from pyo3-async-runtimes, one wake-up per completion.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use pyo3::exceptions::PyStopIteration;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use crate::runtime;
use crate::sync::LockUnpoisoned;

/// Builds a result's Python object; runs on the loop's thread with the GIL.
pub type Finish = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

/// An asyncio future for `future`, which runs on the shared runtime and ends
/// with the step that builds the result. Cancelling the asyncio future
/// cancels `future` (drops it, which cancels its request).
pub fn complete_on_loop<'py, F, R>(py: Python<'py>, future: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = R> + Send + 'static,
    R: FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send + 'static,
{
    let event_loop = running_loop(py)?;
    let Some(queue) = queue_for(&event_loop)? else {
        return runtime::future_into_py_per_completion(py, async move {
            let finish = future.await;
            Python::attach(finish)
        });
    };
    let awaitable = event_loop.call_method0(pyo3::intern!(py, "create_future"))?;
    let target = awaitable.clone().unbind();
    let task = runtime::spawn_tracked(async move {
        let finish: Finish = match CatchPanic(future).await {
            Ok(finish) => Box::new(finish),
            Err(message) => {
                Box::new(move |_py: Python<'_>| Err(pyo3::panic::PanicException::new_err(message)))
            }
        };
        queue.push(target, finish);
    });
    awaitable.call_method1(
        pyo3::intern!(py, "add_done_callback"),
        (AbortOnCancel(task.abort_handle()),),
    )?;
    Ok(awaitable)
}

/// An awaitable that is already done: `await` returns the value (or raises
/// the error) at once, without a trip through the event loop (a stream's
/// buffered events).
pub fn ready(py: Python<'_>, outcome: PyResult<Py<PyAny>>) -> PyResult<Bound<'_, PyAny>> {
    Ok(Bound::new(py, Ready(Mutex::new(Some(outcome))))?.into_any())
}

#[pyclass(frozen, module = "bedrock_cris._native")]
struct Ready(Mutex<Option<PyResult<Py<PyAny>>>>);

#[pymethods]
impl Ready {
    fn __await__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let outcome = self.0.lock_unpoisoned().take();
        match outcome {
            Some(Ok(value)) => Err(PyStopIteration::new_err((value,))),
            Some(Err(error)) => Err(error),
            None => Err(pyo3::exceptions::PyRuntimeError::new_err(
                "cannot reuse already awaited result",
            )),
        }
        .map(|()| py.None())
    }
}

/// The way into one event loop from any thread: its completion queue where it watches a
/// socket, else `call_soon_threadsafe` (which takes the GIL).
#[derive(Clone)]
enum LoopWake {
    Queue(Arc<Queue>),
    Threadsafe(Arc<Py<PyAny>>),
}

/// An asyncio future of a running loop that another thread completes (with `None`): the
/// awaitable an `EventStream` hands to a task waiting for its next event. Unlike
/// [`complete_on_loop`], no task runs per future: whoever has news calls [`complete`].
///
/// [`complete`]: LoopFuture::complete
pub struct LoopFuture {
    future: Py<PyAny>,
    wake: LoopWake,
}

impl LoopFuture {
    /// Sets the future's result soon, on its loop's thread; nothing if it is done by then
    /// (cancelled). Needs no GIL where the loop watches a socket.
    pub fn complete(self) {
        match self.wake {
            LoopWake::Queue(queue) => queue.push(self.future, Box::new(|py| Ok(py.None()))),
            LoopWake::Threadsafe(event_loop) => Python::attach(|py| {
                let resolve = Resolve(self.future);
                // A closed loop has nobody left to wake.
                let _ = event_loop
                    .bind(py)
                    .call_method1(pyo3::intern!(py, "call_soon_threadsafe"), (resolve,));
            }),
        }
    }
}

/// Remembers how to reach the loop last seen, so a stream's every wait does not look it up.
#[derive(Default)]
pub struct LoopFutures(Mutex<Option<(Py<PyAny>, LoopWake)>>);

impl LoopFutures {
    /// A new future of the running loop, and the handle that completes it.
    pub fn create<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, LoopFuture)> {
        let event_loop = running_loop(py)?;
        let known = {
            let cached = self.0.lock_unpoisoned();
            cached
                .as_ref()
                .filter(|(seen, _)| seen.is(&event_loop))
                .map(|(_, wake)| wake.clone())
        };
        let wake = match known {
            Some(wake) => wake,
            None => {
                let wake = match queue_for(&event_loop)? {
                    Some(queue) => LoopWake::Queue(queue),
                    None => LoopWake::Threadsafe(Arc::new(event_loop.clone().unbind())),
                };
                *self.0.lock_unpoisoned() = Some((event_loop.clone().unbind(), wake.clone()));
                wake
            }
        };
        let future = event_loop.call_method0(pyo3::intern!(py, "create_future"))?;
        let handle = LoopFuture {
            future: future.clone().unbind(),
            wake,
        };
        Ok((future, handle))
    }
}

/// `call_soon_threadsafe`'s callback: sets the future's result unless it is done.
#[pyclass(frozen, module = "bedrock_cris._native")]
struct Resolve(Py<PyAny>);

#[pymethods]
impl Resolve {
    fn __call__(&self, py: Python<'_>) -> PyResult<()> {
        let future = self.0.bind(py);
        if !future
            .call_method0(pyo3::intern!(py, "done"))?
            .is_truthy()?
        {
            future.call_method1(pyo3::intern!(py, "set_result"), (py.None(),))?;
        }
        Ok(())
    }
}

fn running_loop(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    GET_RUNNING_LOOP
        .import(py, "asyncio", "get_running_loop")?
        .call0()
}

/// The completion queue of `event_loop`, created (and the loop set to watch
/// it) on first use; `None` for loops that cannot watch a socket.
fn queue_for(event_loop: &Bound<'_, PyAny>) -> PyResult<Option<Arc<Queue>>> {
    let py = event_loop.py();
    static WAKERS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    // Weak keys: a queue lives as long as its loop.
    let wakers = WAKERS
        .get_or_try_init(py, || {
            py.import("weakref")?
                .getattr("WeakKeyDictionary")?
                .call0()
                .map(Bound::unbind)
        })?
        .bind(py);
    if let Some(known) = wakers
        .call_method1(pyo3::intern!(py, "get"), (event_loop,))?
        .extract::<Option<Bound<'_, PyAny>>>()?
    {
        return Ok(known
            .cast::<LoopWaker>()
            .ok()
            .map(|waker| waker.get().queue.clone()));
    }
    let waker = match LoopWaker::new() {
        Ok(waker) => Bound::new(py, waker)?,
        Err(_) => {
            wakers.set_item(event_loop, false)?;
            return Ok(None);
        }
    };
    let fd = waker.get().reader_fd();
    match event_loop.call_method1(pyo3::intern!(py, "add_reader"), (fd, &waker)) {
        Ok(_) => {
            wakers.set_item(event_loop, &waker)?;
            Ok(Some(waker.get().queue.clone()))
        }
        Err(e) if e.is_instance_of::<pyo3::exceptions::PyNotImplementedError>(py) => {
            wakers.set_item(event_loop, false)?;
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Finished requests waiting for their loop, and how to wake it.
struct Queue {
    done: Mutex<Vec<(Py<PyAny>, Finish)>>,
    /// Set when a wake-up byte is on its way and the loop has not drained yet.
    wake_pending: AtomicBool,
    #[cfg(unix)]
    writer: std::os::unix::net::UnixStream,
}

impl Queue {
    /// Queues a finished request (no GIL needed) and wakes the loop if no
    /// wake-up is pending. Pushing before checking the flag, and the loop
    /// clearing it before taking the queue, means no completion is missed.
    fn push(&self, target: Py<PyAny>, finish: Finish) {
        self.done.lock_unpoisoned().push((target, finish));
        if !self.wake_pending.swap(true, Ordering::AcqRel) {
            #[cfg(unix)]
            {
                use std::io::Write;
                // A full socket buffer already holds a wake-up, so a failed write loses nothing.
                let _ = (&self.writer).write(&[1]);
            }
        }
    }
}

/// The loop's reader callback: drains the queue and completes each future.
#[pyclass(frozen, module = "bedrock_cris._native")]
struct LoopWaker {
    queue: Arc<Queue>,
    #[cfg(unix)]
    reader: std::os::unix::net::UnixStream,
}

impl LoopWaker {
    #[cfg(unix)]
    fn new() -> std::io::Result<Self> {
        let (reader, writer) = std::os::unix::net::UnixStream::pair()?;
        reader.set_nonblocking(true)?;
        writer.set_nonblocking(true)?;
        Ok(Self {
            queue: Arc::new(Queue {
                done: Mutex::new(Vec::new()),
                wake_pending: AtomicBool::new(false),
                writer,
            }),
            reader,
        })
    }

    #[cfg(not(unix))]
    fn new() -> std::io::Result<Self> {
        Err(std::io::Error::other("no socket to wake the loop with"))
    }

    #[cfg(unix)]
    fn reader_fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        self.reader.as_raw_fd()
    }

    #[cfg(not(unix))]
    fn reader_fd(&self) -> i32 {
        -1
    }
}

#[pymethods]
impl LoopWaker {
    fn __call__(&self, py: Python<'_>) -> PyResult<()> {
        // Drain the wake-up bytes first, then clear the flag, then take the
        // queue: a byte written after the drain stays for the next wake-up,
        // and a push that saw the flag still set is in the queue taken below.
        // (Clearing the flag first could swallow the byte of a push that then
        // finds the flag set, and leave later pushes waiting forever.)
        #[cfg(unix)]
        {
            use std::io::Read;
            let mut bytes = [0u8; 64];
            while matches!((&self.reader).read(&mut bytes), Ok(n) if n > 0) {}
        }
        self.queue.wake_pending.swap(false, Ordering::AcqRel);
        let done = std::mem::take(&mut *self.queue.done.lock_unpoisoned());
        for (target, finish) in done {
            let target = target.bind(py);
            // Cancelled meanwhile: nobody awaits the result.
            if target
                .call_method0(pyo3::intern!(py, "done"))?
                .is_truthy()?
            {
                continue;
            }
            // A panic while building one result fails that future, not the drain.
            let built = std::panic::catch_unwind(AssertUnwindSafe(|| finish(py))).unwrap_or_else(
                |payload| {
                    Err(pyo3::panic::PanicException::new_err(panic_message(
                        payload.as_ref(),
                    )))
                },
            );
            let outcome = match built {
                Ok(value) => target.call_method1(pyo3::intern!(py, "set_result"), (value,)),
                Err(error) => {
                    target.call_method1(pyo3::intern!(py, "set_exception"), (error.into_value(py),))
                }
            };
            if let Err(error) = outcome {
                error.write_unraisable(py, Some(target));
            }
        }
        Ok(())
    }
}

/// Done-callback of an asyncio future: cancels the request when it was cancelled.
#[pyclass(frozen, module = "bedrock_cris._native")]
struct AbortOnCancel(tokio::task::AbortHandle);

#[pymethods]
impl AbortOnCancel {
    fn __call__(&self, future: &Bound<'_, PyAny>) -> PyResult<()> {
        if future
            .call_method0(pyo3::intern!(future.py(), "cancelled"))?
            .is_truthy()?
        {
            self.0.abort();
        }
        Ok(())
    }
}

/// A future whose panic becomes an `Err` with the panic's message, so the
/// awaitable raises instead of never finishing.
struct CatchPanic<F>(F);

impl<F: Future> Future for CatchPanic<F> {
    type Output = Result<F::Output, String>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: the inner future is never moved out of its pinned parent.
        let inner = unsafe { self.map_unchecked_mut(|s| &mut s.0) };
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(poll) => poll.map(Ok),
            Err(payload) => Poll::Ready(Err(panic_message(payload.as_ref()))),
        }
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a Rust panic".to_owned())
}
