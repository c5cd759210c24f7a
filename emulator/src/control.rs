//! The control API: JSON endpoints under `/_emulator/` to inspect and steer a running emulator
//! from any language or process (the Python binding calls the same code directly).
//! Control requests are neither authenticated, counted, recorded nor faulted.
//!
//! | method and path | body / answer |
//! |---|---|
//! | `GET /_emulator/faults` | `{"faults": [fault, ...]}` |
//! | `POST /_emulator/faults` | a fault, or a list of them (see [`Fault::from_json`]) |
//! | `DELETE /_emulator/faults` | removes every fault |
//! | `GET /_emulator/requests` | `{"requests": [{"method", "path", "query", "headers", "body_base64", "fault", "auth_error"}]}` |
//! | `DELETE /_emulator/requests` | forgets recorded requests |
//! | `POST /_emulator/reset` | no faults, requests, jobs, latency, concurrency limit, quotas or usage |
//! | `GET`/`PUT /_emulator/latency` | `{"time_to_first_token": s, "per_token": s}` |
//! | `GET`/`PUT /_emulator/concurrency` | `{"limit": n}` (`null` or 0: none) |
//! | `PUT /_emulator/seed` | `{"seed": n}`: which requests fractional faults pick |
//! | `GET /_emulator/quota` | `{"quotas": [quota, ...], "time_scale": x, "default_region": r}` |
//! | `PUT /_emulator/quota` | a quota `{"model_id", "region", "requests_per_minute", "tokens_per_minute"}`, a list of them, or `{"quotas": [...], "time_scale": x, "default_region": r}` (each member optional) |
//! | `DELETE /_emulator/quota` | removes every quota |
//! | `GET /_emulator/usage` | `{"usage": {region: {model_id: {"requests", "throttled", "errors", "input_tokens", "output_tokens"}}}}` |
//! | `DELETE /_emulator/usage` | forgets the usage counters |
//!
//! `PUT` and `POST` are interchangeable on every endpoint that takes either.
//! Errors are `400 {"message": "..."}`; an unknown path is `404`, a known path with a method
//! it does not take `405` with an `Allow` header.

use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::http::request::Parts;
use hyper::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::eventstream::ResponseBody;
use crate::faults::Fault;
use crate::quota::Quota;
use crate::recorder::RecordedRequest;
use crate::server::{collect, Shared};

/// The reserved path prefix.
pub const PREFIX: &str = "/_emulator";

pub(crate) fn is_control(path: &str) -> bool {
    path == PREFIX || path.starts_with("/_emulator/")
}

