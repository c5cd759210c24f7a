//! The embedding pipeline: texts split into requests within the model's
//! limit, a bounded number in flight on the shared runtime, each request
//! waiting for a place in its (Region, model id) lane of the client's
//! `max_in_flight` limiter (or, without one, of the job's own adaptive one,
//! at most `max_concurrency` wide), so that throttling narrows the lane;
//! throttled requests retried with backoff, then, with the client's `routes`,
//! failed over to the next target as calls are (`ops::routed`: the same
//! breakers, and a request whose first lane is full starts at a later target
//! with a free place); answers parsed on the worker threads into per-request
//! row buffers, and those rows handed, in completion order, to a sink that
//! places them by index. Dropping the pipeline (Ctrl-C, a cancelled awaitable,
//! a failed request) aborts every request still in flight.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aws_sdk_bedrockruntime::error::ProvideErrorMetadata;
use aws_sdk_bedrockruntime::operation::invoke_model::InvokeModelError;
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use pyo3::{PyErr, Python};
use tokio::task::JoinSet;

use super::model::{request_body, BodyOptions, Layout};
use super::parse;
use super::trace::{Span, Tracer};
use crate::capture::{self, CallRecord};
use crate::limiter::{Limiter, Mode, Slot};
use crate::ops::invoke::InvokeModel;
use crate::ops::routed::{self, Probe, Throughput};
use crate::routes::{Pass, Routes, Target};
use crate::{errors, runtime};

/// First backoff after a throttled request; doubled per retry, with jitter.
const BACKOFF_BASE: Duration = Duration::from_millis(200);
/// Longest backoff.
const BACKOFF_CAP: Duration = Duration::from_secs(20);

/// One embedding job: what to send, and how.
pub struct Job {
    pub sdk: aws_sdk_bedrockruntime::Client,
    /// The client's Region, the lane's other half.
    pub region: String,
    pub model_id: String,
    pub layout: Layout,
    pub options: BodyOptions,
    pub texts: Vec<String>,
    /// Texts per request.
    pub batch_size: usize,
    /// Extra tries of a throttled request after the SDK's own retries gave up.
    pub max_retries: u32,
    /// The client's `max_in_flight` and `routes`, if it has either...
    throughput: Option<Arc<Throughput>>,
    /// ...else the job's own adaptive limiter, made by [`run`].
    own: OnceLock<Limiter>,
    /// Told of each request while OpenTelemetry instruments clients.
    trace: Option<Tracer>,
}

impl Job {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        sdk: aws_sdk_bedrockruntime::Client,
        region: String,
        throughput: Option<Arc<Throughput>>,
        model_id: String,
        layout: Layout,
        options: BodyOptions,
        texts: Vec<String>,
        batch_size: usize,
        max_retries: u32,
        trace: Option<Tracer>,
    ) -> Self {
        Job {
            trace,
            sdk,
            region,
            throughput,
            own: OnceLock::new(),
            model_id,
            layout,
            options,
            texts,
            batch_size: batch_size.max(1),
            max_retries,
        }
    }

    /// How many requests the job makes.
    pub fn batches(&self) -> usize {
        self.texts.len().div_ceil(self.batch_size)
    }

    /// The texts of request `batch`.
    pub fn range(&self, batch: usize) -> Range<usize> {
        let start = batch * self.batch_size;
        start..(start + self.batch_size).min(self.texts.len())
    }

    fn routes(&self) -> Option<&Routes> {
        self.throughput.as_deref().and_then(|t| t.routes.as_ref())
    }

    /// The targets of each request: the job's own, then its routes'.
    fn targets(&self) -> Vec<Target> {
        match self.routes() {
            Some(routes) => routes.targets(&self.region, &self.model_id),
            None => vec![Target {
                region: self.region.clone(),
                model_id: self.model_id.clone(),
            }],
        }
    }

    /// The SDK client for a target's Region.
    fn sdk_for(&self, target: &Target) -> aws_sdk_bedrockruntime::Client {
        match &self.throughput {
            Some(t) if target.region != self.region => t.client_for(&self.sdk, &target.region),
            _ => self.sdk.clone(),
        }
    }

    /// The limiter whose lane each request waits for.
    fn limiter(&self) -> &Limiter {
        match self.throughput.as_deref().and_then(|t| t.limiter.as_ref()) {
            Some(limiter) => limiter,
            None => self
                .own
                .get_or_init(|| Limiter::new(Mode::Adaptive { max: 1 })),
        }
    }
}

/// The rows of one finished request.
pub struct Done {
    pub batch: usize,
    /// `range(batch).len()` rows, little-endian, row-major.
    pub rows: Vec<u8>,
    pub input_tokens: u64,
}

/// A target's last error and what its attempts saw, or (a traced request,
/// whose span was given it) already the facade's exception.
pub enum TargetError {
    Sdk(
        Box<SdkError<InvokeModelError, HttpResponse>>,
        Box<CallRecord>,
    ),
    Raised(PyErr),
}

