//! Why a stream ended early, which of those a call may retry, and the typed error each
//! becomes.

use std::error::Error as StdError;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::event_stream::RawMessage;
use pyo3::prelude::*;

use crate::capture::CallRecord;
use crate::errors::{CallError, Transport};
use crate::frames::FrameError;

/// Why a stream ended early.
pub enum Failure {
    /// An exception event (or error message) from the service.
    Service {
        exception_type: String,
        error_code: String,
        error_message: String,
        payload: Vec<u8>,
    },
    /// No event within the idle timeout.
    Timeout,
    /// The connection dropped.
    Transport(String),
    /// A frame botocore's parser refuses.
    Frame(FrameError),
}

/// An exception a stream opened with, before any event reached the caller, that another
/// attempt may not meet: throttling, service unavailable, an internal error, a model not
/// ready, or a model stream error whose original status was 429 or 5xx.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub throttling: bool,
}

impl Failure {
    pub(super) fn refusal(&self) -> Option<Refusal> {
        let Failure::Service {
            exception_type,
            error_code,
            payload,
            ..
        } = self
        else {
            return None;
        };
        let name = if exception_type.is_empty() {
            error_code
        } else {
            exception_type
        };
        let name = name.to_ascii_lowercase();
        let retryable = match name.trim_end_matches("exception") {
            "throttling" | "serviceunavailable" | "internalserver" | "modelnotready" => true,
            "modelstreamerror" => serde_json::from_slice::<serde_json::Value>(payload)
                .ok()
                .and_then(|v| v.get("originalStatusCode").and_then(|c| c.as_u64()))
                .is_some_and(|status| status == 429 || status >= 500),
            _ => false,
        };
        retryable.then(|| Refusal {
            throttling: name.starts_with("throttling"),
        })
    }
}

/// What the SDK's error for a stream says, as a [`Failure`].
pub(super) fn failure<E: StdError + Send + Sync + 'static>(
    error: SdkError<E, RawMessage>,
) -> Failure {
    if let SdkError::ServiceError(service) = &error {
        if let RawMessage::Decoded(message) = service.raw() {
            let header = |name: &str| {
                message
                    .headers()
                    .iter()
                    .find(|h| h.name().as_str() == name)
                    .and_then(|h| h.value().as_string().ok())
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default()
            };
            return Failure::Service {
                exception_type: header(":exception-type"),
                error_code: header(":error-code"),
                error_message: header(":error-message"),
                payload: message.payload().to_vec(),
            };
        }
    }
    if let Some(frame) = crate::transport::find::<FrameError>(&error) {
        return Failure::Frame(frame.clone());
    }
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    Failure::Transport(text)
}

/// What a stream's failure is, as a typed error.
pub(super) fn failure_error(
    operation: &'static str,
    endpoint_url: &str,
    failure: Failure,
) -> CallError {
    let in_transit = |failure, detail| CallError::Transport {
        failure,
        endpoint_url: endpoint_url.to_owned(),
        detail,
    };
    match failure {
        Failure::Service {
            exception_type,
            error_code,
            error_message,
            payload,
        } => CallError::EventStream {
            operation,
            exception_type,
            error_code,
            error_message,
            payload,
        },
        Failure::Timeout => in_transit(Transport::ReadTimeout, String::new()),
        Failure::Transport(text) => in_transit(Transport::StreamBody, text),
        Failure::Frame(frame) => CallError::Frame(frame),
    }
}

/// The exception of a stream that opened with a refusal (its read-ahead in `record`), as
/// iterating it would raise.
pub fn refusal_error(py: Python<'_>, operation: &'static str, record: &mut CallRecord) -> PyErr {
    match record.ahead.take().and_then(|a| a.item) {
        Some(Err(failure)) => failure_error(operation, &record.url, failure).into_pyerr(py),
        _ => pyo3::exceptions::PyRuntimeError::new_err("the stream was refused"),
    }
}
