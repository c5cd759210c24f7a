//! The request recorder: what clients sent, as received, for tests to inspect.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use bytes::Bytes;

/// One request as the emulator received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    /// The HTTP version it came in (`HTTP/1.1`, `HTTP/2.0`).
    pub http_version: String,
    /// The path as received, percent-escapes included (`/model/a%3A0/converse`).
    pub path: String,
    /// The raw query string without `?` (empty when there is none).
    pub query: String,
    /// Headers in received order; names are lower-case (HTTP/1 parsing folds them; HTTP/2
    /// sends them lower-case).
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// The injected fault applied to it, if any (see `FaultKind::label`: `error:ThrottlingException`,
    /// `reset`, `quota:ThrottlingException`, ...).
    pub fault: Option<String>,
    /// The error code it was refused with by authentication, if it was
    /// (`InvalidSignatureException`, `UnrecognizedClientException`, ...).
    pub auth_error: Option<String>,
}

/// Keeps the most recent `limit` requests (a ring, so benchmarks cannot exhaust memory) and
/// counts all of them.
#[derive(Debug)]
pub struct Recorder {
    limit: usize,
    total: AtomicU64,
    requests: Mutex<VecDeque<RecordedRequest>>,
}

impl Recorder {
    pub fn new(limit: usize) -> Self {
        Recorder {
            limit,
            total: AtomicU64::new(0),
            requests: Mutex::new(VecDeque::new()),
        }
    }

    /// Whether requests are kept at all (callers skip building a record when not).
    pub fn enabled(&self) -> bool {
        self.limit > 0
    }

    pub fn count(&self) {
        self.total.fetch_add(1, Ordering::Relaxed);
    }

    pub fn record(&self, request: RecordedRequest) {
        if self.limit == 0 {
            return;
        }
        let mut requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        while requests.len() >= self.limit {
            requests.pop_front();
        }
        requests.push_back(request);
    }

    pub fn snapshot(&self) -> Vec<RecordedRequest> {
        let requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        requests.iter().cloned().collect()
    }

    pub fn clear(&self) {
        self.requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// All requests served since start, recorded or not.
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(path: &str) -> RecordedRequest {
        RecordedRequest {
            method: "POST".into(),
            http_version: "HTTP/1.1".into(),
            path: path.into(),
            query: String::new(),
            headers: vec![],
            body: Bytes::new(),
            fault: None,
            auth_error: None,
        }
    }

    #[test]
    fn keeps_the_most_recent() {
        let r = Recorder::new(2);
        for p in ["/a", "/b", "/c"] {
            r.count();
            r.record(req(p));
        }
        let paths: Vec<_> = r.snapshot().into_iter().map(|q| q.path).collect();
        assert_eq!(paths, ["/b", "/c"]);
        assert_eq!(r.total(), 3);
        r.clear();
        assert!(r.snapshot().is_empty());
    }
}