fn answer(status: u16, value: &Value) -> Response<ResponseBody> {
    let body = serde_json::to_vec(value).unwrap_or_default();
    let mut response = Response::new(ResponseBody::full(Bytes::new()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    *response.body_mut() = ResponseBody::full(body);
    response
}

fn bad(message: impl Into<String>) -> Response<ResponseBody> {
    answer(400, &json!({"message": message.into()}))
}

/// A recorded request as JSON (the body in base64, since it may be binary).
pub fn request_json(r: &RecordedRequest) -> Value {
    json!({
        "method": r.method,
        "path": r.path,
        "query": r.query,
        "headers": r.headers.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
        "body_base64": aws_smithy_types::base64::encode(&r.body),
        "fault": r.fault,
        "auth_error": r.auth_error,
    })
}

fn seconds(value: &Value, name: &str) -> Result<Duration, String> {
    match value.get(name) {
        None | Some(Value::Null) => Ok(Duration::ZERO),
        Some(v) => v
            .as_f64()
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
            .ok_or_else(|| format!("{name} must be a finite number of seconds >= 0")),
    }
}

/// The quota settings as `GET /_emulator/quota` answers them.
pub(crate) fn quota_json(shared: &Shared) -> Value {
    let quotas: Vec<Value> = shared.quotas.list().iter().map(Quota::to_json).collect();
    json!({
        "quotas": quotas,
        "time_scale": shared.quotas.time_scale(),
        "default_region": &*shared.default_region(),
    })
}

/// Applies `PUT /_emulator/quota`: one quota, a list of them, or an object with any of
/// `quotas`, `time_scale` and `default_region`; all or nothing. Returns how many quotas.
pub(crate) fn set_quotas(shared: &Shared, body: &Value) -> Result<usize, String> {
    let settings = ["quotas", "time_scale", "default_region"];
    let (specs, scale, region) = match body {
        Value::Array(items) => (items.iter().collect::<Vec<_>>(), None, None),
        Value::Object(obj) if obj.keys().any(|k| settings.contains(&k.as_str())) => {
            if let Some(k) = obj.keys().find(|k| !settings.contains(&k.as_str())) {
                return Err(format!("unknown quota setting {k:?}"));
            }
            let specs = match obj.get("quotas") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(items)) => items.iter().collect(),
                Some(_) => return Err("quotas must be a list".into()),
            };
            let scale = match obj.get("time_scale") {
                None | Some(Value::Null) => None,
                Some(v) => Some(
                    v.as_f64()
                        .filter(|x| x.is_finite() && *x > 0.0)
                        .ok_or("time_scale must be a number > 0")?,
                ),
            };
            let region = match obj.get("default_region") {
                None | Some(Value::Null) => None,
                Some(Value::String(r)) if !r.is_empty() => Some(r.as_str()),
                Some(_) => return Err("default_region must be a non-empty string".into()),
            };
            (specs, scale, region)
        }
        one => (vec![one], None, None),
    };
    let quotas = specs
        .into_iter()
        .map(Quota::from_json)
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(scale) = scale {
        shared.quotas.set_time_scale(scale)?;
    }
    if let Some(region) = region {
        shared.set_default_region(region);
    }
    let n = quotas.len();
    for q in quotas {
        shared.quotas.set(q);
    }
    Ok(n)
}

/// Adds the faults in `body` (one object or a list); all or none.
pub(crate) fn add_faults(shared: &Shared, body: &Value) -> Result<usize, String> {
    let specs = match body {
        Value::Array(items) => items.iter().collect::<Vec<_>>(),
        one => vec![one],
    };
    let faults = specs
        .into_iter()
        .map(Fault::from_json)
        .collect::<Result<Vec<_>, _>>()?;
    let n = faults.len();
    for f in faults {
        shared.faults.add(f);
    }
    Ok(n)
}

