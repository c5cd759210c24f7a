//! The native client: one `aws_sdk_bedrockruntime::Client` per Python client,
//! built once and shared by every call (the SDK client is cheap to clone and
//! safe to use from many threads and tasks at once).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::bound::InFlight;
use crate::config::{build_client, BuildError, ClientOptions};
use crate::ops::json::generated::{dispatch, Converse};
use crate::ops::routed::Throughput;
use crate::ops::streaming::ConverseStream;
use crate::ops::{call_async, call_sync, CallContext};
use crate::{errors, runtime};

/// A bedrock-runtime client; the Python facade wraps it.
#[pyclass(frozen, module = "bedrock_cris._native")]
pub struct NativeClient {
    built: Mutex<Built>,
    options: ClientOptions,
    max_attempts: u32,
    stream_idle: std::time::Duration,
    /// The bound on this client's requests in flight.
    in_flight: InFlight,
    /// `max_in_flight` and `routes`, when configured.
    throughput: Option<Arc<Throughput>>,
    region: String,
    /// Identifies this client in each thread's [`THREAD_CLIENTS`].
    id: u64,
    /// Dropped with the client, telling threads their copy can go.
    alive: Arc<()>,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Per thread: the SDK clients this thread's blocking calls use, by client id,
/// each with its own connection pool driven by the thread's runtime.
struct ThreadClients {
    pid: u32,
    clients: HashMap<u64, (Weak<()>, aws_sdk_bedrockruntime::Client)>,
}

thread_local! {
    static THREAD_CLIENTS: RefCell<ThreadClients> = RefCell::new(ThreadClients {
        pid: std::process::id(),
        clients: HashMap::new(),
    });
}

/// The SDK client and the process that built it: its pooled connections are
/// driven by that process's runtime, so a forked child builds its own.
struct Built {
    pid: u32,
    sdk: aws_sdk_bedrockruntime::Client,
}

impl NativeClient {
    /// The SDK client for this process (a cheap handle clone).
    pub fn sdk(&self) -> aws_sdk_bedrockruntime::Client {
        let pid = std::process::id();
        let mut built = self.built.lock().unwrap_or_else(|p| p.into_inner());
        if built.pid != pid {
            let rebuilt = Python::attach(|py| runtime::wait(py, build_client(&self.options)));
            if let Ok(Ok(sdk)) = rebuilt {
                // The parent's client is forgotten, not dropped: its connections
                // belong to worker threads that do not exist in this process.
                std::mem::forget(std::mem::replace(&mut *built, Built { pid, sdk }));
            }
        }
        built.sdk.clone()
    }

    /// The SDK client for blocking calls from this thread (see
    /// [`runtime::wait_here`]): the same configuration, credentials cache and
    /// interceptors as [`sdk`](Self::sdk), with an HTTPS client of its own so
    /// its connections are opened and driven by this thread's runtime.
    pub fn sdk_here(&self) -> aws_sdk_bedrockruntime::Client {
        let pid = std::process::id();
        let cached = THREAD_CLIENTS.with(|cell| {
            let mut cache = cell.borrow_mut();
            if cache.pid != pid {
                // A forked child: the parent's connections are not ours to close.
                std::mem::forget(std::mem::take(&mut cache.clients));
                cache.pid = pid;
            }
            cache.clients.get(&self.id).map(|(_, sdk)| sdk.clone())
        });
        if let Some(sdk) = cached {
            return sdk;
        }
        let config = self
            .sdk()
            .config()
            .to_builder()
            .http_client(crate::http::https_client(self.options.ca_bundle.clone()))
            .build();
        let sdk = aws_sdk_bedrockruntime::Client::from_conf(config);
        THREAD_CLIENTS.with(|cell| {
            let mut cache = cell.borrow_mut();
            // Clients freed since this thread last added one release theirs.
            cache
                .clients
                .retain(|_, (alive, _)| alive.strong_count() > 0);
            cache
                .clients
                .insert(self.id, (Arc::downgrade(&self.alive), sdk.clone()));
        });
        sdk
    }

