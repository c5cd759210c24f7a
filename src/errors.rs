//! The one place where failures become Python exceptions.
//!
//! A failed call is classified once, here in Rust, into a [`CallError`]: by
//! the types in the error's chain of sources, never by its text. Its
//! [`CallError::into_pyerr`] is then the only place that builds the Python
//! exception (the classes live in `bedrock_cris.exceptions`, shaped like
//! botocore's). A service's error answer goes over raw: Python parses it
//! exactly as botocore's rest-json parser does.

use std::error::Error as StdError;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyTuple};

use crate::capture::CallRecord;
use crate::ops::{CallContext, Operation};
use crate::transport;

static EXCEPTIONS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// `bedrock_cris.exceptions`, imported once.
pub fn exceptions(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    EXCEPTIONS
        .get_or_try_init(py, || {
            py.import("bedrock_cris.exceptions").map(Bound::unbind)
        })
        .map(|m| m.bind(py))
}

/// Instantiates `bedrock_cris.exceptions.<class_name>(**kwargs)` as a PyErr
/// (for failures outside a call, such as building a client).
pub fn raise_named(py: Python<'_>, class_name: &str, kwargs: &[(&str, &str)]) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let class = exceptions(py)?.getattr(class_name)?;
        let kw = PyDict::new(py);
        for (k, v) in kwargs {
            kw.set_item(k, v)?;
        }
        Ok(PyErr::from_value(class.call((), Some(&kw))?))
    };
    build().unwrap_or_else(|e| e)
}

/// `ParamValidationError` with botocore's report text.
pub fn param_validation(py: Python<'_>, report: &str) -> PyErr {
    CallError::Validation(report.to_owned()).into_pyerr(py)
}

/// A bearer token (Bedrock API key) about to go to a plain-HTTP endpoint:
/// botocore refuses (`InvalidEndpointConfigurationError`), since the token
/// would cross the network in clear text. Loopback endpoints (a local
/// emulator) are allowed: nothing leaves the machine.
#[derive(Debug)]
pub struct BearerOverPlainHttp;

impl BearerOverPlainHttp {
    /// Botocore's message.
    const MESSAGE: &'static str = "Bearer authorization requires an HTTPS endpoint.";

    /// Whether a request to `url` with this `Authorization` header is refused.
    pub fn applies(url: &str, authorization: Option<&str>) -> bool {
        let Some(rest) = url.strip_prefix("http://") else {
            return false;
        };
        if !authorization.is_some_and(|value| value.starts_with("Bearer ")) {
            return false;
        }
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host);
        let host = match host.strip_prefix('[') {
            Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
            None => host.rsplit_once(':').map_or(host, |(name, _port)| name),
        };
        let loopback = host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        !loopback
    }
}

impl std::fmt::Display for BearerOverPlainHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(Self::MESSAGE)
    }
}

impl StdError for BearerOverPlainHttp {}

/// A failed call, as botocore would report it.
pub enum CallError {
    /// The service answered with an error status.
    Service(ServiceAnswer),
    /// The request or its answer failed in transit.
    Transport {
        failure: Transport,
        endpoint_url: String,
        detail: String,
    },
    /// An exception event in the middle of a stream (`:message-type` of
    /// `exception`, or an `error` frame with its code and message).
    EventStream {
        operation: &'static str,
        exception_type: String,
        error_code: String,
        error_message: String,
        payload: Vec<u8>,
    },
    /// A stream frame that cannot be parsed (botocore.eventstream's errors).
    Frame(crate::frames::FrameError),
    /// Parameters the SDK refused to send (`ParamValidationError`).
    Validation(String),
    /// A success status whose body is not the operation's output.
    Unparsable {
        operation: &'static str,
        status: u16,
        detail: String,
    },
    /// No credentials could be resolved when the request was signed.
    NoCredentials,
    /// A bearer token for a plain-HTTP endpoint off this machine.
    BearerOverPlainHttp,
}

/// How a request failed in transit; each is one botocore exception class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `SSLError`.
    Tls,
    /// `EndpointConnectionError`.
    Connect,
    /// `ConnectTimeoutError`.
    ConnectTimeout,
    /// `ReadTimeoutError`.
    ReadTimeout,
    /// `ConnectionClosedError`.
    Closed,
    /// `ResponseStreamingError`: reading a streamed answer failed.
    StreamBody,
    /// `HTTPClientError`: anything else.
    Other,
}

/// An error answer, with what `ResponseMetadata` needs.
pub struct ServiceAnswer {
    operation: &'static str,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    attempts: u32,
    /// `MaxAttemptsReached`, if the error is one botocore retries...
    reached_if_retryable: bool,
    /// ...and whatever the error.
    reached_anyway: bool,
}

