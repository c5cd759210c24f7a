//! Calls that do more than one SDK call's worth: those limited by `max_in_flight`, those with
//! `routes`, and streams, which are read to their first event before the call returns so
//! that an exception they open with (throttling, service unavailable ...) is retried like the
//! same error as an HTTP answer, invisibly to the caller.
//!
//! A call tries its targets in order (its own, then its routes'); at each, it waits for a
//! place in the target's (Region, model id) lane and in the client's bound, makes the SDK's
//! attempts, and for a stream reads the first event, retrying a refused stream within the
//! same attempt budget. It moves on to the next target when the answer is one another target
//! can fix (`routes::fails_over`), and stops at any other answer. With a limiter, a call
//! whose first target's lane is full starts at the first later target with a free place. Other targets are reached by
//! converting the call's arguments again (GIL held briefly) for the target's model id and an
//! SDK client of the target's Region (same credentials, endpoint URL and settings; with an
//! endpoint URL, only the signing Region changes).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_bedrockruntime::config::Region;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::{CallContext, Operation, Pending, SdkResult};
use crate::bound::InFlight;
use crate::capture::{self, CallRecord, Keep};
use crate::client::NativeClient;
use crate::limiter::{Limiter, Slot};
use crate::routes::{self, Pass, Routes, Target};
use crate::{errors, stream, transport};

/// A client's `max_in_flight` and `routes`, and its SDK clients for other Regions.
#[derive(Debug)]
pub struct Throughput {
    pub limiter: Option<Limiter>,
    pub routes: Option<Routes>,
    /// By Region, for the process that built them (a forked child builds its own).
    regional: Mutex<(u32, HashMap<String, aws_sdk_bedrockruntime::Client>)>,
}

impl Throughput {
    /// `None` when neither is configured.
    pub fn new(limiter: Option<Limiter>, routes: Option<Routes>) -> Option<Self> {
        (limiter.is_some() || routes.is_some()).then(|| Throughput {
            limiter,
            routes,
            regional: Mutex::new((std::process::id(), HashMap::new())),
        })
    }

    /// The SDK client for `region`: `own` for its own Region, else one like it built once.
    pub fn client_for(
        &self,
        own: &aws_sdk_bedrockruntime::Client,
        region: &str,
    ) -> aws_sdk_bedrockruntime::Client {
        let mut regional = self.regional.lock().unwrap_or_else(|p| p.into_inner());
        let pid = std::process::id();
        if regional.0 != pid {
            // The parent's connections are not this process's to close.
            std::mem::forget(std::mem::take(&mut regional.1));
            regional.0 = pid;
        }
        regional
            .1
            .entry(region.to_owned())
            .or_insert_with(|| {
                let config = own
                    .config()
                    .to_builder()
                    .region(Region::new(region.to_owned()))
                    .build();
                aws_sdk_bedrockruntime::Client::from_conf(config)
            })
            .clone()
    }
}

/// The operations that run a model named by `modelId`: those limits and routes apply to.
fn runs_model(operation: &str) -> bool {
    matches!(
        operation,
        "Converse" | "ConverseStream" | "InvokeModel" | "InvokeModelWithResponseStream"
    )
}

/// One call's way through its targets.
pub struct Call {
    throughput: Option<Arc<Throughput>>,
    params: Py<PyDict>,
    sdk: aws_sdk_bedrockruntime::Client,
    region: String,
    /// The called model, for operations that run one.
    model_id: Option<String>,
    bound: InFlight,
    keep: Keep,
    idle: Duration,
    max_attempts: u32,
    routed: bool,
}

