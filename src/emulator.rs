//! Python bindings for the emulator crate: `bedrock_cris._native.EmulatorServer`, wrapped by
//! `bedrock_cris.emulator.Emulator`.

use std::collections::BTreeMap;
use std::net::ToSocketAddrs;
use std::time::Duration;

use bedrock_cris_emulator::{
    start, AuthConfig, EmulatorConfig, EmulatorHandle, Fault, ScriptedBody, ScriptedEvent,
    ScriptedReply,
};
use bytes::Bytes;
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

/// One scripted event as Python passes it: `(headers, payload)`.
type ScriptedEventArgs = (Vec<(String, String)>, PyBackedBytes);

/// A running emulator server (started by the constructor, stopped by `shutdown()` or when
/// garbage-collected).
#[pyclass(frozen, module = "bedrock_cris._native")]
pub struct EmulatorServer {
    handle: EmulatorHandle,
}

fn duration(seconds: f64, what: &str) -> PyResult<Duration> {
    Duration::try_from_secs_f64(seconds).map_err(|_| {
        PyValueError::new_err(format!("{what} must be a finite number of seconds >= 0"))
    })
}

fn auth_config(
    credentials: Option<BTreeMap<String, String>>,
    bearer_tokens: Option<Vec<String>>,
) -> AuthConfig {
    AuthConfig {
        credentials: credentials.unwrap_or_default(),
        bearer_tokens: bearer_tokens.unwrap_or_default(),
    }
}

