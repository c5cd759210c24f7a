//! The one process-wide tokio runtime, and how a Python thread waits on it.
//!
//! Every blocking entry point waits here with the GIL released. On the main
//! thread the wait wakes every [`SIGNAL_POLL`] to run Python's signal handlers,
//! so Ctrl-C raises `KeyboardInterrupt` promptly and drops (cancels) the request.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use crate::sync::{current_in, ForkLocal, LockUnpoisoned};
use pyo3::prelude::*;
use pyo3::IntoPyObjectExt;
use pyo3_async_runtimes::{generic, TaskLocals};
use tokio::runtime::Runtime;

/// How often a blocked main thread checks for Ctrl-C.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// The runtime of this process: a forked child must not touch its parent's
/// worker threads (they do not exist in the child).
static CURRENT: Mutex<Option<ForkLocal<&'static Runtime>>> = Mutex::new(None);

fn build() -> &'static Runtime {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("bedrock-cris")
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("cannot start the tokio runtime: {e}"));
    // Leaked on purpose: it lives for the process, and a runtime inherited
    // across fork() cannot be shut down safely in the child.
    Box::leak(Box::new(runtime))
}

/// The runtime for this process, built on first use and rebuilt after a fork.
pub fn get() -> &'static Runtime {
    let mut current = CURRENT.lock_unpoisoned();
    current_in(&mut current, build)
}

/// Runs `future` to completion on the shared runtime with the GIL released.
///
/// On the main thread, pending Python signals are checked while waiting; a
/// raised `KeyboardInterrupt` drops the future, which cancels the request.
pub fn wait<F>(py: Python<'_>, future: F) -> PyResult<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    let main = is_main_thread(py);
    py.detach(|| {
        if inside_runtime() {
            return off_thread(future);
        }
        drive(get(), future, main, false)
    })
}

/// As [`wait`], on the calling thread's own current_thread runtime: the thread
/// drives the request and its connection itself, with no hand-off to a worker
/// thread and back (the dominant cost of a blocking call otherwise). The
/// future must only use connections opened on this thread's runtime (see
/// [`crate::http`]); [`can_wait_here`] says whether this thread can.
pub fn wait_here<F>(py: Python<'_>, future: F) -> PyResult<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    let main = is_main_thread(py);
    py.detach(|| drive(&here(), future, main, true))
}

/// Whether [`wait_here`] can run now: not when this thread is already driving
/// a runtime, i.e. when Python code called from inside a wait (a signal or
/// logging handler) makes another blocking call.
pub fn can_wait_here() -> bool {
    !inside_runtime()
}

/// Blocking calls in progress in this process, on any thread.
static BLOCKING_CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// One blocking call, counted in [`BLOCKING_CALLS`] while it lasts.
pub struct BlockingCall {
    alone: bool,
}

impl BlockingCall {
    pub fn enter() -> Self {
        let before = BLOCKING_CALLS.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        BlockingCall { alone: before == 0 }
    }

    /// Whether no other blocking call was in progress when this one began.
    ///
    /// A lone call is cheapest driven by its own thread ([`wait_here`]): no
    /// hand-off between threads at all. Calls that overlap (many Python
    /// threads on one client) are cheaper on the shared runtime: its two
    /// workers multiplex every connection, where a runtime per thread would
    /// have each of dozens of threads poll its own sockets and timers.
    pub fn alone(&self) -> bool {
        self.alone
    }
}

