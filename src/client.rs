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
use crate::headers::{self, CallHeaders};
use crate::ops::json::generated::dispatch;
use crate::ops::routed::Throughput;
use crate::ops::{call_async, call_sync, validate_only, CallContext};
use crate::sync::{current_in, ForkLocal, LockUnpoisoned};
use crate::{errors, logging, runtime};

/// A bedrock-runtime client; the Python facade wraps it.
#[pyclass(frozen, module = "bedrock_cris._native")]
pub struct NativeClient {
    built: Mutex<ForkLocal<aws_sdk_bedrockruntime::Client>>,
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
type ThreadClients = HashMap<u64, (Weak<()>, aws_sdk_bedrockruntime::Client)>;

thread_local! {
    static THREAD_CLIENTS: RefCell<Option<ForkLocal<ThreadClients>>> =
        const { RefCell::new(None) };
}

impl NativeClient {
    /// The SDK client for this process (a cheap handle clone).
    pub fn sdk(&self) -> aws_sdk_bedrockruntime::Client {
        let mut built = self.built.lock_unpoisoned();
        // A forked child builds its own: the parent's pooled connections are
        // driven by worker threads that do not exist in this process.
        let rebuild = || {
            Python::attach(|py| runtime::wait(py, build_client(&self.options)))
                .ok()?
                .ok()
        };
        built.current(rebuild).clone()
    }

    /// The SDK client for blocking calls from this thread (see
    /// [`runtime::wait_here`]): the same configuration, credentials cache and
    /// interceptors as [`sdk`](Self::sdk), with an HTTPS client of its own so
    /// its connections are opened and driven by this thread's runtime.
    pub fn sdk_here(&self) -> aws_sdk_bedrockruntime::Client {
        let cached = THREAD_CLIENTS.with(|cell| {
            let mut slot = cell.borrow_mut();
            let clients = current_in(&mut slot, HashMap::new);
            clients.get(&self.id).map(|(_, sdk)| sdk.clone())
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
            let mut slot = cell.borrow_mut();
            let clients = current_in(&mut slot, HashMap::new);
            // Clients freed since this thread last added one release theirs.
            clients.retain(|_, (alive, _)| alive.strong_count() > 0);
            clients.insert(self.id, (Arc::downgrade(&self.alive), sdk.clone()));
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
        options.protect_secrets();
        // A new client is also the moment to pick up logging levels set
        // without `setLevel` (e.g. assigning `logger.level`).
        logging::refresh(py)?;
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
            built: Mutex::new(ForkLocal::new(sdk)),
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

    /// [`call`](Self::call) with headers that `client.meta.events` handlers
    /// set: `signed` before signing, `unsigned` after it.
    #[pyo3(signature = (operation, params, signed, unsigned, asynchronous = false))]
    fn call_with_headers<'py>(
        &self,
        py: Python<'py>,
        operation: &str,
        params: &Bound<'py, PyDict>,
        signed: Vec<(String, String)>,
        unsigned: Vec<(String, String)>,
        asynchronous: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        CallHeaders::new(signed, unsigned)?.hand_over();
        let outcome = if asynchronous {
            dispatch!(operation, call_async, self, py, params)
        } else {
            dispatch!(operation, call_sync, self, py, params)
        };
        headers::clear_pending();
        outcome
    }

    /// Validates `params` for `operation` as a call would (raising
    /// `ParamValidationError`), sending nothing.
    fn validate<'py>(
        &self,
        py: Python<'py>,
        operation: &str,
        params: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        dispatch!(operation, validate_only, self, py, params)
    }
}

/// Adds the client class to the native module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeClient>()?;
    crate::ops::bidirectional::register(m)
}
