//! The HTTP server: a dedicated thread with its own current-thread tokio runtime (the emulator
//! plays a remote service, so it never shares the client's runtime), hyper's HTTP/1.1 + h2c
//! connection handling, and the dispatch from routes to operations.

use std::net::TcpListener as StdListener;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, DATE};
use hyper::http::request::Parts;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::auth::{self, AuthConfig, Authenticated, Payload};
use crate::control;
use crate::duplex::DuplexBody;
use crate::errors::ApiError;
use crate::eventstream::{corrupted, exception_frame, truncated, InFlight, ResponseBody, Tail};
use crate::faults::{FaultKind, FaultRegistry, StreamEnd};
use crate::model_id::{resolve, ModelRef, Resolution};
use crate::ops::async_invoke::AsyncJobs;
use crate::ops::bidi::{self, EchoSession};
use crate::ops::{converse, count_tokens, guardrail, invoke, ModelCtx};
use crate::quota::{self, Quotas};
use crate::recorder::{RecordedRequest, Recorder};
use crate::reply::{Reply, ReplyBody};
use crate::routing::{route, Route};
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
    /// The Region of requests whose credential scope names none (bearer tokens, unsigned).
    default_region: RwLock<Arc<str>>,
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
            default_region: RwLock::new(Arc::from(DEFAULT_REGION)),
            request_nonce: mix64(
                now.as_nanos() as u64 ^ u64::from(std::process::id()).rotate_left(32),
            ),
            request_counter: AtomicU64::new(0),
        }
    }

    fn next_request_id(&self) -> String {
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
    fn region_of(&self, parts: &Parts) -> Arc<str> {
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

    fn save(&self, record: Option<RecordedRequest>) {
        if let Some(r) = record {
            self.recorder.record(r);
        }
    }
}

/// The Region of requests that name none, unless configured.
pub const DEFAULT_REGION: &str = "us-east-1";

/// A reset fault: the service answers nothing and hyper drops the connection.
#[derive(Debug)]
pub(crate) struct ConnectionReset;

impl std::fmt::Display for ConnectionReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by fault injection")
    }
}

impl std::error::Error for ConnectionReset {}

/// Runs the accept loop on `listener` until `stop` fires, on the calling (dedicated) thread.
pub(crate) fn run(listener: StdListener, shared: Arc<Shared>, stop: oneshot::Receiver<()>) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(_) => return,
    };
    runtime.block_on(async move {
        let Ok(listener) = TcpListener::from_std(listener) else {
            return;
        };
        accept_loop(listener, shared, stop).await;
    });
    // Dropping the runtime cancels every connection task, stalled streams included.
    runtime.shutdown_background();
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, mut stop: oneshot::Receiver<()>) {
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let shared = Arc::clone(&shared);
                    tokio::spawn(async move {
                        let service = service_fn(move |req| {
                            let shared = Arc::clone(&shared);
                            async move { handle(&shared, req).await }
                        });
                        // auto::Builder serves HTTP/1.1 and h2c (prior knowledge) alike; both
                        // carry bidirectional streams (HTTP/1.1 as a chunked request body read
                        // while the chunked response is written).
                        // Connection errors (malformed HTTP, resets, cut streams) end only
                        // that connection; so does a service error (a reset fault).
                        let _ = auto::Builder::new(TokioExecutor::new())
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
        }
    }
}

async fn handle(
    shared: &Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<ResponseBody>, ConnectionReset> {
    let request_id = shared.next_request_id();
    let (parts, body) = req.into_parts();
    if control::is_control(parts.uri.path()) {
        return Ok(control::handle(shared, &parts, body).await);
    }
    shared.recorder.count();
    let (in_flight, count) = InFlight::enter(&shared.in_flight);
    let route = route(&parts.method, parts.uri.path());
    let region = shared.region_of(&parts);
    let response = if let Route::InvokeModelWithBidirectionalStream { model_id } = &route {
        // The request body is the input event stream: read as it arrives, never collected.
        bidirectional(shared, &parts, body, model_id, &region, &request_id, count).await?
    } else {
        unary(shared, &parts, body, &route, &region, &request_id, count).await?
    };
    Ok(response.map(|body| ResponseBody::Counted {
        body: Box::new(body),
        _slot: in_flight,
    }))
}

/// Reads a whole request body, within the size limit.
pub(crate) async fn collect(shared: &Shared, body: Incoming) -> Result<Bytes, ApiError> {
    match Limited::new(body, shared.max_body_bytes).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            let mut err = ApiError::validation(format!(
                "Request body exceeds the emulator's limit of {} bytes.",
                shared.max_body_bytes
            ));
            err.status = 413;
            Err(err)
        }
        Err(_) => Err(ApiError::new(
            "SerializationException",
            "Could not read the request body.",
        )),
    }
}

