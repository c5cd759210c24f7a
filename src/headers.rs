//! Headers that Python decides and the SDK does not: those set by
//! `client.meta.events` handlers for one call, and botocore's `user_agent`,
//! `user_agent_extra` and `user_agent_appid` for every call of a client.
//!
//! A call's headers are handed over in a thread-local just before the
//! operation is prepared (on the calling thread, with the GIL held) and taken
//! into its [`crate::request_edits::CallEdits`], so calls without handlers pay
//! one empty check.

use std::cell::RefCell;

use aws_sdk_bedrockruntime::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_bedrockruntime::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

thread_local! {
    static PENDING: RefCell<Option<CallHeaders>> = const { RefCell::new(None) };
}

/// One call's headers: `signed` are set before signing (botocore's
/// `before-call`, `request-created` and `before-sign` handlers), `unsigned`
/// after it (`before-send` handlers, which see the signed request).
#[derive(Debug, Default)]
pub struct CallHeaders {
    signed: Vec<(String, String)>,
    unsigned: Vec<(String, String)>,
}

impl CallHeaders {
    /// Checks each name and value as HTTP allows them, so a bad one is a
    /// `ValueError` before any request.
    pub fn new(signed: Vec<(String, String)>, unsigned: Vec<(String, String)>) -> PyResult<Self> {
        for (name, value) in signed.iter().chain(&unsigned) {
            check_header(name, value)?;
        }
        Ok(Self { signed, unsigned })
    }

    /// Sets the headers that are signed (before signing).
    pub fn apply_signed(&self, request: &mut HttpRequest) {
        set_all(request, &self.signed);
    }

    /// Sets the headers that are sent unsigned (after signing).
    pub fn apply_unsigned(&self, request: &mut HttpRequest) {
        set_all(request, &self.unsigned);
    }

    /// Hands these headers to the next operation prepared on this thread.
    pub fn hand_over(self) {
        PENDING.with(|cell| *cell.borrow_mut() = Some(self));
    }
}

/// Forgets headers handed over but not taken (the call failed validation).
pub fn clear_pending() {
    PENDING.with(|cell| cell.borrow_mut().take());
}

/// The headers handed over on this thread, if there are any.
pub fn take_pending() -> Option<CallHeaders> {
    PENDING
        .with(|cell| cell.borrow_mut().take())
        .filter(|headers| !headers.signed.is_empty() || !headers.unsigned.is_empty())
}

/// Whether HTTP can carry `value` as a header value (printable ASCII and tabs).
pub fn value_is_sendable(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
}

fn set_all(request: &mut HttpRequest, headers: &[(String, String)]) {
    let request_headers = request.headers_mut();
    for (name, value) in headers {
        request_headers.insert(name.to_ascii_lowercase(), value.clone());
    }
}

fn check_header(name: &str, value: &str) -> PyResult<()> {
    let name_ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !name_ok {
        return Err(PyValueError::new_err(format!(
            "Invalid header name {name:?}: a header name is a non-empty HTTP token"
        )));
    }
    if !value_is_sendable(value) {
        return Err(PyValueError::new_err(format!(
            "Invalid value for header {name:?}: header values can hold printable ASCII characters only"
        )));
    }
    Ok(())
}

/// botocore's User-Agent settings as Python resolved them: `replace` is
/// `Config(user_agent=...)` (the whole header), `suffix` is what botocore
/// appends (`app/<appid>`, then `user_agent_extra`). Registered on a client
/// only when one of them is set.
#[derive(Debug, Clone)]
pub struct UserAgentInterceptor {
    replace: Option<String>,
    suffix: Option<String>,
}

impl UserAgentInterceptor {
    /// The interceptor for these settings, if any is set; a value HTTP
    /// cannot carry is a `ValueError` when the client is built.
    pub fn new(replace: Option<String>, suffix: Option<String>) -> PyResult<Option<Self>> {
        for value in replace.iter().chain(&suffix) {
            check_header("User-Agent", value)?;
        }
        Ok((replace.is_some() || suffix.is_some()).then_some(Self { replace, suffix }))
    }

    fn header(&self, sdk_value: Option<&str>) -> String {
        let base = self.replace.as_deref().or(sdk_value).unwrap_or_default();
        match &self.suffix {
            Some(suffix) if base.is_empty() => suffix.clone(),
            Some(suffix) => format!("{base} {suffix}"),
            None => base.to_owned(),
        }
    }
}

impl Intercept for UserAgentInterceptor {
    fn name(&self) -> &'static str {
        "bedrock_cris::UserAgentInterceptor"
    }

    // After signing: the SDK writes its User-Agent while signing, and SigV4
    // leaves that header unsigned.
    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let headers = context.request_mut().headers_mut();
        let value = self.header(headers.get("user-agent"));
        headers.insert("user-agent", value);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(replace: Option<&str>, suffix: Option<&str>) -> UserAgentInterceptor {
        UserAgentInterceptor {
            replace: replace.map(str::to_owned),
            suffix: suffix.map(str::to_owned),
        }
    }

    #[test]
    fn the_suffix_follows_the_sdk_or_the_replacement() {
        assert_eq!(
            agent(None, Some("app/x y")).header(Some("sdk/1")),
            "sdk/1 app/x y"
        );
        assert_eq!(
            agent(Some("mine/2"), Some("y")).header(Some("sdk/1")),
            "mine/2 y"
        );
        assert_eq!(agent(Some("mine/2"), None).header(Some("sdk/1")), "mine/2");
        assert_eq!(agent(None, Some("y")).header(None), "y");
    }

    #[test]
    fn headers_http_cannot_carry_are_refused() {
        assert!(check_header("x-ok", "fine value").is_ok());
        assert!(check_header("bad name", "v").is_err());
        assert!(check_header("", "v").is_err());
        assert!(check_header("x-a", "line\nbreak").is_err());
    }

    #[test]
    fn handed_over_headers_are_taken_once() {
        CallHeaders::new(vec![("X-A".into(), "1".into())], vec![])
            .unwrap()
            .hand_over();
        assert!(take_pending().is_some());
        assert!(take_pending().is_none());
        CallHeaders::default().hand_over();
        assert!(take_pending().is_none());
    }
}
