//! Operations: each is written once as "prepare, send, finish"; the sync and
//! async entry points are two thin doors over the same three steps.
//!
//! - prepare (GIL held): validate and convert the kwargs into an SDK request,
//!   raising `ParamValidationError` before anything touches the network;
//! - send (GIL released): the SDK call, inside a capture scope;
//! - finish (GIL held): the boto3-shaped result dict, or the mapped exception.

use std::future::Future;
use std::pin::Pin;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::bound::InFlight;
use crate::capture::{self, CallRecord};
use crate::client::NativeClient;
use crate::{errors, runtime};

pub mod bidirectional;
pub mod invoke;
pub mod json;
pub mod routed;
pub mod streaming;

pub type SdkResult<O, E> = Result<O, SdkError<E, HttpResponse>>;
pub type Pending<O, E> = Pin<Box<dyn Future<Output = SdkResult<O, E>> + Send + 'static>>;

/// One bedrock-runtime operation as the facade exposes it.
pub trait Operation {
    /// The operation's name in the service model (used in error messages).
    const NAME: &'static str;
    /// What `finish` needs of the raw answer: the body (which members were
    /// sent, document key order) or, for event streams, each event's frame.
    const KEEP: capture::Keep;
    /// Whether the response is still being read after the call returns (event
    /// streams): such calls need connections on the shared runtime.
    const OUTLIVES_CALL: bool = false;
    /// Whether the output is a streaming blob (botocore reads it only when the
    /// caller does, so a cut body is `ResponseStreamingError`).
    const STREAMING_BODY: bool = false;
    type Output: Send + 'static;
    type Error: std::error::Error + Send + Sync + 'static;

    /// Validates and converts `params` into the SDK call to make.
    fn prepare(
        sdk: &aws_sdk_bedrockruntime::Client,
        params: &Bound<'_, PyDict>,
    ) -> PyResult<Pending<Self::Output, Self::Error>>;

    /// Streams: reads the first event before the call returns
    /// ([`crate::stream::read_ahead`]); the refusal it opened with, if any.
    fn read_ahead<'a>(
        _output: &'a mut Self::Output,
        _record: &'a mut CallRecord,
        _idle: std::time::Duration,
    ) -> impl Future<Output = Option<crate::stream::Refusal>> + Send + 'a {
        std::future::ready(None)
    }

    /// Builds the boto3-shaped result from the SDK output (a stream takes
    /// `record.place`, so the call stays in flight until the stream ends).
    fn finish<'py>(
        py: Python<'py>,
        output: Self::Output,
        record: &mut CallRecord,
        context: &CallContext,
    ) -> PyResult<Bound<'py, PyAny>>;
}

/// What `finish` needs to know of the client, copied out so the async door's
/// future does not borrow the client.
#[derive(Clone, Copy)]
pub struct CallContext {
    /// Total attempts per call (for `MaxAttemptsReached`).
    pub max_attempts: u32,
    /// Longest wait for the next event of a stream.
    pub stream_idle: std::time::Duration,
    /// botocore's standard and adaptive modes flag `MaxAttemptsReached` on
    /// any answer to the last allowed attempt, success included; its legacy
    /// mode (boto3's default) only when retries ran out.
    pub flags_last_attempt: bool,
}

impl CallContext {
    /// Whether `ResponseMetadata` says `MaxAttemptsReached: True` for a call
    /// that made `attempts` attempts, ending in a retryable error or not.
    pub fn max_attempts_reached(&self, attempts: u32, retryable: bool) -> bool {
        attempts >= self.max_attempts && (retryable || self.flags_last_attempt)
    }
}

/// The blocking door: waits with the GIL released (Ctrl-C aware). A call
/// whose answer is complete when it returns, and which no other blocking call
/// overlaps, is driven by the calling thread itself, through that thread's
/// own connections; overlapping calls share the runtime's workers.
pub fn call_sync<'py, Op: Operation>(
    client: &NativeClient,
    py: Python<'py>,
    params: &Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyAny>> {
    if let Some(plan) = routed::Call::new::<Op>(client, params)? {
        let first = Op::prepare(plan.sdk(), params)?;
        let finished = runtime::wait(py, routed::run::<Op>(plan, first))?;
        return routed::finish::<Op>(py, finished, &client.context());
    }
    let call = runtime::BlockingCall::enter();
    let here = !Op::OUTLIVES_CALL && call.alone() && runtime::can_wait_here();
    let sdk = if here {
        client.sdk_here()
    } else {
        client.sdk()
    };
    let pending = in_flight(
        client.in_flight().clone(),
        Op::prepare(&sdk, params)?,
        Op::KEEP,
    );
    let (result, record) = if here {
        runtime::wait_here(py, pending)?
    } else {
        runtime::wait(py, pending)?
    };
    finish::<Op>(py, result, record, &client.context())
}

/// Validates and converts `params` as a call would, and sends nothing: for
/// calls that `client.meta.events` handlers answer without a request.
pub fn validate_only<'py, Op: Operation>(
    client: &NativeClient,
    py: Python<'py>,
    params: &Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyAny>> {
    drop(Op::prepare(&client.sdk(), params)?);
    Ok(py.None().into_bound(py))
}