/// The concurrency quota's answer to one request too many.
fn over_quota(shared: &Shared, in_flight: usize) -> Option<ApiError> {
    let limit = shared.concurrency_limit.load(Ordering::Relaxed);
    (limit > 0 && in_flight > limit).then(|| {
        ApiError::new(
            "ThrottlingException",
            "Too many requests, please wait before trying again.",
        )
    })
}

/// Authentication and the concurrency quota, in the order the service applies them.
fn admit(
    shared: &Shared,
    parts: &Parts,
    payload: Payload<'_>,
    in_flight: usize,
    record: &mut Option<RecordedRequest>,
) -> Result<Authenticated, ApiError> {
    let authenticated = auth::verify(&shared.auth_config(), parts, payload).inspect_err(|e| {
        if let Some(r) = record.as_mut() {
            r.auth_error = Some(e.code.clone());
        }
    })?;
    if let Some(e) = over_quota(shared, in_flight) {
        if let Some(r) = record.as_mut() {
            r.fault = Some(format!("quota:{}", e.code));
        }
        return Err(e);
    }
    Ok(authenticated)
}

/// Every operation but the bidirectional stream: the body is read whole, then answered.
async fn unary(
    shared: &Arc<Shared>,
    parts: &Parts,
    body: Incoming,
    route: &Route,
    region: &str,
    request_id: &str,
    in_flight: usize,
) -> Result<Response<ResponseBody>, ConnectionReset> {
    let body = match collect(shared, body).await {
        Ok(body) => body,
        Err(e) => return Ok(error_response(&e, request_id)),
    };
    let mut record = shared
        .recorder
        .enabled()
        .then(|| record(parts, body.clone()));
    // Usage is counted per Region and model id for the inference operations.
    let count = |outcome: Result<(u32, u32), &str>| {
        if let Some(model_id) = route.inference_model_id() {
            shared.quotas.count(region, model_id, outcome);
        }
    };
    if let Err(e) = admit(shared, parts, Payload::Body(&body), in_flight, &mut record) {
        shared.save(record);
        count(Err(&e.code));
        return Ok(error_response(&e, request_id));
    }
    if let Some(scripted) = shared.scripted.take() {
        shared.save(record);
        return Ok(scripted.into_response(request_id));
    }
    let mut taken = None;
    let result = dispatch(shared, route, parts, &body, region, &mut taken);
    if let Some(r) = record.as_mut() {
        r.fault = match (&taken, &result) {
            (Some(kind), _) => Some(kind.label()),
            (None, Err(e)) if quota::is_quota_throttle(e) => Some(format!("quota:{}", e.code)),
            _ => None,
        };
    }
    shared.save(record);
    count(match (&result, &taken) {
        (_, Some(FaultKind::Reset)) => Err("reset"),
        (Ok((reply, _)), _) => Ok(reply.tokens),
        (Err(e), _) => Err(&e.code),
    });
    let mut stall_after = None;
    match taken {
        Some(FaultKind::Reset) => return Err(ConnectionReset),
        Some(FaultKind::Delay(d)) => tokio::time::sleep(d).await,
        Some(FaultKind::StallBody { after_bytes }) => stall_after = Some(after_bytes),
        _ => {}
    }
    Ok(match result {
        Ok((reply, tail)) => {
            let (first_token, per_token) = shared.latency();
            let first_event = match &reply.body {
                ReplyBody::Events(_) => first_token,
                ReplyBody::Full(bytes) => {
                    // The whole answer waits for its last token.
                    let tokens = u32::try_from(output_tokens(&reply, bytes)).unwrap_or(u32::MAX);
                    let wait = first_token.saturating_add(per_token.saturating_mul(tokens));
                    // Not even a zero sleep in the fast mode: it waits for the timer
                    // wheel's next turn (~1 ms), which capped sequential calls at ~1,000/s.
                    if !wait.is_zero() {
                        tokio::time::sleep(wait).await;
                    }
                    Duration::ZERO
                }
            };
            let pacing = Pacing {
                first_event,
                between_events: shared.event_delay().saturating_add(per_token),
            };
            ok_response(reply, tail, pacing, stall_after, request_id)
        }
        Err(err) => error_response(&err, request_id),
    })
}

