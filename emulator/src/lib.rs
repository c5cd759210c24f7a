//! A local Amazon Bedrock Runtime server speaking the real wire protocol (rest-json routes,
//! `x-amzn-*` headers, modelled errors, `application/vnd.amazon.eventstream` streams), for
//! offline tests and benchmarks of Bedrock clients.
//!
//! ```no_run
//! let emulator = bedrock_cris_emulator::start(Default::default())?;
//! println!("endpoint: {}", emulator.endpoint_url());
//! emulator.fail("emulator-test-model", bedrock_cris_emulator::ApiError::new("ThrottlingException", "slow down"), Some(1));
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Answers are deterministic functions of the request's meaning (only `x-amzn-RequestId` and
//! `Date` vary): JSON object key order in requests never changes an answer, since clients
//! differ there (boto3 keeps the caller's order, the AWS SDK for Rust sends documents in
//! `HashMap` order). Tool inputs list the schema's `required` properties in that array's order,
//! then any others by name; anything else rendered from request objects has its keys sorted.
//! Answers are cheap to produce, and sent without artificial delay unless asked for.
//!
//! InvokeModelWithBidirectionalStream (`POST /model/{id}/invoke-with-bidirectional-stream`)
//! is served to Nova Sonic model ids (`amazon.nova-sonic-v1:0`, `amazon.nova-2-sonic-v1:0`,
//! cross-Region prefixes allowed; other models get a ValidationException) over HTTP/1.1 (a
//! chunked request body read while the chunked answer is written: what the AWS SDK for Rust's
//! default client sends to an `http://` endpoint) and over h2c (HTTP/2 prior knowledge):
//! - the answer is `200` with `application/vnd.amazon.eventstream` at once, before any input;
//! - input messages may come in SigV4 envelopes (headers `:chunk-signature`, `:date`; payload:
//!   the encoded input message; signatures checked when authentication is on) or bare (only
//!   when it is off); an envelope with an empty
//!   payload, or the end of the request body, ends the input;
//! - each input `chunk` event (`{"bytes": "<base64>"}`) is answered before the next is read,
//!   by `chunk` events whose bytes are JSON: `{"index": i, "echo": <the chunk's JSON, keys
//!   sorted>}`, and for a chunk `{"text": "..."}` also the model's answer as
//!   `{"index": i, "delta": "..."}` events then
//!   `{"index": i, "stopReason": "end_turn", "usage": {"inputTokens", "outputTokens"}}`;
//! - at the end of the input: `{"end": {"inputChunks": n, "outputChunks": m}}`, then the
//!   response ends;
//! - bytes that are not JSON, unknown event types and malformed or oversized input
//!   (`max_body_bytes` in total) are answered by a `validationException` event that ends it;
//! - the request is recorded when its input ends, its body being the event stream received;
//! - error faults answer the HTTP error instead; stream faults, the event delay and the
//!   delta-count knobs apply to the answer events as to other streams.
//!
//! Authentication (off unless [`EmulatorConfig::auth`] or [`EmulatorHandle::set_auth`] names
//! credentials or tokens): SigV4 requests are verified by recomputing the signature from the
//! received request with the known secret (canonical URI = the path as sent, URI-encoded once
//! more; sorted canonical query; the client's `SignedHeaders`; the body's SHA-256, or the
//! `x-amz-content-sha256` value; `x-amz-date` within 15 minutes; scope service `bedrock`, any
//! region); bidirectional-stream input envelopes must follow the `:chunk-signature` chain.
//! `Authorization: Bearer <token>` must name a configured token. Refusals are AWS's 403s:
//! `MissingAuthenticationTokenException`, `UnrecognizedClientException` (unknown key or token),
//! `InvalidSignatureException` (mismatch, expired, wrong scope), `IncompleteSignatureException`.
//!
//! Faults ([`Fault`], per model id or `*`, for the next N requests and/or a seeded fraction):
//! modelled errors, connection resets before the answer, a delayed first byte, a non-streaming
//! body that stalls part-way, and streams that end in an exception event, are cut, stall, end
//! inside a frame or carry a frame with a bad CRC. Besides: a concurrency quota that throttles
//! requests beyond N in flight, and simulated latency (time to first token, per-token delay).
//! Each recorded request says which fault applied to it or why authentication refused it.
//!
//! Regions and quotas: each request's source Region is its SigV4 credential scope's (bearer-
//! token and unsigned requests count toward [`EmulatorConfig::default_region`]), so one
//! emulator serves clients of every Region; faults may be limited to a Region. Quotas
//! ([`Quota`], per Region and model id or `*`) are Bedrock's requests- and tokens-per-minute
//! limits as continuously refilled buckets, answered with its exact `ThrottlingException`s;
//! [`EmulatorConfig::time_scale`] makes a quota minute pass faster (60: in one second).
//! Usage (requests, throttles, errors, tokens) is counted per Region and model id.
//! The same controls are served as JSON under `/_emulator/` (see the `control` module's table):
//! `GET|POST|DELETE /_emulator/faults`, `GET|DELETE /_emulator/requests`, `POST /_emulator/reset`,
//! `GET|PUT /_emulator/latency`, `GET|PUT /_emulator/concurrency`, `PUT /_emulator/seed`,
//! `GET|PUT|DELETE /_emulator/quota`, `GET|DELETE /_emulator/usage`.
//!
//! Scripted answers ([`EmulatorHandle::respond_next`]): a test may queue responses (status,
//! headers, a body or event-stream events) that the next requests get verbatim, in order,
//! instead of the operation's own answer; the model-wide differential tests serve random valid
//! responses generated from the service model this way.
//!
//! Conventions that need no setup:
//! - model id `emulator.error.<Code>` always answers that error (`emulator.error.ThrottlingException`);
//! - model id `emulator.deltas.<N>.<model id>` answers as `<model id>` with text long enough to
//!   stream in exactly `N` text deltas (and the same text from the non-streaming operations).

