//! Fault injection: make chosen model ids answer errors, drop or delay their answers, or break
//! their streams; for every matching request, the first N, or a seeded fraction of them.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::errors::{default_message, ApiError};
use crate::spec;
use crate::text::mix64;

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
    /// Send the first half of the next frame, then end the response normally: the stream ends
    /// inside a frame.
    Truncate,
    /// Send the next frame with a wrong message CRC (then the rest of the answer).
    CorruptCrc,
}

/// What a fault does to a matching request.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// Answer with this error instead of the model's answer (any operation).
    Error(ApiError),
    /// Streaming operations only: send `after_events` events, then end as `end` says.
    Stream { after_events: usize, end: StreamEnd },
    /// Close the connection without answering (any operation).
    Reset,
    /// Wait this long before the first byte of the answer (any operation).
    Delay(Duration),
    /// Non-streaming operations only: send the status, the headers (with the full
    /// `Content-Length`) and the first `after_bytes` bytes of the body, then nothing more.
    StallBody { after_bytes: usize },
}

/// One injected fault.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// The model id as the client sends it (decoded), its bare foundation-model id, or `*`.
    pub model_id: String,
    /// The source Region it applies to (from the request's SigV4 credential scope, or the
    /// emulator's default Region); `None`: every Region.
    pub region: Option<String>,
    pub kind: FaultKind,
    /// `None`: forever; `Some(n)`: only the next `n` requests it applies to.
    pub remaining: Option<u32>,
    /// `None`: every matching request; `Some(p)`: a fraction `p` of them, chosen by a
    /// deterministic function of the registry's seed, the fault and the request's rank.
    pub fraction: Option<f64>,
}

impl Fault {
    /// A fault for every matching request, forever.
    pub fn new(model_id: &str, kind: FaultKind) -> Self {
        Fault {
            model_id: model_id.to_string(),
            region: None,
            kind,
            remaining: None,
            fraction: None,
        }
    }

    fn applies_to(&self, streaming: bool) -> bool {
        match self.kind {
            FaultKind::Error(_) | FaultKind::Reset | FaultKind::Delay(_) => true,
            FaultKind::Stream { .. } => streaming,
            FaultKind::StallBody { .. } => !streaming,
        }
    }