/// The output token count of a non-streaming answer: its token header, or `usage.outputTokens`.
fn output_tokens(reply: &Reply, body: &[u8]) -> u64 {
    if let Some((_, v)) = reply
        .headers
        .iter()
        .find(|(k, _)| *k == "x-amzn-bedrock-output-token-count")
    {
        return v.parse().unwrap_or(0);
    }
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.pointer("/usage/outputTokens").and_then(|t| t.as_u64()))
        .unwrap_or(0)
}

/// InvokeModelWithBidirectionalStream: authentication, model and faults are checked up front
/// (an error is an ordinary HTTP error answer); then `200` and an event stream answering the
/// input as it comes.
async fn bidirectional(
    shared: &Arc<Shared>,
    parts: &Parts,
    body: Incoming,
    model_id: &str,
    region: &str,
    request_id: &str,
    in_flight: usize,
) -> Result<Response<ResponseBody>, ConnectionReset> {
    // The input is read later, by the answer: recorded then, or with an empty body if refused.
    let mut record = shared
        .recorder
        .enabled()
        .then(|| record(parts, Bytes::new()));
    let chain = match admit(shared, parts, Payload::Streamed, in_flight, &mut record) {
        Ok(Authenticated::SigV4(chain)) => Some(chain),
        Ok(_) => None,
        Err(e) => {
            shared.save(record);
            return Ok(error_response(&e, request_id));
        }
    };
    let mut taken = None;
    let mut start = || -> Result<(ModelRef, Option<(usize, StreamEnd)>), ApiError> {
        let model = match resolve(model_id) {
            Ok(Resolution::Model(m)) => m,
            Ok(Resolution::Error(e)) => return Err(e),
            Err(e) => {
                check_faults(shared, &[model_id], region, true, &mut taken)?;
                return Err(e);
            }
        };
        let fault = check_faults(shared, &[model_id, &model.base], region, true, &mut taken)?;
        if !bidi::supports(&model) {
            return Err(bidi::unsupported_model());
        }
        Ok((model, fault))
    };
    let started = start();
    if let Some(r) = record.as_mut() {
        r.fault = taken.as_ref().map(FaultKind::label);
    }
    match taken {
        Some(FaultKind::Reset) => {
            shared.save(record);
            return Err(ConnectionReset);
        }
        Some(FaultKind::Delay(d)) => tokio::time::sleep(d).await,
        _ => {}
    }
    Ok(match started {
        Ok((model, fault)) => {
            let deltas = model
                .deltas
                .unwrap_or_else(|| shared.stream_deltas.load(Ordering::Relaxed));
            let (_, per_token) = shared.latency();
            let duplex = DuplexBody::new(
                body,
                EchoSession::new(&model, deltas),
                fault,
                shared.event_delay().saturating_add(per_token),
                shared,
                record.unwrap_or_else(|| record_of(parts)),
                chain,
            );
            base_response(200, request_id, "application/vnd.amazon.eventstream")
                .body(ResponseBody::Duplex(Box::new(duplex)))
                .unwrap_or_else(|_| Response::new(ResponseBody::full(Bytes::new())))
        }
        Err(err) => {
            shared.save(record);
            error_response(&err, request_id)
        }
    })
}

fn record_of(parts: &Parts) -> RecordedRequest {
    record(parts, Bytes::new())
}

