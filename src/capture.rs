//! Captures what boto3 exposes but the SDK's typed outputs do not: the raw
//! response status and headers (`ResponseMetadata`), the attempt count
//! (`RetryAttempts`), the request URL (transport error messages) and, for
//! non-streaming answers, the raw body (document key order); event-stream
//! answers get a tap that keeps each event's own frame ([`crate::frames`]).
//!
//! One interceptor is registered on every client; it writes into a record
//! scoped to the calling task with a tokio task-local, so concurrent calls on
//! one client never see each other's data and no per-call plugin is built.

use std::sync::{Arc, Mutex};

use aws_sdk_bedrockruntime::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeDeserializationInterceptorContextMut,
    BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_sdk_bedrockruntime::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_types::body::SdkBody;

use crate::frames::FrameQueue;
use crate::sync::LockUnpoisoned;

/// What of the raw answer a call keeps besides status and headers.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    #[default]
    Nothing,
    /// The body read into memory (shared, not copied).
    Body,
    /// Each event of an event-stream body, as framed on the wire.
    Frames,
}

/// What one call saw of the wire, filled in by [`CaptureInterceptor`].
#[derive(Debug, Default)]
pub struct CallRecord {
    /// Attempts made so far (1 for a call that was not retried).
    pub attempts: u32,
    /// When the last target of a routed call refused its stream with the first event: the
    /// earlier targets' errors, chained (`__cause__`) to that refusal when iterating raises it.
    pub refused_after: Option<pyo3::PyErr>,
    /// URL of the last attempt's request.
    pub url: String,
    /// Status of the last response, 0 when none arrived.
    pub status: u16,
    /// Headers of the last response, names lower-cased, in wire order.
    pub headers: Vec<(String, String)>,
    /// What the caller wants kept (see [`recorded`]).
    keep: Keep,
    /// The last response body, when kept and read into memory.
    body: Option<SdkBody>,
    /// The event messages of the last response, when its frames are kept.
    pub frames: Option<FrameQueue>,
    /// The call's place among its client's requests in flight: a stream
    /// takes it, to hold it until the stream ends.
    pub place: Option<crate::bound::Place>,
    /// Its place in its (Region, model id) lane of `max_in_flight`, held the same way.
    pub lane: Option<crate::limiter::Slot>,
    /// A stream's first event, read before the call returned.
    pub ahead: Option<Box<crate::stream::Ahead>>,
    /// Attempts answered 429 (throttled).
    pub throttles: u32,
    /// With routes: the Region and model id that answered, and how many targets were tried.
    pub route: Option<(String, String, usize)>,
}

impl CallRecord {
    /// Retries made, as boto3 counts them in `RetryAttempts`.
    pub fn retries(&self) -> u32 {
        self.attempts.saturating_sub(1)
    }

    /// The `x-amzn-requestid` header, if the service sent one.
    pub fn request_id(&self) -> Option<&str> {
        self.header("x-amzn-requestid")
    }

    /// The raw response body, when it was kept.
    pub fn body(&self) -> Option<&[u8]> {
        self.body.as_ref().and_then(SdkBody::bytes)
    }

    /// A response header by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub type SharedRecord = Arc<Mutex<CallRecord>>;

tokio::task_local! {
    static CURRENT: SharedRecord;
}

/// Runs `future` with a fresh record that the interceptor fills in, keeping
/// of the raw answer what `keep` says.
pub async fn recorded<F: std::future::Future>(keep: Keep, future: F) -> (F::Output, CallRecord) {
    recorded_in(keep, None, future).await
}

/// As [`recorded`], for a call holding `lane`, a place in a `max_in_flight` lane: each
/// attempt starting and each throttled answer is told to it as it happens.
pub async fn recorded_in<F: std::future::Future>(
    keep: Keep,
    lane: Option<crate::limiter::Slot>,
    future: F,
) -> (F::Output, CallRecord) {
    let record = SharedRecord::new(Mutex::new(CallRecord {
        keep,
        lane,
        ..CallRecord::default()
    }));
    let output = CURRENT.scope(record.clone(), future).await;
    let record = std::mem::take(&mut *lock(&record));
    (output, record)
}

fn lock(record: &SharedRecord) -> std::sync::MutexGuard<'_, CallRecord> {
    record.lock_unpoisoned()
}

fn with_current(f: impl FnOnce(&mut CallRecord)) {
    // Outside a `recorded` scope (e.g. a user's own SDK use) there is nothing to fill.
    let _ = CURRENT.try_with(|record| f(&mut lock(record)));
}

/// Whether the calling task's call holds a place in a `max_in_flight` lane.
pub fn in_lane() -> bool {
    CURRENT
        .try_with(|record| lock(record).lane.is_some())
        .unwrap_or(false)
}

/// The interceptor every client carries; see the module docs.
#[derive(Debug, Default)]
pub struct CaptureInterceptor;

impl Intercept for CaptureInterceptor {
    fn name(&self) -> &'static str {
        "bedrock_cris::CaptureInterceptor"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        let url = request.uri().to_owned();
        if crate::errors::BearerOverPlainHttp::applies(&url, request.headers().get("authorization"))
        {
            return Err(Box::new(crate::errors::BearerOverPlainHttp));
        }
        with_current(|record| {
            record.attempts += 1;
            if let Some(lane) = record.lane.as_mut() {
                lane.attempt_started();
            }
            record.url = url;
            record.status = 0;
            record.headers.clear();
            record.body = None;
            record.frames = None;
        });
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        with_current(|record| {
            if record.keep == Keep::Frames && context.response().status().is_success() {
                let queue = FrameQueue::default();
                let body = context.response_mut().take_body();
                *context.response_mut().body_mut() = queue.tap(body);
                record.frames = Some(queue);
            }
        });
        Ok(())
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        let status = response.status().as_u16();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
            .collect();
        with_current(|record| {
            record.status = status;
            record.headers = headers;
            if status == 429 {
                record.throttles += 1;
                if let Some(lane) = record.lane.as_mut() {
                    lane.throttled();
                }
            }
        });
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // Present only for bodies read into memory (not for event streams).
        with_current(|record| {
            if record.keep == Keep::Body {
                record.body = context.response().body().try_clone();
            }
        });
        Ok(())
    }
}