impl Drop for BlockingCall {
    fn drop(&mut self) {
        BLOCKING_CALLS.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

fn inside_runtime() -> bool {
    tokio::runtime::Handle::try_current().is_ok()
}

/// A blocking call made while this thread already drives a runtime (tokio
/// forbids nesting): the shared runtime runs it, waited for from a helper thread.
fn off_thread<F>(future: F) -> PyResult<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    std::thread::scope(|scope| {
        scope.spawn(|| get().block_on(future)).join().map_err(|_| {
            pyo3::exceptions::PyRuntimeError::new_err("bedrock_cris: the call panicked")
        })
    })
}

/// Blocks on `future`; on the main thread, races it against a signal check
/// every [`SIGNAL_POLL`] so Ctrl-C raises promptly and drops the future.
///
/// With `settle`, the runtime gets one more turn once the future is done or
/// dropped: a thread's own runtime only runs while its thread waits, and a
/// call cut short (Ctrl-C, a timeout) leaves its connection to be closed by
/// that turn, so the server stops working on an answer nobody will read.
fn drive<F: Future>(runtime: &Runtime, future: F, main: bool, settle: bool) -> PyResult<F::Output> {
    runtime.block_on(async move {
        let outcome = until_done(future, main).await;
        if settle {
            tokio::task::yield_now().await;
        }
        outcome
    })
}

/// Awaits `future` (dropping it before returning), checking signals on the main thread.
async fn until_done<F: Future>(future: F, main: bool) -> PyResult<F::Output> {
    if !main {
        return Ok(future.await);
    }
    tokio::pin!(future);
    // The first tick is one period out: an immediate first tick would not be
    // immediate at all but wait for the timer wheel's next turn (about 1 ms),
    // which once cost every call from the main thread most of its time.
    let start = tokio::time::Instant::now() + SIGNAL_POLL;
    let mut ticks = tokio::time::interval_at(start, SIGNAL_POLL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            out = &mut future => return Ok(out),
            _ = ticks.tick() => Python::attach(|py| py.check_signals())?,
        }
    }
}

thread_local! {
    /// This thread's current_thread runtime.
    static HERE: std::cell::RefCell<Option<ForkLocal<std::rc::Rc<Runtime>>>> =
        const { std::cell::RefCell::new(None) };
}

/// The calling thread's own runtime, built on first use and rebuilt in a
/// forked child (the parent's is forgotten: its sockets are the parent's too).
/// It spawns no threads; it runs only while its thread waits in [`wait_here`].
fn here() -> std::rc::Rc<Runtime> {
    HERE.with(|cell| {
        let build = || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap_or_else(|e| panic!("cannot start the tokio runtime: {e}"));
            std::rc::Rc::new(runtime)
        };
        current_in(&mut cell.borrow_mut(), build).clone()
    })
}

/// Only the main thread receives signals, so only it needs to poll for them.
/// Cached per thread: asking Python costs a few microseconds.
fn is_main_thread(py: Python<'_>) -> bool {
    thread_local! {
        static IS_MAIN: std::cell::Cell<Option<bool>> = const { std::cell::Cell::new(None) };
    }
    IS_MAIN.with(|cached| {
        if let Some(known) = cached.get() {
            return known;
        }
        // Without `threading` imported no other thread was started through
        // it; importing it here would cost a cold start ~4 ms. (A thread from
        // `_thread` taken for the main one only polls in vain: Python runs
        // signal handlers on the main thread alone.)
        let modules = py.import("sys").and_then(|sys| sys.getattr("modules"));
        let Ok(Some(threading)) = modules.and_then(|m| {
            m.cast_into::<pyo3::types::PyDict>()
                .map_err(PyErr::from)?
                .get_item("threading")
        }) else {
            cached.set(Some(true));
            return true;
        };
        let ident = |name: &str| -> Option<u64> {
            let value = if name == "main" {
                threading
                    .call_method0("main_thread")
                    .ok()?
                    .getattr("ident")
                    .ok()?
            } else {
                threading.call_method0("get_ident").ok()?
            };
            value.extract::<u64>().ok()
        };
        let known = matches!((ident("main"), ident("current")), (Some(a), Some(b)) if a == b);
        cached.set(Some(known));
        known
    })
}