impl Call {
    /// The plan for a call of `Op`, unless it is an ordinary SDK call (no limits or routes
    /// apply, and it is not a stream).
    pub fn new<Op: Operation>(
        client: &NativeClient,
        params: &Bound<'_, PyDict>,
    ) -> PyResult<Option<Self>> {
        let model = runs_model(Op::NAME);
        let throughput = client.throughput().filter(|_| model);
        if throughput.is_none() && !Op::OUTLIVES_CALL {
            return Ok(None);
        }
        let model_id = if model {
            params
                .get_item(pyo3::intern!(params.py(), "modelId"))?
                .and_then(|m| m.extract::<String>().ok())
        } else {
            None
        };
        let context = client.context();
        Ok(Some(Call {
            routed: throughput.as_ref().is_some_and(|t| t.routes.is_some()),
            throughput,
            params: params.clone().unbind(),
            sdk: client.sdk(),
            region: client.region().to_owned(),
            model_id,
            bound: client.in_flight().clone(),
            keep: Op::KEEP,
            idle: context.stream_idle,
            max_attempts: context.max_attempts,
        }))
    }

    /// The SDK client the call's first target uses.
    pub fn sdk(&self) -> &aws_sdk_bedrockruntime::Client {
        &self.sdk
    }

    fn limiter(&self) -> Option<&Limiter> {
        self.throughput
            .as_deref()
            .and_then(|t| t.limiter.as_ref())
            .filter(|_| self.model_id.is_some())
    }

    fn routes(&self) -> Option<&Routes> {
        self.throughput
            .as_deref()
            .and_then(|t| t.routes.as_ref())
            .filter(|_| self.model_id.is_some())
    }

    /// Converts the call's arguments again, for `target`.
    fn prepare<Op: Operation>(&self, target: &Target) -> PyResult<Pending<Op::Output, Op::Error>> {
        let sdk = match &self.throughput {
            Some(t) if target.region != self.region => t.client_for(&self.sdk, &target.region),
            _ => self.sdk.clone(),
        };
        Python::attach(|py| {
            let params = self.params.bind(py);
            if self.model_id.as_deref() == Some(target.model_id.as_str()) {
                Op::prepare(&sdk, params)
            } else {
                let params = params.copy()?;
                params.set_item(pyo3::intern!(py, "modelId"), &target.model_id)?;
                Op::prepare(&sdk, &params)
            }
        })
    }
}

/// A target's answer and what its attempts saw.
type Answered<O, E> = (SdkResult<O, E>, CallRecord);

/// What a target that was failed over from answered.
pub enum Earlier<E> {
    Service(Box<SdkError<E, HttpResponse>>, CallRecord),
    /// A stream that opened with a refusal (kept in its record's read-ahead).
    Stream(CallRecord),
}

/// How a call ended.
pub struct Finished<O, E> {
    result: SdkResult<O, E>,
    record: CallRecord,
    earlier: Vec<Earlier<E>>,
    /// Converting the arguments for another target failed.
    error: Option<PyErr>,
}

/// A probe's breaker is told how it went, or (dropped unfinished: cancelled) let go.
pub struct Probe<'a> {
    pub routes: Option<&'a Routes>,
    pub target: &'a Target,
}

impl Probe<'_> {
    pub fn done(self, failed: bool) {
        if let Some(routes) = self.routes {
            routes.record(self.target, failed);
        }
        std::mem::forget(self);
    }
}

impl Drop for Probe<'_> {
    fn drop(&mut self) {
        if let Some(routes) = self.routes {
            routes.abandon(self.target);
        }
    }
}

