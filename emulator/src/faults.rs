//! Fault injection: make chosen model ids answer errors, or break their streams.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::errors::ApiError;

/// Matches every model id (and requests that name no model, such as async-invoke listings).
pub const ANY_MODEL: &str = "*";

/// How a faulted stream ends after its first events.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEnd {
    /// Send this error as an event-stream exception frame, then end the response normally.
    Exception(ApiError),
    /// Drop the connection without finishing the response.
    Cut,
    /// Stop sending but keep the connection open, until the client gives up or the server stops.
    Stall,
}

/// What a fault does to a matching request.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// Answer with this error instead of the model's answer (any operation).
    Error(ApiError),
    /// Streaming operations only: send `after_events` events, then end as `end` says.
    Stream { after_events: usize, end: StreamEnd },
}

/// One injected fault.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// The model id as the client sends it (decoded), its bare foundation-model id, or `*`.
    pub model_id: String,
    pub kind: FaultKind,
    /// `None`: forever; `Some(n)`: only the next `n` matching requests.
    pub remaining: Option<u32>,
}

/// The faults in force, checked on every request (a flag keeps the common no-fault case cheap).
#[derive(Debug, Default)]
pub struct FaultRegistry {
    any: AtomicBool,
    faults: Mutex<Vec<Fault>>,
}

impl FaultRegistry {
    pub fn add(&self, fault: Fault) {
        if fault.remaining == Some(0) {
            return;
        }
        let mut faults = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        faults.push(fault);
        self.any.store(true, Ordering::Release);
    }

    pub fn clear(&self) {
        let mut faults = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        faults.clear();
        self.any.store(false, Ordering::Release);
    }

    pub fn list(&self) -> Vec<Fault> {
        self.faults
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Takes the first fault that applies to this request, counting it down.
    /// `ids` are the names the request's model goes by (raw and bare); `streaming` says whether
    /// stream faults apply.
    pub fn take(&self, ids: &[&str], streaming: bool) -> Option<FaultKind> {
        if !self.any.load(Ordering::Acquire) {
            return None;
        }
        let mut faults = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        let index = faults.iter().position(|f| {
            let id_matches = f.model_id == ANY_MODEL || ids.contains(&f.model_id.as_str());
            let kind_applies = streaming || matches!(f.kind, FaultKind::Error(_));
            id_matches && kind_applies
        })?;
        let kind = faults[index].kind.clone();
        if let Some(n) = faults[index].remaining.as_mut() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                faults.remove(index);
            }
        }
        if faults.is_empty() {
            self.any.store(false, Ordering::Release);
        }
        Some(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_down_and_matches() {
        let reg = FaultRegistry::default();
        reg.add(Fault {
            model_id: "m".into(),
            kind: FaultKind::Error(ApiError::new("ThrottlingException", "slow down")),
            remaining: Some(2),
        });
        assert!(reg.take(&["other"], false).is_none());
        assert!(reg.take(&["m"], false).is_some());
        assert!(reg.take(&["x", "m"], false).is_some());
        assert!(reg.take(&["m"], false).is_none());
        reg.add(Fault {
            model_id: ANY_MODEL.into(),
            kind: FaultKind::Stream {
                after_events: 1,
                end: StreamEnd::Cut,
            },
            remaining: None,
        });
        assert!(reg.take(&["m"], false).is_none());
        assert!(reg.take(&["m"], true).is_some());
        assert!(reg.take(&["m"], true).is_some());
        reg.clear();
        assert!(reg.take(&["m"], true).is_none());
    }
}