mod auth;
mod canonical;
mod control;
mod duplex;
mod errors;
mod eventstream;
mod faults;
mod generate;
mod model_id;
mod models;
mod ops;
mod pacing;
mod quota;
mod recorder;
mod reply;
mod routing;
mod scripted;
mod server;
mod spec;
mod text;
mod tls;
mod tools;

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;

pub use auth::{AuthConfig, MAX_SKEW_SECONDS, SIGNING_SERVICE};
pub use control::PREFIX as CONTROL_PREFIX;
pub use errors::{default_message, status_for_code, ApiError, MODELLED_CODES};
pub use faults::{api_error, Fault, FaultKind, StreamEnd, ANY_MODEL};
pub use model_id::MAX_DELTAS;
pub use quota::{Quota, Usage, TOO_MANY_REQUESTS, TOO_MANY_TOKENS};
pub use recorder::RecordedRequest;
pub use scripted::{ScriptedBody, ScriptedEvent, ScriptedReply};
pub use server::DEFAULT_REGION;

/// How to start the emulator. `Default` is the fast mode: ephemeral loopback port, no delays.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Where to listen; port 0 picks a free port.
    pub addr: SocketAddr,
    /// Pause between two event-stream events (0: send as fast as the socket takes them).
    pub event_delay: Duration,
    /// Text deltas per streamed answer (0: about one per four tokens, as real models do).
    pub stream_deltas: usize,
    /// How many recent requests the recorder keeps (0: record nothing, for benchmarks).
    pub record_limit: usize,
    /// Larger request bodies are refused with 413.
    pub max_body_bytes: usize,
    /// Who may call; empty (the default): anyone, unchecked.
    pub auth: AuthConfig,
    /// Quota minutes per real minute (60: a quota minute lasts one second).
    pub time_scale: f64,
    /// The Region of requests whose credential scope names none (bearer tokens, unsigned).
    pub default_region: String,
    /// Serve HTTPS (a self-signed certificate, ALPN `h2` and `http/1.1`) instead of plain
    /// HTTP/1.1 + h2c.
    pub tls: bool,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            event_delay: Duration::ZERO,
            stream_deltas: 0,
            record_limit: 1000,
            max_body_bytes: 32 * 1024 * 1024,
            auth: AuthConfig::default(),
            time_scale: 1.0,
            default_region: DEFAULT_REGION.to_string(),
            tls: false,
        }
    }
}

/// How many connections may wait to be accepted. std's 128 is too few for a burst of
/// thousands of calls: the kernel drops the extra SYNs and the client retries each after a
/// second, which a benchmark would count as the client's time to first token. The kernel caps
/// it at `net.core.somaxconn`.
const LISTEN_BACKLOG: i32 = 4096;

fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(LISTEN_BACKLOG)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// Binds `config.addr` and serves on a dedicated thread with its own tokio runtime.
/// Binding errors are returned here; the server is ready when this returns.
pub fn start(config: EmulatorConfig) -> io::Result<EmulatorHandle> {
    let listener = bind(config.addr)?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(server::Shared::new(
        config.record_limit,
        config.max_body_bytes,
        config.event_delay,
        config.stream_deltas.min(MAX_DELTAS),
    ));
    shared.set_auth(config.auth);
    shared
        .quotas
        .set_time_scale(config.time_scale)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    shared.set_default_region(&config.default_region);
    let (acceptor, certificate_pem) = match config.tls {
        true => tls::acceptor().map(|(a, pem)| (Some(a), Some(pem)))?,
        false => (None, None),
    };
    let (stop_tx, stop_rx) = oneshot::channel();
    let thread_shared = Arc::clone(&shared);
    let thread = std::thread::Builder::new()
        .name(format!("bedrock-emulator-{}", addr.port()))
        .spawn(move || server::run(listener, thread_shared, acceptor, stop_rx))?;
    Ok(EmulatorHandle {
        addr,
        shared,
        certificate_pem,
        running: Mutex::new(Some((stop_tx, thread))),
    })
}

/// A running emulator. Dropping it stops the server.
#[derive(Debug)]
pub struct EmulatorHandle {
    addr: SocketAddr,
    shared: Arc<server::Shared>,
    /// The self-signed certificate when serving TLS (for a client's CA bundle).
    certificate_pem: Option<String>,
    running: Mutex<Option<(oneshot::Sender<()>, JoinHandle<()>)>>,
}

impl EmulatorHandle {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT` (`https://` with TLS), for a client's `endpoint_url`.
    pub fn endpoint_url(&self) -> String {
        let scheme = if self.certificate_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// The certificate a TLS emulator serves, in PEM (a client's CA bundle); None without TLS.
    pub fn certificate_pem(&self) -> Option<&str> {
        self.certificate_pem.as_deref()
    }

    /// How many connections the server has accepted since start (HTTP/2 multiplexes many
    /// requests over one).
    pub fn connections_accepted(&self) -> u64 {
        self.shared.connections.load(Ordering::Relaxed)
    }

    /// Whether the server thread is still serving.
    pub fn is_running(&self) -> bool {
        self.running
            .lock()
            .map(|r| r.as_ref().is_some_and(|(_, t)| !t.is_finished()))
            .unwrap_or(false)
    }

    /// Stops accepting, drops open connections (stalled streams included) and joins the
    /// server thread. Idempotent.
    pub fn shutdown(&self) {
        let running = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some((stop, thread)) = running {
            let _ = stop.send(());
            let _ = thread.join();
        }
    }

    /// The most recent requests (up to `record_limit`), oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.recorder.snapshot()
    }

    /// How many requests arrived since start, recorded or not.
    pub fn request_count(&self) -> u64 {
        self.shared.recorder.total()
    }

    /// Forgets recorded requests.
    pub fn clear_requests(&self) {
        self.shared.recorder.clear();
    }

    /// Makes `model_id` (as sent, its bare foundation-model id, or [`ANY_MODEL`]) answer
    /// `error`; `times`: `None` forever, `Some(n)` the next `n` requests.
    pub fn fail(&self, model_id: &str, error: ApiError, times: Option<u32>) {
        self.add_fault(Fault {
            remaining: times,
            ..Fault::new(model_id, FaultKind::Error(error))
        });
    }

    /// Makes streams of `model_id` send `after_events` events, then end as `end` says.
    pub fn fail_stream(
        &self,
        model_id: &str,
        after_events: usize,
        end: StreamEnd,
        times: Option<u32>,
    ) {
        self.add_fault(Fault {
            remaining: times,
            ..Fault::new(model_id, FaultKind::Stream { after_events, end })
        });
    }

    /// Adds a fault; the first matching fault, in the order added, applies to a request.
    pub fn add_fault(&self, fault: Fault) {
        self.shared.faults.add(fault);
    }

    /// Adds faults from their JSON form (one object or a list; see [`Fault::from_json`]),
    /// all or none; returns how many.
    pub fn add_faults_json(&self, spec: &serde_json::Value) -> Result<usize, String> {
        control::add_faults(&self.shared, spec)
    }

    /// Sets the seed that decides which requests a fault with a `fraction` picks
    /// (the same seed and faults pick the same requests).
    pub fn set_fault_seed(&self, seed: u64) {
        self.shared.faults.set_seed(seed);
    }

    /// Throttles (ThrottlingException) every request beyond `limit` in flight at once
    /// (`None`: no limit). A request is in flight from its arrival until its answer is sent.
    pub fn set_concurrency_limit(&self, limit: Option<usize>) {
        self.shared
            .concurrency_limit
            .store(limit.unwrap_or(0), Ordering::Relaxed);
    }

    /// Requests being served right now.
    pub fn in_flight(&self) -> usize {
        self.shared.in_flight.load(Ordering::Relaxed)
    }