impl CallError {
    /// Classifies a failed SDK call of `Op`.
    pub fn from_sdk<Op, E>(
        error: SdkError<E, HttpResponse>,
        record: &CallRecord,
        context: &CallContext,
    ) -> Self
    where
        Op: Operation,
        E: StdError + Send + Sync + 'static,
    {
        if transport::find::<BearerOverPlainHttp>(&error).is_some() {
            return CallError::BearerOverPlainHttp;
        }
        let in_transit = |failure: Transport| CallError::Transport {
            failure,
            endpoint_url: record.url.clone(),
            detail: chain(&error),
        };
        match &error {
            SdkError::ServiceError(service) if service.raw().status().is_success() => {
                unparsable(Op::NAME, service.raw(), &error)
            }
            SdkError::ServiceError(service) => {
                ServiceAnswer::error(Op::NAME, service.raw(), record, context)
            }
            // A response that could not be read or parsed: the service's error
            // when it was one, else a broken body or an unparsable answer.
            SdkError::ResponseError(response) if response.raw().status().as_u16() >= 300 => {
                ServiceAnswer::error(Op::NAME, response.raw(), record, context)
            }
            SdkError::ResponseError(_) if transport::is_broken_body(&error) => {
                // botocore reads a streaming payload only when the caller reads
                // it, and raises ResponseStreamingError then; other answers it
                // reads at once, seeing the connection close.
                in_transit(if Op::STREAMING_BODY {
                    Transport::StreamBody
                } else {
                    Transport::Closed
                })
            }
            SdkError::ResponseError(response) => unparsable(Op::NAME, response.raw(), &error),
            SdkError::TimeoutError(_) => CallError::Transport {
                failure: Transport::ReadTimeout,
                endpoint_url: record.url.clone(),
                detail: String::new(),
            },
            _ if is_credentials_failure(&error) => CallError::NoCredentials,
            SdkError::DispatchFailure(dispatch) => {
                match transport::classify(&error, dispatch.is_timeout()) {
                    Some(failure) => in_transit(failure),
                    None if dispatch.is_io() => in_transit(Transport::Closed),
                    None => in_transit(Transport::Other),
                }
            }
            SdkError::ConstructionFailure(_) => match construction_report(&chain(&error)) {
                // The SDK refused a parameter value (an empty path member, a
                // header value with control characters): nothing was sent.
                Some(report) => CallError::Validation(report),
                None => in_transit(Transport::Other),
            },
            _ => in_transit(Transport::Other),
        }
    }

    /// The Python exception botocore raises for this failure.
    pub fn into_pyerr(self, py: Python<'_>) -> PyErr {
        self.build(py).unwrap_or_else(|e| e)
    }

    fn build(self, py: Python<'_>) -> PyResult<PyErr> {
        let module = exceptions(py)?;
        let kwargs = PyDict::new(py);
        let exception = match self {
            CallError::Service(answer) => return answer.into_pyerr(py),
            CallError::Transport {
                failure,
                endpoint_url,
                detail,
            } => {
                let (class, with_url, with_detail) = match failure {
                    Transport::Tls => ("SSLError", true, true),
                    Transport::Connect => ("EndpointConnectionError", true, false),
                    Transport::ConnectTimeout => ("ConnectTimeoutError", true, false),
                    Transport::ReadTimeout => ("ReadTimeoutError", true, false),
                    Transport::Closed => ("ConnectionClosedError", true, false),
                    Transport::StreamBody => ("ResponseStreamingError", false, true),
                    Transport::Other => ("HTTPClientError", false, true),
                };
                if with_url {
                    kwargs.set_item("endpoint_url", endpoint_url)?;
                }
                if with_detail {
                    kwargs.set_item("error", detail)?;
                }
                module.getattr(class)?.call((), Some(&kwargs))?
            }
            CallError::EventStream {
                operation,
                exception_type,
                error_code,
                error_message,
                payload,
            } => module.getattr("_event_stream_error")?.call1((
                operation,
                exception_type,
                PyBytes::new(py, &payload),
                error_code,
                error_message,
            ))?,
            CallError::Frame(frame) => {
                let class = module.getattr(frame.class_name())?;
                let arguments = frame.arguments();
                if arguments.is_empty() {
                    class.call1((frame.to_string(),))?
                } else {
                    class.call1(PyTuple::new(py, arguments)?)?
                }
            }
            CallError::Validation(report) => {
                kwargs.set_item("report", report)?;
                module
                    .getattr("ParamValidationError")?
                    .call((), Some(&kwargs))?
            }
            CallError::Unparsable {
                operation,
                status,
                detail,
            } => {
                kwargs.set_item("operation_name", operation)?;
                kwargs.set_item("status", status.to_string())?;
                kwargs.set_item("error", detail)?;
                module
                    .getattr("ResponseParserError")?
                    .call((), Some(&kwargs))?
            }
            CallError::NoCredentials => module.getattr("NoCredentialsError")?.call0()?,
            CallError::BearerOverPlainHttp => {
                kwargs.set_item("msg", BearerOverPlainHttp::MESSAGE)?;
                module
                    .getattr("InvalidEndpointConfigurationError")?
                    .call((), Some(&kwargs))?
            }
        };
        Ok(PyErr::from_value(exception))
    }
}