fn record(parts: &Parts, body: Bytes) -> RecordedRequest {
    RecordedRequest {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
        fault: None,
        auth_error: None,
    }
}

/// Takes a fault for this request (noted in `taken`): an error fault answers at once; a
/// stream fault is returned for the body to apply; the others are applied by the caller.
fn check_faults(
    shared: &Shared,
    ids: &[&str],
    region: &str,
    streaming: bool,
    taken: &mut Option<FaultKind>,
) -> Result<Option<(usize, StreamEnd)>, ApiError> {
    let kind = shared.faults.take(ids, region, streaming);
    *taken = kind.clone();
    match kind {
        Some(FaultKind::Error(e)) => Err(e),
        Some(FaultKind::Stream { after_events, end }) => Ok(Some((after_events, end))),
        _ => Ok(None),
    }
}

fn dispatch(
    shared: &Shared,
    route: &Route,
    parts: &Parts,
    body: &[u8],
    region: &str,
    taken: &mut Option<FaultKind>,
) -> Result<(Reply, Tail), ApiError> {
    let model_id = match route {
        Route::Converse { model_id }
        | Route::ConverseStream { model_id }
        | Route::InvokeModel { model_id }
        | Route::InvokeModelWithResponseStream { model_id }
        | Route::CountTokens { model_id } => model_id,
        Route::ApplyGuardrail { guardrail_id, .. } => {
            check_faults(shared, &[guardrail_id], region, false, taken)?;
            return Ok((guardrail::apply_guardrail(body)?, Tail::Finish));
        }
        Route::StartAsyncInvoke => {
            check_faults(shared, &[], region, false, taken)?;
            return Ok((shared.jobs.start(body, region)?, Tail::Finish));
        }
        Route::GetAsyncInvoke { invocation_arn } => {
            check_faults(shared, &[], region, false, taken)?;
            return Ok((shared.jobs.get(invocation_arn)?, Tail::Finish));
        }
        Route::ListAsyncInvokes => {
            check_faults(shared, &[], region, false, taken)?;
            return Ok((
                shared.jobs.list(parts.uri.query().unwrap_or(""))?,
                Tail::Finish,
            ));
        }
        Route::InvokeModelWithBidirectionalStream { .. } => {
            // `handle` serves it as a duplex stream; a collected body cannot be answered.
            return Err(ApiError::validation(
                "InvokeModelWithBidirectionalStream needs a streamed request body.",
            ));
        }
        Route::Unknown => {
            return Err(ApiError::new(
                "UnknownOperationException",
                format!(
                    "No operation matches {} {}.",
                    parts.method,
                    parts.uri.path()
                ),
            ))
        }
    };
    let streaming = route.is_streaming();
    let model = match resolve(model_id) {
        Ok(Resolution::Model(m)) => m,
        Ok(Resolution::Error(e)) => return Err(e),
        Err(e) => {
            // Faults may target ids the emulator doesn't know.
            check_faults(shared, &[model_id], region, streaming, taken)?;
            return Err(e);
        }
    };
    let stream_fault = check_faults(shared, &[model_id, &model.base], region, streaming, taken)?;
    let ctx = ModelCtx {
        model: &model,
        body,
        deltas: model
            .deltas
            .unwrap_or_else(|| shared.stream_deltas.load(Ordering::Relaxed)),
    };
    let mut reply = match route {
        Route::Converse { .. } => converse::converse(&ctx)?,
        Route::ConverseStream { .. } => converse::converse_stream(&ctx)?,
        Route::InvokeModel { .. } => invoke::invoke_model(&ctx)?,
        Route::InvokeModelWithResponseStream { .. } => invoke::invoke_stream(&ctx)?,
        _ => count_tokens::count_tokens_op(&ctx)?,
    };
    if route.inference_model_id().is_some() {
        let (input, output) = reply.tokens;
        let tokens = u64::from(input) + u64::from(output);
        shared
            .quotas
            .admit(region, &[model_id, &model.base], tokens)?;
    }
    let mut tail = Tail::Finish;
    if let (Some((after, end)), ReplyBody::Events(frames)) = (stream_fault, &mut reply.body) {
        match end {
            StreamEnd::Exception(e) => {
                frames.truncate(after);
                frames.push(exception_frame(&e));
            }
            StreamEnd::Cut => {
                frames.truncate(after);
                tail = Tail::Cut;
            }
            StreamEnd::Stall => {
                frames.truncate(after);
                tail = Tail::Stall;
            }
            StreamEnd::Truncate => {
                let next = frames.get(after).map(truncated);
                frames.truncate(after);
                frames.extend(next);
            }
            StreamEnd::CorruptCrc => {
                if let Some(frame) = frames.get_mut(after) {
                    *frame = corrupted(frame);
                }
            }
        }
    }
    Ok((reply, tail))
}