    /// Parses the JSON form used by the control API (`POST /_emulator/faults`) and the Python
    /// binding:
    /// `{"model_id": "*", "region": null, "action": "error" | "reset" | "delay" | "stall_body" |
    ///   "stream", "times": n, "fraction": p, ...}` with, per action, `code`/`message`/`status` (error;
    /// stream end "exception"), `seconds` (delay), `after_bytes` (stall_body), `after_events`
    /// and `end` ("exception", "cut", "stall", "truncate", "corrupt_crc") (stream).
    pub fn from_json(value: &Value) -> Result<Fault, String> {
        const KNOWN: &[&str] = &[
            "model_id",
            "region",
            "action",
            "times",
            "fraction",
            "code",
            "message",
            "status",
            "seconds",
            "after_bytes",
            "after_events",
            "end",
            "original_status_code",
            "resource_name",
        ];
        let obj = spec::object(value, "fault", "{\"action\": \"reset\"}", KNOWN)?;
        let model_id = match obj.get("model_id") {
            None | Some(Value::Null) => ANY_MODEL.to_string(),
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(_) => return Err("model_id must be a non-empty string".into()),
        };
        let region = spec::optional_text(obj, "region")?;
        let uint = |name: &str| -> Result<Option<u64>, String> {
            match obj.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_u64()
                    .map(Some)
                    .ok_or_else(|| format!("{name} must be an integer >= 0")),
            }
        };
        let remaining = uint("times")?
            .map(|n| u32::try_from(n).map_err(|_| "times is too large".to_string()))
            .transpose()?;
        let fraction = match obj.get("fraction") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_f64() {
                Some(p) if (0.0..=1.0).contains(&p) => Some(p),
                _ => return Err("fraction must be a number from 0 to 1".into()),
            },
        };
        let text = |name: &str| -> Result<Option<String>, String> {
            match obj.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(format!("{name} must be a string")),
            }
        };
        let error = |default_code: &str| -> Result<ApiError, String> {
            let code = text("code")?.unwrap_or_else(|| default_code.to_string());
            let message = text("message")?;
            let status = uint("status")?
                .map(|s| u16::try_from(s).unwrap_or(0))
                .filter(|s| (100..=599).contains(s));
            if obj.get("status").is_some_and(|v| !v.is_null()) && status.is_none() {
                return Err("status must be an HTTP status code (100-599)".into());
            }
            let mut e = api_error(&code, message, status)?;
            if let Some(v) = obj.get("original_status_code").filter(|v| !v.is_null()) {
                let n = v
                    .as_i64()
                    .ok_or("original_status_code must be an integer")?;
                e.extra.push(("originalStatusCode".into(), n.into()));
            }
            if let Some(name) = text("resource_name")? {
                e.extra.push(("resourceName".into(), name.into()));
            }
            Ok(e)
        };
        let action = text("action")?.unwrap_or_else(|| "error".into());
        let kind = match action.as_str() {
            "error" => FaultKind::Error(error("ThrottlingException")?),
            "reset" => FaultKind::Reset,
            "delay" => {
                let seconds = obj
                    .get("seconds")
                    .and_then(Value::as_f64)
                    .ok_or("a delay fault needs \"seconds\"")?;
                FaultKind::Delay(
                    Duration::try_from_secs_f64(seconds)
                        .map_err(|_| "seconds must be a finite number >= 0")?,
                )
            }
            "stall_body" => FaultKind::StallBody {
                after_bytes: usize::try_from(uint("after_bytes")?.unwrap_or(0))
                    .unwrap_or(usize::MAX),
            },
            "stream" => {
                let after_events =
                    usize::try_from(uint("after_events")?.unwrap_or(0)).unwrap_or(usize::MAX);
                let end = match text("end")?.as_deref().unwrap_or("exception") {
                    "exception" => StreamEnd::Exception(error("ModelStreamErrorException")?),
                    "cut" => StreamEnd::Cut,
                    "stall" => StreamEnd::Stall,
                    "truncate" => StreamEnd::Truncate,
                    "corrupt_crc" => StreamEnd::CorruptCrc,
                    other => {
                        return Err(format!(
                            "end must be \"exception\", \"cut\", \"stall\", \"truncate\" or \"corrupt_crc\", got {other:?}"
                        ))
                    }
                };
                FaultKind::Stream { after_events, end }
            }
            other => {
                return Err(format!(
                    "action must be \"error\", \"reset\", \"delay\", \"stall_body\" or \"stream\", got {other:?}"
                ))
            }
        };
        Ok(Fault {
            model_id,
            region,
            kind,
            remaining,
            fraction,
        })
    }

    /// The JSON form (as [`Fault::from_json`] reads it).
    pub fn to_json(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("model_id".into(), json!(self.model_id));
        obj.insert("region".into(), json!(self.region));
        let error_members = |obj: &mut Map<String, Value>, e: &ApiError| {
            obj.insert("code".into(), json!(e.code));
            obj.insert("message".into(), json!(e.message));
            obj.insert("status".into(), json!(e.status));
        };
        match &self.kind {
            FaultKind::Error(e) => {
                obj.insert("action".into(), json!("error"));
                error_members(&mut obj, e);
            }
            FaultKind::Reset => {
                obj.insert("action".into(), json!("reset"));
            }
            FaultKind::Delay(d) => {
                obj.insert("action".into(), json!("delay"));
                obj.insert("seconds".into(), json!(d.as_secs_f64()));
            }
            FaultKind::StallBody { after_bytes } => {
                obj.insert("action".into(), json!("stall_body"));
                obj.insert("after_bytes".into(), json!(after_bytes));
            }
            FaultKind::Stream { after_events, end } => {
                obj.insert("action".into(), json!("stream"));
                obj.insert("after_events".into(), json!(after_events));
                let name = match end {
                    StreamEnd::Exception(e) => {
                        error_members(&mut obj, e);
                        "exception"
                    }
                    StreamEnd::Cut => "cut",
                    StreamEnd::Stall => "stall",
                    StreamEnd::Truncate => "truncate",
                    StreamEnd::CorruptCrc => "corrupt_crc",
                };
                obj.insert("end".into(), json!(name));
            }
        }
        obj.insert("times".into(), json!(self.remaining));
        obj.insert("fraction".into(), json!(self.fraction));
        Value::Object(obj)
    }
}

