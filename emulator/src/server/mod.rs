//! The HTTP server: a dedicated thread with its own current-thread tokio runtime (the emulator
//! plays a remote service, so it never shares the client's runtime), hyper's HTTP/1.1 + HTTP/2
//! connection handling (h2c, or TLS with ALPN), and the hand-off of each request to its answer.
//!
//! `state` holds what the handle and the server share, `answer` admits and answers a request
//! (whole bodies and the bidirectional stream), `dispatch` picks the operation and applies
//! faults, `response` builds the HTTP answers.

mod answer;
mod dispatch;
mod response;
mod state;

use std::net::TcpListener as StdListener;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;

use crate::control;
use crate::errors::ApiError;
use crate::eventstream::{InFlight, ResponseBody};
use crate::routing::{route, Route};

use answer::{bidirectional, unary};

pub(crate) use state::Shared;
pub use state::DEFAULT_REGION;

/// A reset fault: the service answers nothing and hyper drops the connection.
#[derive(Debug)]
pub(crate) struct ConnectionReset;

impl std::fmt::Display for ConnectionReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by fault injection")
    }
}

impl std::error::Error for ConnectionReset {}

/// Runs the accept loop on `listener` until `stop` fires, on the calling (dedicated) thread;
/// with `tls`, each connection is a TLS session first.
pub(crate) fn run(
    listener: StdListener,
    shared: Arc<Shared>,
    tls: Option<TlsAcceptor>,
    stop: oneshot::Receiver<()>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(_) => return,
    };
    runtime.block_on(async move {
        let Ok(listener) = TcpListener::from_std(listener) else {
            return;
        };
        tokio::spawn(Arc::clone(&shared.pacer).drive());
        accept_loop(listener, shared, tls, stop).await;
    });
    // Dropping the runtime cancels every connection task, stalled streams included.
    runtime.shutdown_background();
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    tls: Option<TlsAcceptor>,
    mut stop: oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    shared.connections.fetch_add(1, Ordering::Relaxed);
                    let shared = Arc::clone(&shared);
                    let tls = tls.clone();
                    tokio::spawn(async move {
                        match tls {
                            None => serve(stream, shared).await,
                            // A failed handshake (an untrusted certificate) ends the connection.
                            Some(tls) => {
                                if let Ok(stream) = tls.accept(stream).await {
                                    serve(stream, shared).await;
                                }
                            }
                        }
                    });
                }
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
        }
    }
}

/// Serves one connection's requests.
async fn serve<S>(stream: S, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |req| {
        let shared = Arc::clone(&shared);
        async move { handle(&shared, req).await }
    });
    // auto::Builder serves HTTP/1.1 and HTTP/2 alike (h2c by prior knowledge on plain TCP, or
    // as ALPN chose under TLS); both carry bidirectional streams (HTTP/1.1 as a chunked
    // request body read while the chunked response is written). Connection errors (malformed
    // HTTP, resets, cut streams) end only that connection; so does a service error (a reset
    // fault).
    let _ = auto::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

async fn handle(
    shared: &Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<ResponseBody>, ConnectionReset> {
    let request_id = shared.next_request_id();
    let (parts, body) = req.into_parts();
    if control::is_control(parts.uri.path()) {
        return Ok(control::handle(shared, &parts, body).await);
    }
    shared.recorder.count();
    let (in_flight, count) = InFlight::enter(&shared.in_flight);
    let route = route(&parts.method, parts.uri.path());
    let region = shared.region_of(&parts);
    let response = if let Route::InvokeModelWithBidirectionalStream { model_id } = &route {
        // The request body is the input event stream: read as it arrives, never collected.
        bidirectional(shared, &parts, body, model_id, &region, &request_id, count).await?
    } else {
        unary(shared, &parts, body, &route, &region, &request_id, count).await?
    };
    Ok(response.map(|body| ResponseBody::Counted {
        body: Box::new(body),
        _slot: in_flight,
    }))
}

/// Reads a whole request body, within the size limit.
pub(crate) async fn collect(shared: &Shared, body: Incoming) -> Result<Bytes, ApiError> {
    match Limited::new(body, shared.max_body_bytes).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            let mut err = ApiError::validation(format!(
                "Request body exceeds the emulator's limit of {} bytes.",
                shared.max_body_bytes
            ));
            err.status = 413;
            Err(err)
        }
        Err(_) => Err(ApiError::new(
            "SerializationException",
            "Could not read the request body.",
        )),
    }
}