impl TargetError {
    /// The facade's exception for this error.
    pub fn into_pyerr(self, py: Python<'_>, context: &crate::ops::CallContext) -> PyErr {
        match self {
            Self::Sdk(error, record) => {
                errors::from_sdk::<InvokeModel, _>(py, *error, &record, context)
            }
            Self::Raised(error) => error,
        }
    }
}

/// Why a request failed for good.
pub enum Failure {
    /// The SDK call failed (after its own retries and the job's, at every target).
    Service {
        error: TargetError,
        job_retries: u32,
        /// The errors of the targets failed over from, in the order they were tried.
        earlier: Vec<TargetError>,
    },
    /// The answer did not hold the vectors asked for.
    Answer(String),
    /// A bug: the request's task panicked.
    Panic(String),
}

pub struct Failed {
    pub batch: usize,
    pub failure: Failure,
}

/// Why the pipeline stopped early.
pub enum Stop {
    Failed(Failed),
    /// The sink (a Python callback) raised.
    Python(PyErr),
}

/// Runs every request of `job`, at most `max_concurrency` at a time, handing
/// finished rows to `sink` (one call per group of requests that finished
/// together). Returns the total input tokens.
pub async fn run<S>(job: Arc<Job>, max_concurrency: usize, mut sink: S) -> Result<u64, Stop>
where
    S: FnMut(&Job, Vec<Done>) -> Result<(), PyErr>,
{
    let max_concurrency = max_concurrency.max(1);
    let _ = job.own.set(Limiter::new(Mode::Adaptive {
        max: max_concurrency,
    }));
    let mut launcher = Launcher {
        next: 0,
        total: job.batches(),
        max_concurrency,
        handle: runtime::get().handle().clone(),
        batch_of: HashMap::new(),
    };
    let mut in_flight = JoinSet::new();
    let mut input_tokens = 0u64;
    loop {
        launcher.fill(&job, &mut in_flight);
        let Some(first) = in_flight.join_next_with_id().await else {
            return Ok(input_tokens);
        };
        let mut finished = Vec::new();
        let mut joined = Some(first);
        while let Some(result) = joined.take().or_else(|| in_flight.try_join_next_with_id()) {
            match result {
                Ok((id, Ok(done))) => {
                    launcher.batch_of.remove(&id);
                    input_tokens += done.input_tokens;
                    finished.push(done);
                }
                // Returning drops `in_flight`, which aborts the other requests.
                Ok((_, Err(failed))) => return Err(Stop::Failed(failed)),
                Err(error) => {
                    let batch = launcher
                        .batch_of
                        .get(&error.id())
                        .copied()
                        .unwrap_or_default();
                    return Err(Stop::Failed(Failed {
                        batch,
                        failure: Failure::Panic(format!("the request's task failed: {error}")),
                    }));
                }
            }
        }
        // Refill before handing rows over, so the next requests are already out.
        launcher.fill(&job, &mut in_flight);
        sink(&job, finished).map_err(Stop::Python)?;
    }
}

/// Starts requests in index order, keeping at most `max_concurrency` in flight.
struct Launcher {
    next: usize,
    total: usize,
    max_concurrency: usize,
    handle: tokio::runtime::Handle,
    /// Which request each task runs (to name the texts of a panicked one).
    batch_of: HashMap<tokio::task::Id, usize>,
}

impl Launcher {
    fn fill(&mut self, job: &Arc<Job>, in_flight: &mut JoinSet<Result<Done, Failed>>) {
        while self.next < self.total && in_flight.len() < self.max_concurrency {
            let task = in_flight.spawn_on(one_request(job.clone(), self.next), &self.handle);
            self.batch_of.insert(task.id(), self.next);
            self.next += 1;
        }
    }
}

async fn one_request(job: Arc<Job>, batch: usize) -> Result<Done, Failed> {
    let range = job.range(batch);
    let rows = range.len();
    let body = request_body(&job.layout, &job.texts[range], &job.options);
    let targets = job.targets();
    let routes = job.routes();
    let mut spilled = routed::first_free(Some(job.limiter()), routes, &targets);
    let start = spilled.as_ref().map_or(0, |(i, _)| *i);
    let mut earlier: Vec<TargetError> = Vec::new();
    let mut last: Option<(TargetError, u32)> = None;
    let mut tried = 0;
    for (i, target) in targets.iter().enumerate().skip(start) {
        let pass = routes.map_or(Pass::Go, |r| r.pass(target));
        // Every target open: the last one is tried all the same.
        if pass == Pass::Skip && !(tried == 0 && i + 1 == targets.len()) {
            continue;
        }
        tried += 1;
        let probe = Probe { routes, target };
        let place = spilled.take().map(|(_, slot)| slot);
        let (error, job_retries, fails_over) =
            match at_target(&job, target, place, &body, rows, batch).await {
                Ok(done) => {
                    probe.done(false);
                    return done;
                }
                Err(failed) => failed,
            };
        probe.done(fails_over);
        if let Some((error, _)) = last.take() {
            earlier.push(error);
        }
        last = Some((error, job_retries));
        if !fails_over {
            break;
        }
    }
    let (error, job_retries) =
        last.unwrap_or_else(|| unreachable!("a request tries one target at least"));
    Err(Failed {
        batch,
        failure: Failure::Service {
            error,
            job_retries,
            earlier,
        },
    })
}