/// Runs `call` (whose first target's request is `first`) through its targets.
pub async fn run<Op: Operation>(
    call: Call,
    first: Pending<Op::Output, Op::Error>,
) -> Finished<Op::Output, Op::Error> {
    let own = Target {
        region: call.region.clone(),
        model_id: call.model_id.clone().unwrap_or_default(),
    };
    let targets = match call.routes() {
        Some(routes) => routes.targets(&own.region, &own.model_id),
        None => vec![own],
    };
    let mut spilled = first_free(call.limiter(), call.routes(), &targets);
    let start = spilled.as_ref().map_or(0, |(i, _)| *i);
    let mut first = Some(first);
    let mut earlier = Vec::new();
    let mut last: Option<Answered<Op::Output, Op::Error>> = None;
    let mut tried = 0;
    for (i, target) in targets.iter().enumerate().skip(start) {
        let pass = call.routes().map_or(Pass::Go, |r| r.pass(target));
        // Every target open: the last one is tried all the same.
        if pass == Pass::Skip && !(tried == 0 && i + 1 == targets.len()) {
            continue;
        }
        let pending = match first.take().filter(|_| i == 0) {
            Some(pending) => pending,
            None => match call.prepare::<Op>(target) {
                Ok(pending) => pending,
                Err(error) => return prepare_failed(error, last, earlier),
            },
        };
        tried += 1;
        let probe = Probe {
            routes: call.routes(),
            target,
        };
        let place = spilled.take().map(|(_, slot)| slot);
        let (result, mut record, refused) =
            match attempts::<Op>(&call, target, place, pending).await {
                Ok(done) => done,
                Err(error) => return prepare_failed(error, last, earlier),
            };
        if call.routed {
            record.route = Some((target.region.clone(), target.model_id.clone(), tried));
        }
        let failed = match &result {
            Ok(_) => refused,
            Err(error) => fails_over(error),
        };
        probe.done(failed);
        if let Some((result, record)) = last.take() {
            earlier.push(earlier_of(result, record));
        }
        if !failed {
            return Finished {
                result,
                record,
                earlier,
                error: None,
            };
        }
        last = Some((result, record));
    }
    let (result, record) = last.unwrap_or_else(|| unreachable!("a call tries one target at least"));
    Finished {
        result,
        record,
        earlier,
        error: None,
    }
}

/// With a limiter, a call whose first target's lane is full starts at the first later
/// target (closed breaker) with a free place: spare quota elsewhere is used before queueing
/// for the first. Returns that target's index and place.
pub fn first_free(
    limiter: Option<&Limiter>,
    routes: Option<&Routes>,
    targets: &[Target],
) -> Option<(usize, Slot)> {
    let (limiter, routes) = (limiter?, routes?);
    if targets.len() < 2 {
        return None;
    }
    targets.iter().enumerate().find_map(|(i, t)| {
        (i == 0 || routes.closed(t))
            .then(|| limiter.try_enter(&t.region, &t.model_id))
            .flatten()
            .map(|slot| (i, slot))
    })
}

fn earlier_of<O, E>(result: SdkResult<O, E>, record: CallRecord) -> Earlier<E> {
    match result {
        Err(error) => Earlier::Service(Box::new(error), record),
        Ok(_) => Earlier::Stream(record),
    }
}

fn prepare_failed<O, E>(
    error: PyErr,
    last: Option<Answered<O, E>>,
    mut earlier: Vec<Earlier<E>>,
) -> Finished<O, E> {
    match last {
        Some((result, record)) => Finished {
            result,
            record,
            earlier,
            error: None,
        },
        None => {
            earlier.clear();
            Finished {
                result: Err(SdkError::construction_failure("no request was made")),
                record: CallRecord::default(),
                earlier,
                error: Some(error),
            }
        }
    }
}

/// One target's attempts (`taken`: a place in its lane it already has): a place in its lane and in the client's bound, the SDK's attempts,
/// a stream's first event, and again while a stream is refused and attempts remain.
/// Returns the answer, its record (`attempts` counting every attempt at this target) and
/// whether it is a refused stream.
async fn attempts<Op: Operation>(
    call: &Call,
    target: &Target,
    mut taken: Option<Slot>,
    mut pending: Pending<Op::Output, Op::Error>,
) -> PyResult<(SdkResult<Op::Output, Op::Error>, CallRecord, bool)> {
    let mut attempts = 0;
    let mut retry = 0;
    loop {
        let lane = match (taken.take(), call.limiter()) {
            (Some(slot), _) => Some(slot),
            (None, Some(limiter)) => Some(limiter.enter(&target.region, &target.model_id).await),
            (None, None) => None,
        };
        let place = call.bound.enter().await;
        let (mut result, mut record) = capture::recorded_in(call.keep, lane, pending).await;
        record.place = Some(place);
        attempts += record.attempts;
        let refusal = match &mut result {
            Ok(output) => Op::read_ahead(output, &mut record, call.idle).await,
            Err(_) => None,
        };
        if let Some(lane) = record.lane.as_mut() {
            if refusal.as_ref().is_some_and(|r| r.throttling) {
                lane.throttled();
            }
            lane.done();
        }
        // A refused stream, or a throttled call in a lane (whose retries the SDK leaves to
        // it: see `limiter::LaneRetries`), is tried again here, with a place found anew.
        let throttled = record.lane.is_some() && result.as_ref().is_err_and(is_throttle);
        let again = refusal
            .as_ref()
            .map(|r| r.throttling)
            .or(throttled.then_some(true));
        match again {
            Some(throttling) if attempts < call.max_attempts => {
                drop((result, record));
                tokio::time::sleep(backoff(throttling, retry)).await;
                retry += 1;
                pending = call.prepare::<Op>(target)?;
            }
            _ => {
                record.attempts = attempts;
                return Ok((result, record, refusal.is_some()));
            }
        }
    }
}

