//! The one place where SDK failures become Python exceptions.
//!
//! The exception classes live in `bedrock_cris.exceptions` (Python, shaped like
//! botocore's); service errors are parsed there from the raw response exactly
//! as botocore's rest-json parser does. This module only classifies the SDK
//! error and hands over the raw material.

use std::error::Error as StdError;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyList, PyTuple};

use crate::capture::CallRecord;
use crate::ops::CallContext;
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

/// Instantiates `bedrock_cris.exceptions.<class_name>(**kwargs)` as a PyErr.
pub fn raise_named(py: Python<'_>, class_name: &str, kwargs: &[(&str, &str)]) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let class = exceptions(py)?.getattr(class_name)?;
        let kw = pyo3::types::PyDict::new(py);
        for (k, v) in kwargs {
            kw.set_item(k, v)?;
        }
        Ok(PyErr::from_value(class.call((), Some(&kw))?))
    };
    build().unwrap_or_else(|e| e)
}

/// `ParamValidationError` with botocore's report text.
pub fn param_validation(py: Python<'_>, report: &str) -> PyErr {
    raise_named(py, "ParamValidationError", &[("report", report)])
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

/// Maps a failed SDK call to the exception botocore raises for the same failure.
pub fn from_sdk<E>(
    py: Python<'_>,
    operation: &str,
    error: SdkError<E, HttpResponse>,
    record: &CallRecord,
    context: &CallContext,
) -> PyErr
where
    E: StdError + Send + Sync + 'static,
{
    if transport::find::<BearerOverPlainHttp>(&error).is_some() {
        let message = BearerOverPlainHttp::MESSAGE;
        return raise_named(py, "InvalidEndpointConfigurationError", &[("msg", message)]);
    }
    let result = match &error {
        SdkError::ServiceError(service) if service.raw().status().is_success() => {
            // A success status whose body does not parse as the operation's output.
            Ok(unparsable(py, operation, service.raw(), &chain(&error)))
        }
        SdkError::ServiceError(service) => {
            service_error(py, operation, service.raw(), record, context)
        }
        SdkError::ResponseError(response) => {
            // A response that could not be read or parsed: the service's error
            // when it was one, else a broken body or an unparsable answer.
            let raw = response.raw();
            if raw.status().as_u16() >= 300 {
                service_error(py, operation, raw, record, context)
            } else if transport::is_broken_body(&error) {
                Ok(transport_for(
                    py,
                    "body",
                    &record.url,
                    &chain(&error),
                    operation,
                ))
            } else {
                Ok(unparsable(py, operation, raw, &chain(&error)))
            }
        }
        SdkError::TimeoutError(_) => Ok(transport(py, "read_timeout", &record.url, "")),
        SdkError::DispatchFailure(dispatch) => {
            let text = chain(&error);
            let kind = match transport::classify(&error, dispatch.is_timeout()) {
                Some(failure) => failure.kind(),
                // Credentials resolved at send time (e.g. from a provider that
                // fails) come as the SDK's identity errors, which have no public type.
                None if is_credentials_failure(&text) => "credentials",
                None if dispatch.is_io() => "closed",
                None => "other",
            };
            Ok(transport(py, kind, &record.url, &text))
        }
        SdkError::ConstructionFailure(_) => {
            let text = chain(&error);
            if is_credentials_failure(&text) {
                Ok(transport(py, "credentials", &record.url, &text))
            } else if let Some(report) = construction_report(&text) {
                // The SDK refused a parameter value (an empty path member, a
                // header value with control characters): nothing was sent.
                Ok(param_validation(py, &report))
            } else {
                Ok(transport(py, "other", &record.url, &text))
            }
        }
        _ => Ok(transport(py, "other", &record.url, &chain(&error))),
    };
    result.unwrap_or_else(|e| e)
}

fn service_error(
    py: Python<'_>,
    operation: &str,
    raw: &HttpResponse,
    record: &CallRecord,
    context: &CallContext,
) -> PyResult<PyErr> {
    let headers = PyList::empty(py);
    for (name, value) in raw.headers().iter() {
        headers.append(PyTuple::new(
            py,
            [name.to_ascii_lowercase(), value.to_owned()],
        )?)?;
    }
    let body = PyBytes::new(py, raw.body().bytes().unwrap_or_default());
    let exc = exceptions(py)?.getattr("_service_error")?.call1((
        operation,
        raw.status().as_u16(),
        headers,
        body,
        record.attempts.max(1),
        context.max_attempts,
        context.flags_last_attempt,
    ))?;
    Ok(PyErr::from_value(exc))
}

fn transport(py: Python<'_>, kind: &str, url: &str, detail: &str) -> PyErr {
    transport_for(py, kind, url, detail, "")
}

/// As [`transport`], for a failure whose class depends on the operation.
fn transport_for(py: Python<'_>, kind: &str, url: &str, detail: &str, operation: &str) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let exc = exceptions(py)?
            .getattr("_transport_error")?
            .call1((kind, url, detail, operation))?;
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|e| e)
}

/// `ResponseParserError`: a success status with a body that is not the
/// operation's output (botocore would hand back whatever it made of it).
fn unparsable(py: Python<'_>, operation: &str, raw: &HttpResponse, detail: &str) -> PyErr {
    let status = raw.status().as_u16().to_string();
    raise_named(
        py,
        "ResponseParserError",
        &[
            ("operation_name", operation),
            ("status", status.as_str()),
            ("error", detail),
        ],
    )
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

fn is_credentials_failure(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.contains("credentials") || lower.contains("no token") || lower.contains("identity")
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
