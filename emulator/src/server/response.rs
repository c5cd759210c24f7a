//! The HTTP answers: headers every answer carries, success bodies (whole or paced events)
//! and error answers.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, DATE};
use hyper::{Response, StatusCode};

use std::sync::Arc;

use crate::errors::ApiError;
use crate::eventstream::{ResponseBody, Tail};
use crate::pacing::{Pacer, Schedule};
use crate::reply::{Reply, ReplyBody};

/// When stream events are sent.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pacing<'a> {
    pub pacer: &'a Arc<Pacer>,
    pub first_event: Duration,
    pub between_events: Duration,
}

fn header_value(s: String) -> HeaderValue {
    HeaderValue::try_from(s).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

pub(super) fn base_response(
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
pub(super) fn ok_response(
    reply: Reply,
    tail: Tail,
    pacing: Pacing<'_>,
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
                    ResponseBody::events(vec![part], None, Tail::Stall)
                }
                None => ResponseBody::full(bytes),
            }
        }
        ReplyBody::Events(frames) => {
            let paced = !(pacing.first_event.is_zero() && pacing.between_events.is_zero());
            let schedule = paced.then(|| {
                Schedule::new(
                    Arc::clone(pacing.pacer),
                    pacing.first_event,
                    pacing.between_events,
                )
            });
            ResponseBody::events(frames, schedule, tail)
        }
    };
    builder
        .body(body)
        .unwrap_or_else(|_| Response::new(ResponseBody::full(Bytes::new())))
}

pub(super) fn error_response(err: &ApiError, request_id: &str) -> Response<ResponseBody> {
    let body = err.body();
    base_response(err.status, request_id, "application/json")
        .header("x-amzn-ErrorType", header_value(err.error_type_header()))
        .header(CONTENT_LENGTH, body.len())
        .body(ResponseBody::full(body))
        .unwrap_or_else(|_| Response::new(ResponseBody::full(Bytes::new())))
}