impl FaultKind {
    /// A short description, recorded with each request the fault applied to
    /// (`error:ThrottlingException`, `reset`, `delay:1.5`, `stall_body:10`, `stream:cut@3`).
    pub fn label(&self) -> String {
        match self {
            FaultKind::Error(e) => format!("error:{}", e.code),
            FaultKind::Reset => "reset".into(),
            FaultKind::Delay(d) => format!("delay:{}", d.as_secs_f64()),
            FaultKind::StallBody { after_bytes } => format!("stall_body:{after_bytes}"),
            FaultKind::Stream { after_events, end } => {
                let end = match end {
                    StreamEnd::Exception(e) => format!("exception:{}", e.code),
                    StreamEnd::Cut => "cut".into(),
                    StreamEnd::Stall => "stall".into(),
                    StreamEnd::Truncate => "truncate".into(),
                    StreamEnd::CorruptCrc => "corrupt_crc".into(),
                };
                format!("stream:{end}@{after_events}")
            }
        }
    }
}

/// Builds a modelled error; the code becomes a header value, so it must be a plain name.
pub fn api_error(
    code: &str,
    message: Option<String>,
    status: Option<u16>,
) -> Result<ApiError, String> {
    let valid = !code.is_empty()
        && code.len() <= 128
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if !valid {
        return Err(format!(
            "error code must be a non-empty name such as 'ThrottlingException', got {code:?}"
        ));
    }
    let message = message.unwrap_or_else(|| default_message(code).to_string());
    let mut error = ApiError::new(code, message);
    if let Some(status) = status {
        if !(100..=599).contains(&status) {
            return Err(format!("status must be an HTTP status code, got {status}"));
        }
        error.status = status;
    }
    Ok(error)
}

/// A fault in force, with what its fraction needs: a serial number and how many matching
/// requests it has seen.
#[derive(Debug)]
struct Entry {
    fault: Fault,
    serial: u64,
    seen: u64,
}

/// The faults in force, checked on every request (a flag keeps the common no-fault case cheap).
#[derive(Debug, Default)]
pub struct FaultRegistry {
    any: AtomicBool,
    seed: AtomicU64,
    serial: AtomicU64,
    faults: Mutex<Vec<Entry>>,
}

impl FaultRegistry {
    pub fn add(&self, fault: Fault) {
        if fault.remaining == Some(0) || fault.fraction == Some(0.0) {
            return;
        }
        let serial = self.serial.fetch_add(1, Ordering::Relaxed);
        let mut faults = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        faults.push(Entry {
            fault,
            serial,
            seen: 0,
        });
        self.any.store(true, Ordering::Release);
    }

    /// Removes every fault; serial numbers restart, so a fraction picks the same requests
    /// again after a reset with the same seed.
    pub fn clear(&self) {
        let mut faults = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        faults.clear();
        self.serial.store(0, Ordering::Relaxed);
        self.any.store(false, Ordering::Release);
    }

    /// Sets the seed that decides which requests a fractional fault picks.
    pub fn set_seed(&self, seed: u64) {
        self.seed.store(seed, Ordering::Relaxed);
    }