    /// The bound on this client's requests in flight.
    pub fn in_flight(&self) -> &InFlight {
        &self.in_flight
    }

    /// `max_in_flight` and `routes`, when configured.
    pub fn throughput(&self) -> Option<Arc<Throughput>> {
        self.throughput.clone()
    }

    /// The resolved region name.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// What an operation's result needs to know of this client.
    pub fn context(&self) -> CallContext {
        CallContext {
            max_attempts: self.max_attempts,
            stream_idle: self.stream_idle,
            flags_last_attempt: self.options.flags_last_attempt(),
        }
    }
}

#[pymethods]
impl NativeClient {
    /// Builds the client from the options dict resolved by the Python facade.
    #[new]
    fn new(py: Python<'_>, options: &Bound<'_, PyDict>) -> PyResult<Self> {
        let mut options = ClientOptions::from_dict(options)?;
        runtime::wait(py, options.resolve_retries())??;
        let sdk = runtime::wait(py, build_client(&options))?.map_err(|e| match e {
            BuildError::NoRegion => errors::raise_named(py, "NoRegionError", &[]),
        })?;
        let region = sdk
            .config()
            .region()
            .map(|r| r.as_ref().to_owned())
            .unwrap_or_default();
        // A rebuild after fork must not depend on the environment again.
        options.region = Some(region.clone());
        Ok(Self {
            max_attempts: options.max_attempts(),
            stream_idle: options.stream_idle(),
            in_flight: InFlight::new(options.max_connections),
            throughput: options.throughput().map(Arc::new),
            built: Mutex::new(Built {
                pid: std::process::id(),
                sdk,
            }),
            options,
            region,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            alive: Arc::new(()),
        })
    }

    /// The resolved region name.
    #[getter]
    fn region_name(&self) -> &str {
        &self.region
    }

    /// Total attempts per call (first try plus retries).
    #[getter(max_attempts)]
    fn get_max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The retry mode botocore would use (`legacy` runs as the SDK's standard mode).
    #[getter]
    fn retry_mode(&self) -> &str {
        self.options.retry_mode.as_deref().unwrap_or("standard")
    }

    fn __repr__(&self) -> String {
        format!(
            "<bedrock_cris._native.NativeClient region_name={:?}>",
            self.region
        )
    }

    /// Calls the operation named `operation` (its service-model name, e.g.
    /// "CountTokens") with boto3's keyword arguments; blocks without the GIL.
    fn call<'py>(
        &self,
        py: Python<'py>,
        operation: &str,
        params: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        dispatch!(operation, call_sync, self, py, params)
    }

    /// The awaitable twin of [`call`](Self::call).
    fn call_async<'py>(
        &self,
        py: Python<'py>,
        operation: &str,
        params: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        dispatch!(operation, call_async, self, py, params)
    }

    /// Converse: `params` are boto3's keyword arguments (the native API's
    /// entry points, these four; the facade calls every operation by name).
    fn converse<'py>(
        &self,
        py: Python<'py>,
        params: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        call_sync::<Converse>(self, py, params)
    }

    /// ConverseStream: returns at once with `{'ResponseMetadata', 'stream'}`.
    fn converse_stream<'py>(
        &self,
        py: Python<'py>,
        params: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        call_sync::<ConverseStream>(self, py, params)
    }

    /// Awaitable Converse.
    fn converse_async<'py>(
        &self,
        py: Python<'py>,
        params: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        call_async::<Converse>(self, py, params)
    }

    /// Awaitable ConverseStream; the stream is an async iterator.
    fn converse_stream_async<'py>(
        &self,
        py: Python<'py>,
        params: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        call_async::<ConverseStream>(self, py, params)
    }
}

/// Adds the client class to the native module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeClient>()?;
    crate::ops::bidirectional::register(m)
}
