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
//!   the encoded input message; signatures are not checked) or bare; an envelope with an empty
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
//! Conventions that need no setup:
//! - model id `emulator.error.<Code>` always answers that error (`emulator.error.ThrottlingException`);
//! - model id `emulator.deltas.<N>.<model id>` answers as `<model id>` with text long enough to
//!   stream in exactly `N` text deltas (and the same text from the non-streaming operations).

mod canonical;
mod duplex;
mod errors;
mod eventstream;
mod faults;
mod generate;
mod model_id;
mod models;
mod ops;
mod recorder;
mod reply;
mod routing;
mod server;
mod text;
mod tools;

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;

pub use errors::{default_message, status_for_code, ApiError, MODELLED_CODES};
pub use faults::{Fault, FaultKind, StreamEnd, ANY_MODEL};
pub use model_id::MAX_DELTAS;
pub use recorder::RecordedRequest;

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
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            event_delay: Duration::ZERO,
            stream_deltas: 0,
            record_limit: 1000,
            max_body_bytes: 32 * 1024 * 1024,
        }
    }
}

/// Binds `config.addr` and serves on a dedicated thread with its own tokio runtime.
/// Binding errors are returned here; the server is ready when this returns.
pub fn start(config: EmulatorConfig) -> io::Result<EmulatorHandle> {
    let listener = TcpListener::bind(config.addr)?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(server::Shared::new(
        config.record_limit,
        config.max_body_bytes,
        config.event_delay,
        config.stream_deltas.min(MAX_DELTAS),
    ));
    let (stop_tx, stop_rx) = oneshot::channel();
    let thread_shared = Arc::clone(&shared);
    let thread = std::thread::Builder::new()
        .name(format!("bedrock-emulator-{}", addr.port()))
        .spawn(move || server::run(listener, thread_shared, stop_rx))?;
    Ok(EmulatorHandle {
        addr,
        shared,
        running: Mutex::new(Some((stop_tx, thread))),
    })
}

/// A running emulator. Dropping it stops the server.
#[derive(Debug)]
pub struct EmulatorHandle {
    addr: SocketAddr,
    shared: Arc<server::Shared>,
    running: Mutex<Option<(oneshot::Sender<()>, JoinHandle<()>)>>,
}

impl EmulatorHandle {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT`, for a client's `endpoint_url`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
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
            model_id: model_id.to_string(),
            kind: FaultKind::Error(error),
            remaining: times,
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
            model_id: model_id.to_string(),
            kind: FaultKind::Stream { after_events, end },
            remaining: times,
        });
    }

    /// Adds a fault; the first matching fault, in the order added, applies to a request.
    pub fn add_fault(&self, fault: Fault) {
        self.shared.faults.add(fault);
    }

    /// The faults still in force.
    pub fn faults(&self) -> Vec<Fault> {
        self.shared.faults.list()
    }

    /// Removes every fault.
    pub fn reset_faults(&self) {
        self.shared.faults.clear();
    }

    /// Back to a fresh state: no faults, no recorded requests, no async-invoke jobs.
    pub fn reset(&self) {
        self.reset_faults();
        self.clear_requests();
        self.shared.jobs.clear();
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