/// Converts a Rust future into a Python awaitable driven by the shared runtime
/// (completed on the event loop's thread, see [`crate::aio`]).
///
/// Cancelling the awaitable (e.g. `asyncio.wait_for` timing out) drops the
/// future, which cancels the request.
pub fn future_into_py<F, T>(py: Python<'_>, future: F) -> PyResult<Bound<'_, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'py> IntoPyObject<'py> + Send + 'static,
{
    crate::aio::complete_on_loop(py, async move {
        let outcome = future.await;
        move |py: Python<'_>| outcome.and_then(|value| value.into_py_any(py))
    })
}

/// As [`future_into_py`], through pyo3-async-runtimes: the future's last step
/// takes the GIL on a worker and wakes the loop once per completion. For
/// loops [`crate::aio`] cannot wake.
pub fn future_into_py_per_completion<F, T>(py: Python<'_>, future: F) -> PyResult<Bound<'_, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'py> IntoPyObject<'py> + Send + 'static,
{
    pyo3_async_runtimes::generic::future_into_py::<AsyncRuntime, F, T>(py, future)
}

/// Spawns `future` on the shared runtime, counted in [`IN_FLIGHT`] until done.
pub fn spawn_tracked<F>(future: F) -> tokio::task::JoinHandle<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let in_flight = InFlight::enter();
    get().spawn(async move {
        let _in_flight = in_flight;
        future.await
    })
}

/// pyo3-async-runtimes' view of our runtime. Its own tokio integration keeps
/// the first runtime it is given forever; spawning through [`get`] instead
/// keeps asyncio calls working in a forked child.
struct AsyncRuntime;

tokio::task_local! {
    static TASK_LOCALS: std::cell::OnceCell<TaskLocals>;
}

struct JoinError(tokio::task::JoinError);

impl generic::JoinError for JoinError {
    fn is_panic(&self) -> bool {
        self.0.is_panic()
    }
    fn into_panic(self) -> Box<dyn std::any::Any + Send + 'static> {
        self.0.into_panic()
    }
}

struct Joined(tokio::task::JoinHandle<()>);

impl Future for Joined {
    type Output = Result<(), JoinError>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx).map_err(JoinError)
    }
}

impl generic::Runtime for AsyncRuntime {
    type JoinError = JoinError;
    type JoinHandle = Joined;

    fn spawn<F>(fut: F) -> Joined
    where
        F: Future<Output = ()> + Send + 'static,
    {
        Joined(spawn_tracked(fut))
    }

    fn spawn_blocking<F>(f: F) -> Joined
    where
        F: FnOnce() + Send + 'static,
    {
        let in_flight = InFlight::enter();
        Joined(get().spawn_blocking(move || {
            let _in_flight = in_flight;
            f()
        }))
    }
}

impl generic::ContextExt for AsyncRuntime {
    fn scope<F, R>(locals: TaskLocals, fut: F) -> std::pin::Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        let cell = std::cell::OnceCell::new();
        let _ = cell.set(locals);
        Box::pin(TASK_LOCALS.scope(cell, fut))
    }

    fn get_task_locals() -> Option<TaskLocals> {
        TASK_LOCALS
            .try_with(|cell| cell.get().cloned())
            .unwrap_or_default()
    }
}

/// Awaitables whose Rust side has not finished. Their last step takes the GIL
/// (to hand the result to asyncio), which must not happen once the
/// interpreter is finalizing: [`quiesce`] waits for them at exit.
static IN_FLIGHT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

struct InFlight;

impl InFlight {
    fn enter() -> Self {
        IN_FLIGHT.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// Registered with `atexit`: waits (GIL released, at most `timeout` seconds)
/// until no awaitable's Rust side is still running, so none re-takes the GIL
/// while Python finalizes. Returns whether everything finished.
#[pyfunction]
#[pyo3(name = "_quiesce")]
pub fn quiesce(py: Python<'_>, timeout: f64) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs_f64(timeout.clamp(0.0, 60.0));
    py.detach(|| loop {
        if IN_FLIGHT.load(std::sync::atomic::Ordering::Acquire) == 0 {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    })
}