pub(crate) async fn handle(
    shared: &Shared,
    parts: &Parts,
    body: Incoming,
) -> Response<ResponseBody> {
    let body = match collect(shared, body).await {
        Ok(b) => b,
        Err(e) => return bad(e.message),
    };
    let json_body = || -> Result<Value, String> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(json!({}));
        }
        serde_json::from_slice(&body).map_err(|e| format!("the body is not JSON: {e}"))
    };
    let path = parts.uri.path().trim_end_matches('/');
    // PUT and POST are one verb here: each endpoint that sets something takes either.
    let method = if parts.method == Method::PUT {
        &Method::POST
    } else {
        &parts.method
    };
    let endpoint = path.strip_prefix(PREFIX).unwrap_or("");
    match (method, endpoint) {
        (&Method::GET, "/faults") => {
            let faults: Vec<Value> = shared.faults.list().iter().map(Fault::to_json).collect();
            answer(200, &json!({ "faults": faults }))
        }
        (&Method::POST, "/faults") => match json_body().and_then(|v| add_faults(shared, &v)) {
            Ok(n) => answer(200, &json!({ "added": n })),
            Err(e) => bad(e),
        },
        (&Method::DELETE, "/faults") => {
            shared.faults.clear();
            answer(200, &json!({}))
        }
        (&Method::GET, "/requests") => {
            let requests: Vec<Value> = shared
                .recorder
                .snapshot()
                .iter()
                .map(request_json)
                .collect();
            answer(
                200,
                &json!({ "requests": requests, "total": shared.recorder.total() }),
            )
        }
        (&Method::DELETE, "/requests") => {
            shared.recorder.clear();
            answer(200, &json!({}))
        }
        (&Method::POST, "/reset") => {
            shared.reset();
            answer(200, &json!({}))
        }
        (&Method::GET, "/latency") => {
            let (first, per) = shared.latency();
            answer(
                200,
                &json!({"time_to_first_token": first.as_secs_f64(), "per_token": per.as_secs_f64()}),
            )
        }
        (&Method::POST, "/latency") => match json_body() {
            Ok(v) => match (seconds(&v, "time_to_first_token"), seconds(&v, "per_token")) {
                (Ok(first), Ok(per)) => {
                    shared.set_latency(first, per);
                    answer(200, &json!({}))
                }
                (Err(e), _) | (_, Err(e)) => bad(e),
            },
            Err(e) => bad(e),
        },
        (&Method::GET, "/concurrency") => {
            let limit = shared.concurrency_limit.load(Ordering::Relaxed);
            answer(
                200,
                &json!({"limit": (limit > 0).then_some(limit), "in_flight": shared.in_flight.load(Ordering::Relaxed)}),
            )
        }
        (&Method::POST, "/concurrency") => match json_body() {
            Ok(v) => match v.get("limit") {
                None | Some(Value::Null) => {
                    shared.concurrency_limit.store(0, Ordering::Relaxed);
                    answer(200, &json!({}))
                }
                Some(n) => match n.as_u64().and_then(|n| usize::try_from(n).ok()) {
                    Some(n) => {
                        shared.concurrency_limit.store(n, Ordering::Relaxed);
                        answer(200, &json!({}))
                    }
                    None => bad("limit must be an integer >= 0 or null"),
                },
            },
            Err(e) => bad(e),
        },
        (&Method::GET, "/quota") => answer(200, &quota_json(shared)),
        (&Method::POST, "/quota") => match json_body().and_then(|v| set_quotas(shared, &v)) {
            Ok(n) => answer(200, &json!({ "set": n })),
            Err(e) => bad(e),
        },
        (&Method::DELETE, "/quota") => {
            shared.quotas.clear();
            answer(200, &json!({}))
        }
        (&Method::GET, "/usage") => answer(200, &json!({ "usage": shared.quotas.usage_json() })),
        (&Method::DELETE, "/usage") => {
            shared.quotas.clear_usage();
            answer(200, &json!({}))
        }
        (&Method::POST, "/seed") => match json_body() {
            Ok(v) => match v.get("seed").and_then(Value::as_u64) {
                Some(seed) => {
                    shared.faults.set_seed(seed);
                    answer(200, &json!({}))
                }
                None => bad("seed must be an integer >= 0"),
            },
            Err(e) => bad(e),
        },
        _ => match allowed(endpoint) {
            Some(allow) => {
                let mut response = answer(
                    405,
                    &json!({"message": format!(
                        "{} {}: this control endpoint takes {allow}",
                        parts.method,
                        parts.uri.path(),
                    )}),
                );
                response
                    .headers_mut()
                    .insert(hyper::header::ALLOW, HeaderValue::from_static(allow));
                response
            }
            None => answer(
                404,
                &json!({"message": format!(
                    "no control endpoint {} {} (endpoints: {})",
                    parts.method,
                    parts.uri.path(),
                    ENDPOINTS.iter().map(|(p, _)| format!("{PREFIX}{p}")).collect::<Vec<_>>().join(", ")
                )}),
            ),
        },
    }
}

/// Each control endpoint and the methods it takes.
const ENDPOINTS: [(&str, &str); 8] = [
    ("/faults", "GET, POST, PUT, DELETE"),
    ("/requests", "GET, DELETE"),
    ("/reset", "POST, PUT"),
    ("/latency", "GET, PUT, POST"),
    ("/concurrency", "GET, PUT, POST"),
    ("/seed", "PUT, POST"),
    ("/quota", "GET, PUT, POST, DELETE"),
    ("/usage", "GET, DELETE"),
];

fn allowed(endpoint: &str) -> Option<&'static str> {
    ENDPOINTS
        .iter()
        .find(|(path, _)| *path == endpoint)
        .map(|(_, methods)| *methods)
}