/// `pending` recorded, once it has a place among the client's requests in
/// flight (waiting for one counts toward no timeout).
async fn in_flight<O, E>(
    bound: InFlight,
    pending: Pending<O, E>,
    keep: capture::Keep,
) -> (SdkResult<O, E>, CallRecord) {
    let place = bound.enter().await;
    let (result, mut record) = capture::recorded(keep, pending).await;
    record.place = Some(place);
    (result, record)
}

/// The asyncio door: an awaitable of the same result; cancelling it cancels the request.
pub fn call_async<'py, Op: Operation>(
    client: &NativeClient,
    py: Python<'py>,
    params: &Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyAny>> {
    let context = client.context();
    if let Some(plan) = routed::Call::new::<Op>(client, params)? {
        let first = Op::prepare(plan.sdk(), params)?;
        return crate::aio::complete_on_loop(py, async move {
            let finished = routed::run::<Op>(plan, first).await;
            move |py: Python<'_>| routed::finish::<Op>(py, finished, &context).map(Bound::unbind)
        });
    }
    let pending = Op::prepare(&client.sdk(), params)?;
    let bound = client.in_flight().clone();
    // The result is built on the event loop's thread, not on a worker.
    crate::aio::complete_on_loop(py, async move {
        let (result, record) = in_flight(bound, pending, Op::KEEP).await;
        move |py: Python<'_>| finish::<Op>(py, result, record, &context).map(Bound::unbind)
    })
}

fn finish<'py, Op: Operation>(
    py: Python<'py>,
    result: SdkResult<Op::Output, Op::Error>,
    mut record: CallRecord,
    context: &CallContext,
) -> PyResult<Bound<'py, PyAny>> {
    match result {
        Ok(output) => Op::finish(py, output, &mut record, context),
        Err(error) => Err(errors::from_sdk::<Op, _>(py, error, &record, context)),
    }
}

/// `ResponseMetadata` as botocore builds it for a successful call.
pub fn response_metadata<'py>(
    py: Python<'py>,
    record: &CallRecord,
    context: &CallContext,
) -> PyResult<Bound<'py, PyDict>> {
    let metadata = PyDict::new(py);
    if let Some(id) = record.request_id() {
        metadata.set_item(pyo3::intern!(py, "RequestId"), id)?;
    }
    metadata.set_item(pyo3::intern!(py, "HTTPStatusCode"), record.status)?;
    metadata.set_item(
        pyo3::intern!(py, "HTTPHeaders"),
        headers_dict(py, &record.headers)?,
    )?;
    if context.max_attempts_reached(record.attempts, false) {
        metadata.set_item(pyo3::intern!(py, "MaxAttemptsReached"), true)?;
    }
    metadata.set_item(pyo3::intern!(py, "RetryAttempts"), record.retries())?;
    if let Some((region, model_id, tried)) = &record.route {
        let route = PyDict::new(py);
        route.set_item(pyo3::intern!(py, "region"), region)?;
        route.set_item(pyo3::intern!(py, "modelId"), model_id)?;
        route.set_item(pyo3::intern!(py, "targetsTried"), tried)?;
        metadata.set_item(pyo3::intern!(py, "Route"), route)?;
    }
    Ok(metadata)
}

/// Response headers as botocore shows them: lower-case names, repeated
/// headers joined with ", " (urllib3's HTTPHeaderDict), first-seen order.
pub fn headers_dict<'py>(
    py: Python<'py>,
    headers: &[(String, String)],
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (name, value) in headers {
        match dict.get_item(name)? {
            Some(existing) => {
                let joined = format!("{}, {}", existing.extract::<String>()?, value);
                dict.set_item(name, joined)?;
            }
            None => dict.set_item(PyString::new(py, name), value)?,
        }
    }
    Ok(dict)
}

/// The result dict every operation starts from: `{'ResponseMetadata': {...}}`.
pub fn result_dict<'py>(
    py: Python<'py>,
    record: &CallRecord,
    context: &CallContext,
) -> PyResult<Bound<'py, PyDict>> {
    let result = PyDict::new(py);
    result.set_item(
        pyo3::intern!(py, "ResponseMetadata"),
        response_metadata(py, record, context)?,
    )?;
    Ok(result)
}

/// Sends a validated request: `builder.send()`, customized with the call's
/// [`CallEdits`](crate::request_edits::CallEdits) when it has any (lent
/// buffers, members the SDK lacks, handlers' headers, botocore's missing
/// default Content-Type when the third argument says the caller gave none).
/// Boxed as [`Pending`].
macro_rules! send_request {
    ($builder:expr, $bridged:expr) => {
        send_request!($builder, $bridged, true)
    };
    ($builder:expr, $bridged:expr, $content_type_given:expr) => {{
        let edits = crate::request_edits::CallEdits::new($bridged)
            .without_default_content_type($content_type_given);
        match edits.interceptor() {
            None => Box::pin($builder.send()) as _,
            Some(edits) => Box::pin($builder.customize().interceptor(edits).send()) as _,
        }
    }};
}
pub(crate) use send_request;

/// Turns the converter's validation outcome into the facade's exception.
pub fn validated<B>(
    py: Python<'_>,
    outcome: Result<B, crate::convert::ParamErrors>,
) -> PyResult<B> {
    outcome.map_err(|errors| errors::param_validation(py, &errors.report()))
}