/// When stream events are sent.
#[derive(Debug, Clone, Copy)]
struct Pacing {
    first_event: Duration,
    between_events: Duration,
}

fn header_value(s: String) -> HeaderValue {
    HeaderValue::try_from(s).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

fn base_response(
    status: u16,
    request_id: &str,
    content_type: &'static str,
) -> hyper::http::response::Builder {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST))
        .header("x-amzn-RequestId", header_value(request_id.to_string()))
        .header(
            DATE,
            header_value(httpdate::fmt_http_date(SystemTime::now())),
        )
        .header(CONTENT_TYPE, HeaderValue::from_static(content_type))
}

/// A successful answer; `stall_after`: send only that many bytes of a whole body, then stall.
fn ok_response(
    reply: Reply,
    tail: Tail,
    pacing: Pacing,
    stall_after: Option<usize>,
    request_id: &str,
) -> Response<ResponseBody> {
    let mut builder = base_response(200, request_id, reply.content_type);
    for (name, value) in reply.headers {
        builder = builder.header(HeaderName::from_static(name), header_value(value));
    }
    let body = match reply.body {
        ReplyBody::Full(bytes) => {
            builder = builder.header(CONTENT_LENGTH, bytes.len());
            match stall_after {
                Some(n) => {
                    let part = Bytes::from(bytes);
                    let part = part.slice(..n.min(part.len()));
                    ResponseBody::events(vec![part], Duration::ZERO, Duration::ZERO, Tail::Stall)
                }
                None => ResponseBody::full(bytes),
            }
        }
        ReplyBody::Events(frames) => {
            ResponseBody::events(frames, pacing.first_event, pacing.between_events, tail)
        }
    };
    builder
        .body(body)
        .unwrap_or_else(|_| Response::new(ResponseBody::full(Bytes::new())))
}