    /// Simulated model latency for later requests: a stream's first event waits
    /// `time_to_first_token` and each later event `per_token` more (on top of the event
    /// delay); a non-streaming answer waits `time_to_first_token + per_token * output tokens`.
    pub fn set_latency(&self, time_to_first_token: Duration, per_token: Duration) {
        self.shared.set_latency(time_to_first_token, per_token);
    }

    /// Replaces who may call (an empty config turns checking off).
    pub fn set_auth(&self, auth: AuthConfig) {
        self.shared.set_auth(auth);
    }

    /// Who may call.
    pub fn auth(&self) -> AuthConfig {
        (*self.shared.auth_config()).clone()
    }

    /// Sets the quota for `(quota.region, quota.model_id)` (see the `quota` module),
    /// replacing the one there was; a quota with neither limit removes it.
    pub fn set_quota(&self, quota: Quota) {
        self.shared.quotas.set(quota);
    }

    /// Applies quota settings in their JSON form (as `PUT /_emulator/quota` takes them: a
    /// quota, a list, or `{"quotas", "time_scale", "default_region"}`), all or none.
    pub fn set_quotas_json(&self, spec: &serde_json::Value) -> Result<usize, String> {
        control::set_quotas(&self.shared, spec)
    }

    /// The quota settings as JSON (as `GET /_emulator/quota` answers them).
    pub fn quotas_json(&self) -> serde_json::Value {
        control::quota_json(&self.shared)
    }

    /// The quotas in force.
    pub fn quotas(&self) -> Vec<Quota> {
        self.shared.quotas.list()
    }

    /// Removes every quota.
    pub fn clear_quotas(&self) {
        self.shared.quotas.clear();
    }

    /// Quota minutes per real minute (60: a quota minute lasts a second). Must be > 0.
    pub fn set_time_scale(&self, scale: f64) -> Result<(), String> {
        self.shared.quotas.set_time_scale(scale)
    }

    pub fn time_scale(&self) -> f64 {
        self.shared.quotas.time_scale()
    }

    /// Usage per Region and model id as JSON:
    /// `{"us-east-1": {"MODEL": {"requests", "throttled", "errors", "input_tokens", "output_tokens"}}}`.
    pub fn usage(&self) -> serde_json::Value {
        self.shared.quotas.usage_json()
    }

    /// Forgets the usage counters.
    pub fn clear_usage(&self) {
        self.shared.quotas.clear_usage();
    }

    /// The Region of requests whose credential scope names none.
    pub fn default_region(&self) -> String {
        self.shared.default_region().to_string()
    }

    pub fn set_default_region(&self, region: &str) {
        self.shared.set_default_region(region);
    }

    /// `http://HOST:PORT/_emulator`, the base of the control API.
    pub fn control_url(&self) -> String {
        format!("{}{}", self.endpoint_url(), CONTROL_PREFIX)
    }

    /// The faults still in force.
    pub fn faults(&self) -> Vec<Fault> {
        self.shared.faults.list()
    }

    /// Removes every fault.
    pub fn reset_faults(&self) {
        self.shared.faults.clear();
    }

    /// Back to a fresh state: no faults (fault seed 0), recorded requests, async-invoke jobs,
    /// latency, concurrency limit, quotas, usage or scripted answers. Authentication, the event
    /// delay, the delta count, the time scale and the default Region stay.
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Queues a response to send verbatim to the next request (see the `scripted` module):
    /// answers are taken in the order queued, one per request. Refuses what HTTP cannot carry.
    pub fn respond_next(&self, reply: ScriptedReply) -> Result<(), String> {
        reply.validate()?;
        self.shared.scripted.push(reply);
        Ok(())
    }

    /// Scripted answers not yet taken.
    pub fn scripted_pending(&self) -> usize {
        self.shared.scripted.len()
    }

    /// Drops every scripted answer not yet taken.
    pub fn clear_scripted(&self) {
        self.shared.scripted.clear();
    }

    /// Sets the pause between stream events for later requests.
    pub fn set_event_delay(&self, delay: Duration) {
        let us = u64::try_from(delay.as_micros()).unwrap_or(u64::MAX);
        self.shared.event_delay_us.store(us, Ordering::Relaxed);
    }

    /// Sets the text-delta count of later streamed answers (0: natural; capped at [`MAX_DELTAS`]).
    pub fn set_stream_deltas(&self, deltas: usize) {
        self.shared
            .stream_deltas
            .store(deltas.min(MAX_DELTAS), Ordering::Relaxed);
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}
