//! What the emulator's handle and its server thread share: recorder, faults, jobs, pacing,
//! latency, quotas, credentials and the request ids.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use hyper::http::request::Parts;

use crate::auth::{self, AuthConfig};
use crate::faults::FaultRegistry;
use crate::ops::async_invoke::AsyncJobs;
use crate::pacing::Pacer;
use crate::quota::Quotas;
use crate::recorder::{RecordedRequest, Recorder};
use crate::scripted::ScriptedReplies;
use crate::text::{mix64, uuid_like};

/// State shared by the handle and the server thread.
#[derive(Debug)]
pub(crate) struct Shared {
    pub recorder: Recorder,
    pub faults: FaultRegistry,
    pub jobs: AsyncJobs,
    pub event_delay_us: AtomicU64,
    pub stream_deltas: AtomicUsize,
    pub max_body_bytes: usize,
    /// Who may call (nobody is checked when it is empty).
    pub auth: RwLock<Arc<AuthConfig>>,
    /// Requests being served (received and not yet fully answered).
    pub in_flight: Arc<AtomicUsize>,
    /// More requests in flight than this are throttled (0: no limit).
    pub concurrency_limit: AtomicUsize,
    /// Simulated latency: before the first event or the whole answer...
    pub first_token_us: AtomicU64,
    /// ...and per output token (non-streaming) or between events (streams).
    pub per_token_us: AtomicU64,
    /// Answers queued by tests, served before any operation's own answer.
    pub scripted: ScriptedReplies,
    /// Requests- and tokens-per-minute quotas, and usage, per Region and model id.
    pub quotas: Quotas,
    /// The clock paced stream events are sent on (driven by the server's runtime).
    pub pacer: Arc<Pacer>,
    /// The Region of requests whose credential scope names none (bearer tokens, unsigned).
    default_region: RwLock<Arc<str>>,
    /// Connections accepted since start.
    pub connections: AtomicU64,
    request_nonce: u64,
    request_counter: AtomicU64,
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

impl Shared {
    pub fn new(
        record_limit: usize,
        max_body_bytes: usize,
        event_delay: Duration,
        deltas: usize,
    ) -> Self {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        Shared {
            recorder: Recorder::new(record_limit),
            faults: FaultRegistry::default(),
            jobs: AsyncJobs::default(),
            event_delay_us: AtomicU64::new(micros(event_delay)),
            stream_deltas: AtomicUsize::new(deltas),
            max_body_bytes,
            auth: RwLock::new(Arc::new(AuthConfig::default())),
            in_flight: Arc::new(AtomicUsize::new(0)),
            concurrency_limit: AtomicUsize::new(0),
            first_token_us: AtomicU64::new(0),
            per_token_us: AtomicU64::new(0),
            scripted: ScriptedReplies::default(),
            quotas: Quotas::default(),
            pacer: Arc::new(Pacer::default()),
            default_region: RwLock::new(Arc::from(DEFAULT_REGION)),
            request_nonce: mix64(
                now.as_nanos() as u64 ^ u64::from(std::process::id()).rotate_left(32),
            ),
            connections: AtomicU64::new(0),
            request_counter: AtomicU64::new(0),
        }
    }

    pub(crate) fn next_request_id(&self) -> String {
        let n = self.request_counter.fetch_add(1, Ordering::Relaxed);
        uuid_like(self.request_nonce ^ mix64(n))
    }

    pub(crate) fn event_delay(&self) -> Duration {
        Duration::from_micros(self.event_delay_us.load(Ordering::Relaxed))
    }

    pub(crate) fn auth_config(&self) -> Arc<AuthConfig> {
        Arc::clone(&self.auth.read().unwrap_or_else(|p| p.into_inner()))
    }

    pub(crate) fn set_auth(&self, config: AuthConfig) {
        *self.auth.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(config);
    }

    pub(crate) fn default_region(&self) -> Arc<str> {
        Arc::clone(
            &self
                .default_region
                .read()
                .unwrap_or_else(|p| p.into_inner()),
        )
    }

    pub(crate) fn set_default_region(&self, region: &str) {
        *self
            .default_region
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Arc::from(region);
    }

    /// The source Region of a request: its SigV4 credential scope's, else the default.
    pub(crate) fn region_of(&self, parts: &Parts) -> Arc<str> {
        auth::credential_region(parts)
            .map(Arc::from)
            .unwrap_or_else(|| self.default_region())
    }

    /// `(time to first token, per-token delay)`.
    pub(crate) fn latency(&self) -> (Duration, Duration) {
        (
            Duration::from_micros(self.first_token_us.load(Ordering::Relaxed)),
            Duration::from_micros(self.per_token_us.load(Ordering::Relaxed)),
        )
    }

    pub(crate) fn set_latency(&self, first_token: Duration, per_token: Duration) {
        self.first_token_us
            .store(micros(first_token), Ordering::Relaxed);
        self.per_token_us
            .store(micros(per_token), Ordering::Relaxed);
    }

    /// Back to a fresh state: no faults (seed 0), recorded requests, async-invoke jobs,
    /// latency, concurrency limit, quotas or usage (the time scale and default Region stay).
    pub(crate) fn reset(&self) {
        self.quotas.clear();
        self.quotas.clear_usage();
        self.faults.clear();
        self.faults.set_seed(0);
        self.recorder.clear();
        self.jobs.clear();
        self.set_latency(Duration::ZERO, Duration::ZERO);
        self.concurrency_limit.store(0, Ordering::Relaxed);
        self.scripted.clear();
    }

    pub(crate) fn save(&self, record: Option<RecordedRequest>) {
        if let Some(r) = record {
            self.recorder.record(r);
        }
    }
}

/// The Region of requests that name none, unless configured.
pub const DEFAULT_REGION: &str = "us-east-1";