#[pymethods]
impl EmulatorServer {
    /// Binds `host:port` (port 0: a free port) and starts serving on a background thread.
    /// `credentials` (access key id to secret) and `bearer_tokens` turn authentication on.
    #[new]
    #[pyo3(signature = (host = "127.0.0.1", port = 0, *, event_delay = 0.0, stream_deltas = 0, record_limit = 1000, max_body_bytes = 33554432, credentials = None, bearer_tokens = None, time_scale = 1.0, default_region = None, tls = false))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        host: &str,
        port: u16,
        event_delay: f64,
        stream_deltas: usize,
        record_limit: usize,
        max_body_bytes: usize,
        credentials: Option<BTreeMap<String, String>>,
        bearer_tokens: Option<Vec<String>>,
        time_scale: f64,
        default_region: Option<String>,
        tls: bool,
    ) -> PyResult<Self> {
        let auth = auth_config(credentials, bearer_tokens);
        if !(time_scale.is_finite() && time_scale > 0.0) {
            return Err(PyValueError::new_err("time_scale must be a number > 0"));
        }
        let event_delay = duration(event_delay, "event_delay")?;
        let host = host.to_string();
        let handle = py
            .detach(move || {
                let addr = (host.as_str(), port)
                    .to_socket_addrs()?
                    .next()
                    .ok_or_else(|| std::io::Error::other(format!("cannot resolve {host}")))?;
                start(EmulatorConfig {
                    addr,
                    event_delay,
                    stream_deltas,
                    record_limit,
                    max_body_bytes,
                    auth,
                    time_scale,
                    default_region: default_region
                        .unwrap_or_else(|| bedrock_cris_emulator::DEFAULT_REGION.to_string()),
                    tls,
                })
            })
            .map_err(|e| PyOSError::new_err(format!("cannot start the emulator: {e}")))?;
        Ok(EmulatorServer { handle })
    }

    /// The host the server listens on.
    #[getter]
    fn host(&self) -> String {
        self.handle.local_addr().ip().to_string()
    }

    /// The port the server listens on.
    #[getter]
    fn port(&self) -> u16 {
        self.handle.local_addr().port()
    }

    /// `http://HOST:PORT` (`https://` with TLS).
    #[getter]
    fn endpoint_url(&self) -> String {
        self.handle.endpoint_url()
    }

    /// The self-signed certificate a TLS server presents, in PEM; None without TLS.
    #[getter]
    fn certificate_pem(&self) -> Option<String> {
        self.handle.certificate_pem().map(str::to_string)
    }

    /// Connections accepted since start.
    fn connections_accepted(&self) -> u64 {
        self.handle.connections_accepted()
    }

    /// Whether the server is still serving.
    fn is_running(&self) -> bool {
        self.handle.is_running()
    }

    /// Stops the server and joins its thread (idempotent).
    fn shutdown(&self, py: Python<'_>) {
        py.detach(|| self.handle.shutdown());
    }

    /// Recorded requests as dicts: method, http_version, path (raw), query, headers (list of pairs), body.
    fn requests<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for r in self.handle.requests() {
            let d = PyDict::new(py);
            d.set_item("method", r.method)?;
            d.set_item("http_version", r.http_version)?;
            d.set_item("path", r.path)?;
            d.set_item("query", r.query)?;
            let headers = PyList::empty(py);
            for (k, v) in r.headers {
                headers.append(PyTuple::new(py, [k, v])?)?;
            }
            d.set_item("headers", headers)?;
            d.set_item("body", PyBytes::new(py, &r.body))?;
            d.set_item("fault", r.fault)?;
            d.set_item("auth_error", r.auth_error)?;
            list.append(d)?;
        }
        Ok(list)
    }

    /// How many requests arrived since start, recorded or not.
    fn request_count(&self) -> u64 {
        self.handle.request_count()
    }

    /// Forgets recorded requests.
    fn clear_requests(&self) {
        self.handle.clear_requests();
    }

    /// Adds faults from their JSON form (an object or a list, as `POST /_emulator/faults`
    /// takes them), all or none; returns how many.
    fn add_faults(&self, spec_json: &str) -> PyResult<usize> {
        let spec: serde_json::Value = serde_json::from_str(spec_json)
            .map_err(|e| PyValueError::new_err(format!("the fault spec is not JSON: {e}")))?;
        self.handle
            .add_faults_json(&spec)
            .map_err(PyValueError::new_err)
    }

    /// The faults in force, as a JSON list (as `GET /_emulator/faults` lists them).
    fn faults_json(&self) -> String {
        let faults: Vec<serde_json::Value> =
            self.handle.faults().iter().map(Fault::to_json).collect();
        serde_json::Value::Array(faults).to_string()
    }

    /// Applies quota settings in their JSON form (as `PUT /_emulator/quota` takes them);
    /// returns how many quotas were set.
    fn set_quotas(&self, spec_json: &str) -> PyResult<usize> {
        let spec: serde_json::Value = serde_json::from_str(spec_json)
            .map_err(|e| PyValueError::new_err(format!("the quota spec is not JSON: {e}")))?;
        self.handle
            .set_quotas_json(&spec)
            .map_err(PyValueError::new_err)
    }

    /// The quota settings as JSON (as `GET /_emulator/quota` answers them).
    fn quotas_json(&self) -> String {
        self.handle.quotas_json().to_string()
    }

    /// Removes every quota.
    fn clear_quotas(&self) {
        self.handle.clear_quotas();
    }

    /// Usage per Region and model id, as JSON (as `GET /_emulator/usage` has it).
    fn usage_json(&self) -> String {
        self.handle.usage().to_string()
    }

    /// Forgets the usage counters.
    fn clear_usage(&self) {
        self.handle.clear_usage();
    }

    /// Seed of the choice of requests a fault with a `fraction` applies to.
    fn set_fault_seed(&self, seed: u64) {
        self.handle.set_fault_seed(seed);
    }

    /// Throttle requests beyond `limit` in flight (`None`: no limit).
    #[pyo3(signature = (limit))]
    fn set_concurrency_limit(&self, limit: Option<usize>) {
        self.handle.set_concurrency_limit(limit);
    }

    /// Requests being served right now.
    fn in_flight(&self) -> usize {
        self.handle.in_flight()
    }

    /// Simulated model latency, in seconds.
    fn set_latency(&self, time_to_first_token: f64, per_token: f64) -> PyResult<()> {
        self.handle.set_latency(
            duration(time_to_first_token, "time_to_first_token")?,
            duration(per_token, "per_token")?,
        );
        Ok(())
    }

    /// Replaces who may call (no credentials and no tokens: anyone, unchecked).
    #[pyo3(signature = (credentials = None, bearer_tokens = None))]
    fn set_auth(
        &self,
        credentials: Option<BTreeMap<String, String>>,
        bearer_tokens: Option<Vec<String>>,
    ) {
        self.handle
            .set_auth(auth_config(credentials, bearer_tokens));
    }

    /// `http://HOST:PORT/_emulator`, the base of the control API.
    #[getter]
    fn control_url(&self) -> String {
        self.handle.control_url()
    }

    /// Removes every fault.
    fn reset_faults(&self) {
        self.handle.reset_faults();
    }

    /// No faults, recorded requests, async-invoke jobs, latency or concurrency limit.
    fn reset(&self) {
        self.handle.reset();
    }

    /// Queues a response sent verbatim to the next request: `body`, or `events` (each
    /// `(headers, payload)`, framed as event-stream messages with string headers).
    #[pyo3(signature = (status, headers, body = None, events = None))]
    fn respond_next(
        &self,
        status: u16,
        headers: Vec<(String, String)>,
        body: Option<PyBackedBytes>,
        events: Option<Vec<ScriptedEventArgs>>,
    ) -> PyResult<()> {
        let body = match (body, events) {
            (Some(body), None) => ScriptedBody::Full(Bytes::copy_from_slice(&body)),
            (None, Some(events)) => ScriptedBody::Events(
                events
                    .into_iter()
                    .map(|(headers, payload)| ScriptedEvent {
                        headers,
                        payload: Bytes::copy_from_slice(&payload),
                    })
                    .collect(),
            ),
            _ => return Err(PyValueError::new_err("pass exactly one of body and events")),
        };
        self.handle
            .respond_next(ScriptedReply {
                status,
                headers,
                body,
            })
            .map_err(PyValueError::new_err)
    }

    /// Scripted answers not yet taken.
    fn scripted_pending(&self) -> usize {
        self.handle.scripted_pending()
    }

    /// Drops every scripted answer not yet taken.
    fn clear_scripted(&self) {
        self.handle.clear_scripted();
    }

    /// Pause between stream events, in seconds, for later requests.
    fn set_event_delay(&self, seconds: f64) -> PyResult<()> {
        self.handle
            .set_event_delay(duration(seconds, "event_delay")?);
        Ok(())
    }

    /// Text deltas per streamed answer for later requests (0: natural).
    fn set_stream_deltas(&self, deltas: usize) {
        self.handle.set_stream_deltas(deltas);
    }

    fn __repr__(&self) -> String {
        format!("<EmulatorServer {}>", self.handle.endpoint_url())
    }
}

/// Registers the emulator class in the native module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<EmulatorServer>()?;
    Ok(())
}