/// botocore's backoff (Retry Behavior 2.1): a random share of `base * 2^retry`, at most 20 s;
/// the base 1 s for throttling, 50 ms otherwise.
fn backoff(throttling: bool, retry: u32) -> Duration {
    use std::hash::BuildHasher;
    let base = if throttling {
        Duration::from_secs(1)
    } else {
        Duration::from_millis(50)
    };
    let step = base
        .saturating_mul(1u32 << retry.min(16))
        .min(Duration::from_secs(20));
    let noise =
        std::collections::hash_map::RandomState::new().hash_one(std::time::SystemTime::now());
    step.mul_f64((noise >> 11) as f64 / (1u64 << 53) as f64)
}

/// A throttled answer (429: ThrottlingException, ModelNotReadyException).
fn is_throttle<E>(error: &SdkError<E, HttpResponse>) -> bool {
    match error {
        SdkError::ServiceError(service) => service.raw().status().as_u16() == 429,
        SdkError::ResponseError(response) => response.raw().status().as_u16() == 429,
        _ => false,
    }
}

/// Whether another target may do better than this error, which survived its retries.
pub fn fails_over<E: std::error::Error + Send + Sync + 'static>(
    error: &SdkError<E, HttpResponse>,
) -> bool {
    let answered = |raw: &HttpResponse| {
        let code = raw
            .headers()
            .get("x-amzn-errortype")
            .and_then(|v| v.split(':').next());
        routes::fails_over(code, raw.status().as_u16(), None)
    };
    match error {
        SdkError::ServiceError(service) => answered(service.raw()),
        SdkError::ResponseError(response) => answered(response.raw()),
        SdkError::TimeoutError(_) => {
            routes::fails_over(None, 0, Some(crate::errors::Transport::ReadTimeout))
        }
        SdkError::DispatchFailure(dispatch) => transport::classify(error, dispatch.is_timeout())
            .is_some_and(|f| routes::fails_over(None, 0, Some(f))),
        _ => false,
    }
}

/// The call's result for Python: the answer, or the last error with every earlier target's
/// chained to it (`__cause__`, the first target's deepest).
pub fn finish<'py, Op: Operation>(
    py: Python<'py>,
    finished: Finished<Op::Output, Op::Error>,
    context: &CallContext,
) -> PyResult<Bound<'py, PyAny>> {
    if let Some(error) = finished.error {
        return Err(error);
    }
    let mut record = finished.record;
    let mut cause: Option<PyErr> = None;
    for earlier in finished.earlier {
        let error = match earlier {
            Earlier::Service(error, record) => {
                errors::from_sdk::<Op, _>(py, *error, &record, context)
            }
            Earlier::Stream(mut record) => stream::refusal_error(py, Op::NAME, &mut record),
        };
        error.set_cause(py, cause.take());
        cause = Some(error);
    }
    match finished.result {
        Ok(output) => {
            // A stream refused by its first event raises that refusal while iterating.
            record.refused_after = cause;
            Op::finish(py, output, &mut record, context)
        }
        Err(error) => {
            let error = errors::from_sdk::<Op, _>(py, error, &record, context);
            if cause.is_some() {
                error.set_cause(py, cause);
            }
            Err(error)
        }
    }
}