impl ServiceAnswer {
    fn error(
        operation: &'static str,
        raw: &HttpResponse,
        record: &CallRecord,
        context: &CallContext,
    ) -> CallError {
        let attempts = record.attempts.max(1);
        let headers = raw
            .headers()
            .iter()
            .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
            .collect();
        CallError::Service(ServiceAnswer {
            operation,
            status: raw.status().as_u16(),
            headers,
            body: raw.body().bytes().unwrap_or_default().to_vec(),
            attempts,
            reached_if_retryable: context.max_attempts_reached(attempts, true),
            reached_anyway: context.max_attempts_reached(attempts, false),
        })
    }

    /// `bedrock_cris.exceptions._service_error` parses the answer as botocore does.
    fn into_pyerr(self, py: Python<'_>) -> PyResult<PyErr> {
        let exception = exceptions(py)?.getattr("_service_error")?.call1((
            self.operation,
            self.status,
            crate::ops::headers_dict(py, &self.headers)?,
            PyBytes::new(py, &self.body),
            self.attempts,
            self.reached_if_retryable,
            self.reached_anyway,
        ))?;
        Ok(PyErr::from_value(exception))
    }
}

/// Maps a failed SDK call of `Op` to the exception botocore raises for it.
pub fn from_sdk<Op, E>(
    py: Python<'_>,
    error: SdkError<E, HttpResponse>,
    record: &CallRecord,
    context: &CallContext,
) -> PyErr
where
    Op: Operation,
    E: StdError + Send + Sync + 'static,
{
    CallError::from_sdk::<Op, E>(error, record, context).into_pyerr(py)
}

fn unparsable(
    operation: &'static str,
    raw: &HttpResponse,
    error: &(dyn StdError + 'static),
) -> CallError {
    CallError::Unparsable {
        operation,
        status: raw.status().as_u16(),
        detail: chain(error),
    }
}

/// Credentials (or a bearer token) that could not be resolved: the SDK's
/// identity resolvers fail with these types, found among the error's sources.
fn is_credentials_failure(error: &(dyn StdError + 'static)) -> bool {
    use aws_credential_types::provider::error::{CredentialsError, TokenError};
    transport::find::<CredentialsError>(error).is_some()
        || transport::find::<TokenError>(error).is_some()
}

/// The error and all its sources, as one line (the SDK nests the useful part).
fn chain(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let part = inner.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = inner.source();
    }
    text
}

/// botocore-style validation text for a request the SDK refused to build,
/// naming the parameter as boto3 does (`guardrail_identifier` is
/// `guardrailIdentifier`).
fn construction_report(text: &str) -> Option<String> {
    if let Some(at) = text.find(" was missing") {
        let name = text[..at]
            .rsplit([' ', ':'])
            .next()
            .filter(|n| !n.is_empty())?;
        return Some(format!(
            "Invalid length for parameter {}, value: 0, valid min length: 1",
            camel_case(name)
        ));
    }
    let marker = "invalid field in input: ";
    let rest = &text[text.find(marker)? + marker.len()..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let details = rest[end..].trim();
    let details = details
        .strip_prefix("(details: ")
        .and_then(|d| d.strip_suffix(')'))
        .unwrap_or(details);
    Some(format!(
        "Invalid value for parameter {}: {details}",
        camel_case(&rest[..end])
    ))
}

fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::BearerOverPlainHttp;

    #[test]
    fn bearer_tokens_go_over_https_or_loopback_only() {
        let bearer = Some("Bearer key");
        for url in [
            "http://bedrock-runtime.us-east-1.amazonaws.com/model/m/converse",
            "http://10.0.0.5:8080/model/m/converse",
            "http://user@example.com/x",
            "http://[2001:db8::1]:80/x",
        ] {
            assert!(BearerOverPlainHttp::applies(url, bearer), "{url}");
        }
        for url in [
            "https://bedrock-runtime.us-east-1.amazonaws.com/x",
            "http://127.0.0.1:4000/model/m/converse",
            "http://localhost:4000/x",
            "http://[::1]:4000/x",
            "http://127.8.9.1/x",
        ] {
            assert!(!BearerOverPlainHttp::applies(url, bearer), "{url}");
        }
        let sigv4 = Some("AWS4-HMAC-SHA256 Credential=...");
        assert!(!BearerOverPlainHttp::applies("http://10.0.0.5/x", sigv4));
        assert!(!BearerOverPlainHttp::applies("http://10.0.0.5/x", None));
    }
}
