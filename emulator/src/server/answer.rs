//! Admitting and answering one request: authentication and the concurrency quota, then a
//! whole-body answer (every operation but one) or the bidirectional stream.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::http::request::Parts;
use hyper::Response;

use crate::auth::{self, Authenticated, Payload};
use crate::duplex::DuplexBody;
use crate::errors::ApiError;
use crate::eventstream::ResponseBody;
use crate::faults::{FaultKind, StreamEnd};
use crate::model_id::{resolve, ModelRef, Resolution};
use crate::ops::bidi::{self, EchoSession};
use crate::quota::{self};
use crate::recorder::RecordedRequest;
use crate::reply::{Reply, ReplyBody};
use crate::routing::Route;

use super::dispatch::{check_faults, dispatch};
use super::response::{base_response, error_response, ok_response, Pacing};
use super::{collect, ConnectionReset, Shared};

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
pub(super) async fn unary(
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
                pacer: &shared.pacer,
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
pub(super) async fn bidirectional(
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
        http_version: format!("{:?}", parts.version),
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