/// A target's last error, the job's retries there, and whether it fails over.
type TargetFailed = (TargetError, u32, bool);

/// One target's attempts at a request (`taken`: a place in its lane it already has): the
/// SDK's, then the job's own retries of a throttle. The answer's rows (or why the answer
/// holds none), else the target's failure.
async fn at_target(
    job: &Job,
    target: &Target,
    mut taken: Option<Slot>,
    body: &[u8],
    rows: usize,
    batch: usize,
) -> Result<Result<Done, Failed>, TargetFailed> {
    let sdk = job.sdk_for(target);
    let mut job_retries = 0;
    loop {
        let lane = match taken.take() {
            Some(slot) => slot,
            None => job.limiter().enter(&target.region, &target.model_id).await,
        };
        let span = job.trace.as_ref().map(|trace| trace.begin(body));
        let send = sdk
            .invoke_model()
            .model_id(&target.model_id)
            .content_type("application/json")
            .accept("application/json")
            .body(Blob::new(body.to_vec()))
            .send();
        let (result, mut record) =
            capture::recorded_in(capture::Keep::Nothing, Some(lane), send).await;
        if let Some(mut lane) = record.lane.take() {
            lane.done();
        }
        match result {
            Ok(output) => {
                let mut out = vec![0u8; rows * job.layout.row_bytes()];
                let parsed = parse::answer_into(&job.layout, output.body.as_ref(), rows, &mut out);
                if let Some(span) = span {
                    // The call succeeded, as boto3's would, whatever the rows.
                    span.succeeded(output, &mut record);
                }
                let body_tokens = match parsed {
                    Ok(tokens) => tokens,
                    Err(message) => {
                        return Ok(Err(Failed {
                            batch,
                            failure: Failure::Answer(message),
                        }))
                    }
                };
                let input_tokens = record
                    .header("x-amzn-bedrock-input-token-count")
                    .and_then(|v| v.trim().parse().ok())
                    .or(body_tokens)
                    .unwrap_or(0);
                return Ok(Ok(Done {
                    batch,
                    rows: out,
                    input_tokens,
                }));
            }
            Err(error) => {
                let retry = job_retries < job.max_retries && is_throttling(&error);
                let fails_over = routed::fails_over(&error);
                let failure = target_error(span, error, record);
                if !retry {
                    return Err((failure, job_retries, fails_over));
                }
                drop(failure);
                tokio::time::sleep(backoff(job_retries)).await;
                job_retries += 1;
            }
        }
    }
}

/// A target's error; a traced request's span is ended with its exception.
fn target_error(
    span: Option<Span<'_>>,
    error: SdkError<InvokeModelError, HttpResponse>,
    record: CallRecord,
) -> TargetError {
    match span {
        None => TargetError::Sdk(Box::new(error), Box::new(record)),
        Some(span) => Python::attach(|py| {
            let error = errors::from_sdk::<InvokeModel, _>(py, error, &record, span.context());
            span.failed(py, &error);
            TargetError::Raised(error)
        }),
    }
}

/// Errors that mean "too much, too soon": worth waiting and trying again.
fn is_throttling(error: &SdkError<InvokeModelError, HttpResponse>) -> bool {
    match error {
        SdkError::ServiceError(service) => {
            service.raw().status().as_u16() == 429
                || matches!(
                    service.err().code(),
                    Some(
                        "ThrottlingException"
                            | "ServiceUnavailableException"
                            | "ModelNotReadyException"
                    )
                )
        }
        _ => false,
    }
}

/// Exponential backoff with "equal jitter": half the step fixed, half random,
/// so concurrent requests throttled together do not come back together.
fn backoff(retry: u32) -> Duration {
    use std::hash::BuildHasher;
    let step = BACKOFF_BASE
        .saturating_mul(1u32 << retry.min(16))
        .min(BACKOFF_CAP);
    let noise =
        std::collections::hash_map::RandomState::new().hash_one(std::time::SystemTime::now());
    let unit = (noise >> 11) as f64 / (1u64 << 53) as f64;
    step / 2 + (step / 2).mul_f64(unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        for retry in 0..20 {
            let step = BACKOFF_BASE
                .saturating_mul(1u32 << retry.min(16))
                .min(BACKOFF_CAP);
            let delay = backoff(retry);
            assert!(delay >= step / 2 && delay <= step, "{retry}: {delay:?}");
        }
    }
}