fn error_response(err: &ApiError, request_id: &str) -> Response<ResponseBody> {
    let body = err.body();
    base_response(err.status, request_id, "application/json")
        .header("x-amzn-ErrorType", header_value(err.error_type_header()))
        .header(CONTENT_LENGTH, body.len())
        .body(ResponseBody::full(body))
        .unwrap_or_else(|_| Response::new(ResponseBody::full(Bytes::new())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// Every variant of `value` with one member (at any depth) replaced by `replacement`.
    fn mutations(value: &Value, replacement: &Value, out: &mut Vec<Value>) {
        match value {
            Value::Object(map) => {
                for key in map.keys() {
                    let mut changed = map.clone();
                    changed.insert(key.clone(), replacement.clone());
                    out.push(Value::Object(changed));
                    let mut inner = Vec::new();
                    mutations(&map[key], replacement, &mut inner);
                    for v in inner {
                        let mut changed = map.clone();
                        changed.insert(key.clone(), v);
                        out.push(Value::Object(changed));
                    }
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let mut inner = Vec::new();
                    mutations(item, replacement, &mut inner);
                    for v in inner {
                        let mut changed = items.clone();
                        changed[i] = v;
                        out.push(Value::Array(changed));
                    }
                }
            }
            _ => {}
        }
    }

    /// Hostile bodies (every member swapped for every JSON type) never panic and always get
    /// an answer.
    #[test]
    fn mutated_requests_never_panic() {
        let shared = Shared::new(0, 1 << 20, Duration::ZERO, 0);
        let tool = json!({"toolSpec": {"name": "t", "description": "d",
                          "inputSchema": {"json": {"type": "object", "properties": {"a": {"type": "array", "items": {"type": "string"}}}, "required": ["a"]}}}});
        let converse = json!({
            "messages": [{"role": "user", "content": [{"text": "hi t"}, {"toolResult": {"toolUseId": "x", "content": [{"text": "r"}]}}]}],
            "system": [{"text": "s"}],
            "inferenceConfig": {"maxTokens": 5, "temperature": 0.5, "stopSequences": ["a"]},
            "toolConfig": {"tools": [tool], "toolChoice": {"tool": {"name": "t"}}},
            "additionalModelRequestFields": {"thinking": {"type": "enabled"}},
        });
        let anthropic = json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 5, "system": "s",
            "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "tool_result", "content": [{"type": "text", "text": "r"}]}]}],
            "tools": [{"name": "t", "input_schema": {"type": "object"}}], "tool_choice": {"type": "tool", "name": "t"},
            "stop_sequences": ["x"], "thinking": {"type": "enabled"}});
        let cohere = json!({"texts": ["a", "b"], "input_type": "search_document", "embedding_types": ["float", "int8", "binary"],
                            "output_dimension": 256, "truncate": "NONE"});
        let mut cohere_v3 = cohere.clone();
        if let Some(obj) = cohere_v3.as_object_mut() {
            obj.remove("output_dimension");
        }
        let titan = json!({"inputText": "a", "dimensions": 256, "normalize": false, "embeddingTypes": ["float", "binary"]});
        let nova = json!({"messages": [{"role": "user", "content": [{"text": "hi"}]}], "inferenceConfig": {"max_new_tokens": 3}});
        let llama = json!({"prompt": "hi", "max_gen_len": 3, "stop": ["x"]});
        let guardrail = json!({"source": "INPUT", "content": [{"text": {"text": "blocked"}}]});
        let async_start = json!({"modelId": "amazon.nova-lite-v1:0", "modelInput": {}, "clientRequestToken": "t",
                                 "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://b/"}}});
        let count = json!({"input": {"converse": converse.clone()}});
        let cases: Vec<(&str, Value)> = vec![
            (
                "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse",
                converse.clone(),
            ),
            (
                "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream",
                converse,
            ),
            (
                "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke",
                anthropic.clone(),
            ),
            (
                "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke-with-response-stream",
                anthropic,
            ),
            ("/model/cohere.embed-v4%3A0/invoke", cohere.clone()),
            ("/model/cohere.embed-english-v3/invoke", cohere_v3),
            ("/model/amazon.titan-embed-text-v2%3A0/invoke", titan),
            (
                "/model/amazon.nova-lite-v1%3A0/invoke-with-response-stream",
                nova,
            ),
            (
                "/model/meta.llama3-8b-instruct-v1%3A0/invoke-with-response-stream",
                llama,
            ),
            (
                "/model/anthropic.claude-3-haiku-20240307-v1%3A0/count-tokens",
                count,
            ),
            ("/guardrail/g/version/1/apply", guardrail),
            ("/async-invoke", async_start),
        ];
        let replacements = [
            Value::Null,
            json!(-1),
            json!(1e300),
            json!("x"),
            json!(""),
            json!([]),
            json!({}),
            json!([{"text": 5}]),
        ];
        let mut answered = 0;
        for (path, valid) in &cases {
            let mut bodies = vec![valid.clone()];
            for r in &replacements {
                mutations(valid, r, &mut bodies);
            }
            for (i, body) in bodies.into_iter().enumerate() {
                let (parts, ()) = Request::builder()
                    .method("POST")
                    .uri(*path)
                    .body(())
                    .expect("request")
                    .into_parts();
                let bytes = serde_json::to_vec(&body).expect("json");
                let result = dispatch(
                    &shared,
                    &route(&parts.method, parts.uri.path()),
                    &parts,
                    &bytes,
                    DEFAULT_REGION,
                    &mut None,
                );
                // The unmutated request is valid.
                assert!(i > 0 || result.is_ok(), "{path}: {:?}", result.err());
                answered += 1;
            }
        }
        assert!(answered > 1000, "{answered}");
    }
}
