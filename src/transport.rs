//! Transport failures as botocore sees them, found by type (walking an
//! error's sources), not by its text: which are a closed connection
//! (`ConnectionClosedError`) and which botocore retries that the SDK's own
//! classifiers do not.
//!
//! | failure | botocore | here |
//! |---|---|---|
//! | garbage instead of HTTP, a head too large (hyper parse errors) | `ConnectionClosedError`, retried | same |
//! | a body cut short or badly chunked (hyper body errors) | `ConnectionClosedError`, retried; InvokeModel: `ResponseStreamingError` from `body.read()` | same class, from the call (the body is read eagerly, so it is retried too) |
//! | HTTP 429 whatever the body (HTML, empty) | throttling, retried | same |
//! | a TLS failure (untrusted certificate, handshake) | `SSLError` | same |
//! | no connection (refused, no such host, unreachable) | `EndpointConnectionError`, retried | same |
//! | no connection within `connect_timeout` | `ConnectTimeoutError`, retried | same |
//! | no answer within `read_timeout` | `ReadTimeoutError`, retried | same |
//! | the connection reset or closed mid-answer | `ConnectionClosedError`, retried | same |

use std::error::Error as StdError;

use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;

use crate::errors::Transport;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};

/// What a failed dispatch was, from the types in its chain of sources
/// (`timed_out`: the SDK classed it as a timeout); None when nothing says.
pub fn classify(error: &(dyn StdError + 'static), timed_out: bool) -> Option<Transport> {
    if is_unreadable_answer(error) {
        return Some(Transport::Closed);
    }
    // The connector (TCP, then TLS) failed: hyper-util marks the error as such.
    let connecting =
        find::<hyper_util::client::legacy::Error>(error).is_some_and(|e| e.is_connect());
    if timed_out {
        return Some(if connecting {
            Transport::ConnectTimeout
        } else {
            Transport::ReadTimeout
        });
    }
    if find::<rustls::Error>(error).is_some() {
        return Some(Transport::Tls);
    }
    if connecting {
        return Some(Transport::Connect);
    }
    let closed_kinds = [
        std::io::ErrorKind::ConnectionReset,
        std::io::ErrorKind::ConnectionAborted,
        std::io::ErrorKind::BrokenPipe,
        std::io::ErrorKind::UnexpectedEof,
    ];
    let io_closed =
        find::<std::io::Error>(error).is_some_and(|io| closed_kinds.contains(&io.kind()));
    let hyper_closed = hyper_error(error)
        .is_some_and(|e| e.is_incomplete_message() || e.is_closed() || e.is_canceled());
    (io_closed || hyper_closed).then_some(Transport::Closed)
}

/// The first `T` among `error` and its sources, looking inside `io::Error`s
/// too (they hide the error they wrap from `source()`, e.g. rustls's).
pub fn find<'e, T: StdError + 'static>(error: &'e (dyn StdError + 'static)) -> Option<&'e T> {
    let mut current = Some(error);
    while let Some(inner) = current {
        if let Some(found) = inner.downcast_ref::<T>() {
            return Some(found);
        }
        if let Some(wrapped) = inner
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            if let Some(found) = find::<T>(wrapped) {
                return Some(found);
            }
        }
        current = inner.source();
    }
    None
}

/// The hyper error among `error` and its sources, if any.
fn hyper_error<'e>(error: &'e (dyn StdError + 'static)) -> Option<&'e hyper::Error> {
    find::<hyper::Error>(error)
}

/// The answer was not HTTP, or its head could not be read: botocore's
/// `ConnectionClosedError` (urllib3 reports these as a dropped connection).
pub fn is_unreadable_answer(error: &(dyn StdError + 'static)) -> bool {
    hyper_error(error).is_some_and(|e| e.is_parse() || e.is_parse_too_large())
}

/// Reading the answer's body failed (cut short, bad chunking): hyper failed
/// while reading it, or the connection ended early.
pub fn is_broken_body(error: &(dyn StdError + 'static)) -> bool {
    if hyper_error(error).is_some() {
        return true;
    }
    find::<std::io::Error>(error).is_some_and(|io| io.kind() == std::io::ErrorKind::UnexpectedEof)
}

/// Retries what botocore retries and the SDK's classifiers leave alone.
#[derive(Debug, Default)]
pub struct BotocoreRetries;

impl ClassifyRetry for BotocoreRetries {
    /// Only decides what no other classifier decided.
    fn classify_retry_v2(&self, ctx: &InterceptorContext, previous: &RetryAction) -> RetryAction {
        if *previous != RetryAction::NoActionIndicated {
            return RetryAction::NoActionIndicated;
        }
        self.classify_retry(ctx)
    }

    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        if ctx.response().is_some_and(|r| r.status().as_u16() == 429) {
            return RetryAction::throttling_error();
        }
        let Some(Err(error)) = ctx.output_or_error() else {
            return RetryAction::NoActionIndicated;
        };
        match error.as_connector_error() {
            Some(connector) if is_unreadable_answer(connector) => RetryAction::transient_error(),
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "bedrock_cris::BotocoreRetries"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}
