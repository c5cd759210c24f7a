//! The one process-wide tokio runtime, and how a Python thread waits on it.
//!
//! Every blocking entry point waits here with the GIL released. On the main
//! thread the wait wakes every [`SIGNAL_POLL`] to run Python's signal handlers,
//! so Ctrl-C raises `KeyboardInterrupt` promptly and drops (cancels) the request.

use std::future::Future;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use pyo3::prelude::*;
use tokio::runtime::Runtime;

/// How often a blocked main thread checks for Ctrl-C.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// The runtime and the process it was built in: a forked child must not
/// touch its parent's worker threads (they do not exist in the child).
struct Owned {
    pid: u32,
    runtime: &'static Runtime,
}

static CURRENT: Mutex<Option<Owned>> = Mutex::new(None);
static FIRST: OnceLock<&'static Runtime> = OnceLock::new();

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
    let pid = std::process::id();
    let mut current = CURRENT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    match &*current {
        Some(owned) if owned.pid == pid => owned.runtime,
        _ => {
            let runtime = build();
            if FIRST.set(runtime).is_ok() {
                // asyncio futures are driven by the same runtime (first one only:
                // pyo3-async-runtimes keeps the runtime it is given for good).
                let _ = pyo3_async_runtimes::tokio::init_with_runtime(runtime);
            }
            *current = Some(Owned { pid, runtime });
            runtime
        }
    }
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
    let runtime = get();
    if !is_main_thread(py) {
        return Ok(py.detach(|| runtime.block_on(future)));
    }
    py.detach(|| {
        runtime.block_on(async move {
            tokio::pin!(future);
            let mut ticks = tokio::time::interval(SIGNAL_POLL);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await; // the first tick is immediate
            loop {
                tokio::select! {
                    biased;
                    out = &mut future => return Ok(out),
                    _ = ticks.tick() => Python::attach(|py| py.check_signals())?,
                }
            }
        })
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
        let ident = |name: &str| -> Option<u64> {
            let threading = py.import("threading").ok()?;
            let value = if name == "main" {
                threading.call_method0("main_thread").ok()?.getattr("ident").ok()?
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