    pub fn list(&self) -> Vec<Fault> {
        self.faults
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|e| e.fault.clone())
            .collect()
    }

    /// Takes the first fault that applies to this request, counting it down.
    /// `ids` are the names the request's model goes by (raw and bare), `region` its source
    /// Region; `streaming` says whether the operation streams its answer (stream faults apply
    /// to those only, body stalls to the others).
    pub fn take(&self, ids: &[&str], region: &str, streaming: bool) -> Option<FaultKind> {
        if !self.any.load(Ordering::Acquire) {
            return None;
        }
        let seed = self.seed.load(Ordering::Relaxed);
        let mut faults = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        let index = faults.iter_mut().position(|e| {
            let f = &e.fault;
            let id_matches = f.model_id == ANY_MODEL || ids.contains(&f.model_id.as_str());
            let region_matches = f.region.as_deref().is_none_or(|r| r == region);
            if !id_matches || !region_matches || !f.applies_to(streaming) {
                return false;
            }
            let Some(p) = f.fraction else {
                return true;
            };
            let rank = e.seen;
            e.seen += 1;
            let draw = mix64(seed ^ mix64(e.serial.wrapping_add(0x9e37_79b9)) ^ mix64(rank));
            ((draw >> 11) as f64 / (1u64 << 53) as f64) < p
        })?;
        let kind = faults[index].fault.kind.clone();
        if let Some(n) = faults[index].fault.remaining.as_mut() {
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

    fn throttle(remaining: Option<u32>) -> Fault {
        Fault {
            remaining,
            ..Fault::new(
                "m",
                FaultKind::Error(ApiError::new("ThrottlingException", "slow down")),
            )
        }
    }

    #[test]
    fn counts_down_and_matches() {
        let reg = FaultRegistry::default();
        reg.add(throttle(Some(2)));
        assert!(reg.take(&["other"], "r", false).is_none());
        assert!(reg.take(&["m"], "r", false).is_some());
        assert!(reg.take(&["x", "m"], "r", false).is_some());
        assert!(reg.take(&["m"], "r", false).is_none());
        reg.add(Fault::new(
            ANY_MODEL,
            FaultKind::Stream {
                after_events: 1,
                end: StreamEnd::Cut,
            },
        ));
        assert!(reg.take(&["m"], "r", false).is_none());
        assert!(reg.take(&["m"], "r", true).is_some());
        assert!(reg.take(&["m"], "r", true).is_some());
        reg.clear();
        assert!(reg.take(&["m"], "r", true).is_none());
        reg.add(Fault::new("m", FaultKind::StallBody { after_bytes: 3 }));
        assert!(reg.take(&["m"], "r", true).is_none());
        assert!(reg.take(&["m"], "r", false).is_some());
    }

    #[test]
    fn regions_match() {
        let reg = FaultRegistry::default();
        reg.add(Fault {
            region: Some("ap-south-1".into()),
            ..throttle(None)
        });
        assert!(reg.take(&["m"], "us-east-1", false).is_none());
        assert!(reg.take(&["m"], "ap-south-1", false).is_some());
    }

    #[test]
    fn fractions_are_seeded_and_close() {
        let picks = |seed: u64| {
            let reg = FaultRegistry::default();
            reg.set_seed(seed);
            reg.add(Fault {
                fraction: Some(0.3),
                ..throttle(None)
            });
            (0..1000)
                .map(|_| reg.take(&["m"], "r", false).is_some())
                .collect::<Vec<_>>()
        };
        let a = picks(7);
        assert_eq!(a, picks(7));
        assert_ne!(a, picks(8));
        let n = a.iter().filter(|x| **x).count();
        assert!((240..=360).contains(&n), "{n}");
    }

    #[test]
    fn json_round_trips_and_rejects_nonsense() {
        for spec in [
            json!({"model_id": "m", "action": "error", "code": "ThrottlingException", "times": 2}),
            json!({"action": "reset", "fraction": 0.5}),
            json!({"action": "delay", "seconds": 1.5}),
            json!({"action": "stall_body", "after_bytes": 10}),
            json!({"action": "stream", "after_events": 3, "end": "corrupt_crc"}),
            json!({"action": "stream", "end": "exception", "code": "ThrottlingException"}),
            json!({"action": "reset", "region": "ap-south-1"}),
        ] {
            let fault = Fault::from_json(&spec).expect("valid");
            assert_eq!(Fault::from_json(&fault.to_json()), Ok(fault));
        }
        for bad in [
            json!([]),
            json!({"action": "explode"}),
            json!({"action": "delay"}),
            json!({"action": "delay", "seconds": -1}),
            json!({"fraction": 2}),
            json!({"times": -1}),
            json!({"code": "Bad Code"}),
            json!({"status": 99}),
            json!({"action": "stream", "end": "later"}),
            json!({"model_id": ""}),
            json!({"region": 5}),
            json!({"surprise": 1}),
        ] {
            assert!(Fault::from_json(&bad).is_err(), "{bad}");
        }
    }
}
