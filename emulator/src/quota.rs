//! Quotas as Bedrock enforces them, per source Region and model id: requests and tokens per
//! minute, each a continuously refilled bucket that holds at most one minute's worth (so a
//! quiet client may burst that much); and the usage counters per Region and model id.
//!
//! A request is admitted when the request bucket holds one request and the token bucket the
//! request's tokens (input + output, as Bedrock bills them; a request larger than the whole
//! bucket is admitted when the bucket is full); admitting takes them out. Otherwise it is
//! answered Bedrock's `ThrottlingException` ("Too many requests, please wait before trying
//! again." / "Too many tokens, please wait before trying again.") and takes nothing.
//!
//! A rule names a Region (or every Region) and a model id as sent, its bare foundation-model
//! id, or `*`; the most specific rule that matches a request applies (Region and model over
//! Region and `*` over model alone over `*`). Each (Region, model id) that a rule for `*`
//! covers has its own buckets, as each model and inference profile has its own quota in
//! Bedrock; a rule for a bare foundation-model id shares its buckets among the profiles of
//! that model in a Region.
//!
//! `time_scale` speeds quota time up: at 60, a quota minute lasts one second, so tests and
//! benchmarks of minutes of traffic run in seconds.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use serde_json::{json, Map, Value};

use crate::errors::ApiError;
use crate::faults::ANY_MODEL;
use crate::spec;

/// Bedrock's answer to a request over its requests-per-minute quota.
pub const TOO_MANY_REQUESTS: &str = "Too many requests, please wait before trying again.";
/// Bedrock's answer to a request over its tokens-per-minute quota.
pub const TOO_MANY_TOKENS: &str = "Too many tokens, please wait before trying again.";

/// Whether `error` is a quota's throttle (by its message, which only quotas send).
pub fn is_quota_throttle(error: &ApiError) -> bool {
    error.code == "ThrottlingException"
        && (error.message == TOO_MANY_REQUESTS || error.message == TOO_MANY_TOKENS)
}

/// One quota rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Quota {
    /// The model id as sent, its bare foundation-model id, or `*`.
    pub model_id: String,
    /// The source Region; `None`: every Region.
    pub region: Option<String>,
    pub requests_per_minute: Option<u64>,
    pub tokens_per_minute: Option<u64>,
}

impl Quota {
    /// Reads `{"model_id": "*", "region": null, "requests_per_minute": n,
    /// "tokens_per_minute": n}` (the control API's and the Python binding's form).
    pub fn from_json(value: &Value) -> Result<Quota, String> {
        const KNOWN: &[&str] = &[
            "model_id",
            "region",
            "requests_per_minute",
            "tokens_per_minute",
        ];
        let obj = spec::object(value, "quota", "{\"tokens_per_minute\": 1000}", KNOWN)?;
        let text = |name: &str| spec::optional_text(obj, name);
        let limit = |name: &str| -> Result<Option<u64>, String> {
            match obj.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => match v.as_u64() {
                    Some(n) if n > 0 => Ok(Some(n)),
                    _ => Err(format!("{name} must be an integer > 0 or null")),
                },
            }
        };
        Ok(Quota {
            model_id: text("model_id")?.unwrap_or_else(|| ANY_MODEL.to_string()),
            region: text("region")?,
            requests_per_minute: limit("requests_per_minute")?,
            tokens_per_minute: limit("tokens_per_minute")?,
        })
    }

    pub fn to_json(&self) -> Value {
        json!({
            "model_id": self.model_id,
            "region": self.region,
            "requests_per_minute": self.requests_per_minute,
            "tokens_per_minute": self.tokens_per_minute,
        })
    }

    /// How specific the rule is (higher wins), if it applies to a request in `region` for a
    /// model going by `ids`.
    fn rank(&self, region: &str, ids: &[&str]) -> Option<u8> {
        let region_rank = match &self.region {
            None => 0,
            Some(r) if r == region => 2,
            Some(_) => return None,
        };
        let model_rank = if self.model_id == ANY_MODEL {
            0
        } else if ids.contains(&self.model_id.as_str()) {
            1
        } else {
            return None;
        };
        Some(region_rank + model_rank)
    }
}

/// What one Region and model id was asked for and answered, since the last reset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Requests that arrived (answered, refused or faulted).
    pub requests: u64,
    /// Of those, answered `ThrottlingException` (by a quota, the concurrency limit or a fault).
    pub throttled: u64,
    /// Of those, answered another error.
    pub errors: u64,
    /// Tokens of the answers served.
    pub input_tokens: u64,
    pub output_tokens: u64,
}

impl Usage {
    pub fn to_json(&self) -> Value {
        json!({
            "requests": self.requests,
            "throttled": self.throttled,
            "errors": self.errors,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
        })
    }
}

/// A bucket refilled at `limit` per quota minute, holding at most `limit`.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    level: f64,
}

impl Bucket {
    fn refill(&mut self, limit: f64, quota_seconds: f64) {
        self.level = (self.level + limit * quota_seconds / 60.0).min(limit);
    }

    fn holds(&self, cost: f64, limit: f64) -> bool {
        self.level >= cost.min(limit)
    }
}

#[derive(Debug)]
struct Buckets {
    requests: Bucket,
    tokens: Bucket,
    refilled: Instant,
}

#[derive(Debug)]
struct State {
    rules: Vec<Quota>,
    /// By (Region, the rule's model id, or the model id as sent for a rule for `*`).
    buckets: HashMap<(String, String), Buckets>,
    /// By (Region, model id as sent).
    usage: BTreeMap<(String, String), Usage>,
    time_scale: f64,
}

/// The quotas in force, their buckets and the usage counters.
#[derive(Debug)]
pub struct Quotas {
    /// Whether any rule is in force (the common no-quota case takes no lock for admission).
    any: AtomicBool,
    state: Mutex<State>,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            any: AtomicBool::new(false),
            state: Mutex::new(State {
                rules: Vec::new(),
                buckets: HashMap::new(),
                usage: BTreeMap::new(),
                time_scale: 1.0,
            }),
        }
    }
}

impl Quotas {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sets the rule for `(quota.region, quota.model_id)`, replacing one there was; with
    /// neither limit it removes it. Buckets start full.
    pub fn set(&self, quota: Quota) {
        let mut state = self.lock();
        state
            .rules
            .retain(|r| !(r.region == quota.region && r.model_id == quota.model_id));
        if quota.requests_per_minute.is_some() || quota.tokens_per_minute.is_some() {
            state.rules.push(quota);
        }
        state.buckets.clear();
        self.any.store(!state.rules.is_empty(), Ordering::Release);
    }

    pub fn list(&self) -> Vec<Quota> {
        self.lock().rules.clone()
    }

    /// Removes every rule.
    pub fn clear(&self) {
        let mut state = self.lock();
        state.rules.clear();
        state.buckets.clear();
        self.any.store(false, Ordering::Release);
    }

    /// Quota minutes per real minute (1: real time; 60: a quota minute lasts a second).
    pub fn set_time_scale(&self, scale: f64) -> Result<(), String> {
        if !(scale.is_finite() && scale > 0.0) {
            return Err("time_scale must be a number > 0".into());
        }
        self.lock().time_scale = scale;
        Ok(())
    }

    pub fn time_scale(&self) -> f64 {
        self.lock().time_scale
    }

    /// Admits a request in `region` for the model going by `ids` (as sent first, then its
    /// bare id) that costs `tokens`, or answers the throttle Bedrock would.
    pub fn admit(&self, region: &str, ids: &[&str], tokens: u64) -> Result<(), ApiError> {
        if !self.any.load(Ordering::Acquire) {
            return Ok(());
        }
        let mut state = self.lock();
        let Some(rule) = state
            .rules
            .iter()
            .filter_map(|r| r.rank(region, ids).map(|rank| (rank, r)))
            .max_by_key(|(rank, _)| *rank)
            .map(|(_, r)| r.clone())
        else {
            return Ok(());
        };
        let sent = ids.first().copied().unwrap_or(ANY_MODEL);
        let key_model = if rule.model_id == ANY_MODEL {
            sent
        } else {
            &rule.model_id
        };
        let key = (region.to_string(), key_model.to_string());
        let scale = state.time_scale;
        let now = Instant::now();
        let (rpm, tpm) = (
            rule.requests_per_minute.map(|n| n as f64),
            rule.tokens_per_minute.map(|n| n as f64),
        );
        let buckets = state.buckets.entry(key).or_insert_with(|| Buckets {
            requests: Bucket {
                level: rpm.unwrap_or(0.0),
            },
            tokens: Bucket {
                level: tpm.unwrap_or(0.0),
            },
            refilled: now,
        });
        let elapsed = now.duration_since(buckets.refilled).as_secs_f64() * scale;
        buckets.refilled = now;
        let tokens = tokens as f64;
        if let Some(limit) = rpm {
            buckets.requests.refill(limit, elapsed);
            if !buckets.requests.holds(1.0, limit) {
                return Err(ApiError::new("ThrottlingException", TOO_MANY_REQUESTS));
            }
        }
        if let Some(limit) = tpm {
            buckets.tokens.refill(limit, elapsed);
            if !buckets.tokens.holds(tokens, limit) {
                return Err(ApiError::new("ThrottlingException", TOO_MANY_TOKENS));
            }
        }
        if rpm.is_some() {
            buckets.requests.level -= 1.0;
        }
        if tpm.is_some() {
            buckets.tokens.level -= tokens;
        }
        Ok(())
    }

    /// Counts one request's outcome: its error code, or the tokens of its answer.
    pub fn count(&self, region: &str, model_id: &str, outcome: Result<(u32, u32), &str>) {
        let mut state = self.lock();
        let usage = state
            .usage
            .entry((region.to_string(), model_id.to_string()))
            .or_default();
        usage.requests += 1;
        match outcome {
            Ok((input, output)) => {
                usage.input_tokens += u64::from(input);
                usage.output_tokens += u64::from(output);
            }
            Err("ThrottlingException") => usage.throttled += 1,
            Err(_) => usage.errors += 1,
        }
    }

    /// Usage by Region, then model id: `{"us-east-1": {"model": {"requests": n, ...}}}`.
    pub fn usage_json(&self) -> Value {
        let mut regions = Map::new();
        for ((region, model), usage) in &self.lock().usage {
            let models = regions
                .entry(region.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(models) = models.as_object_mut() {
                models.insert(model.clone(), usage.to_json());
            }
        }
        Value::Object(regions)
    }

    /// Forgets the usage counters.
    pub fn clear_usage(&self) {
        self.lock().usage.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quota(model: &str, region: Option<&str>, rpm: Option<u64>, tpm: Option<u64>) -> Quota {
        Quota {
            model_id: model.into(),
            region: region.map(str::to_string),
            requests_per_minute: rpm,
            tokens_per_minute: tpm,
        }
    }

    #[test]
    fn buckets_throttle_and_refill() {
        let quotas = Quotas::default();
        quotas.set(quota("*", None, Some(3), None));
        for _ in 0..3 {
            assert!(quotas.admit("us-east-1", &["m"], 10).is_ok());
        }
        let e = quotas.admit("us-east-1", &["m"], 10).unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("ThrottlingException", TOO_MANY_REQUESTS)
        );
        // Another model and another Region have buckets of their own.
        assert!(quotas.admit("us-east-1", &["other"], 10).is_ok());
        assert!(quotas.admit("eu-west-1", &["m"], 10).is_ok());
        // At 6000x, a quota minute takes 10 ms: one request's worth in ~3.3 ms.
        quotas.set_time_scale(6000.0).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert!(quotas.admit("us-east-1", &["x"], 1).is_ok());
    }

    #[test]
    fn tokens_and_the_most_specific_rule() {
        let quotas = Quotas::default();
        quotas.set(quota("*", None, None, Some(100)));
        quotas.set(quota("base", Some("ap-south-1"), None, Some(10)));
        assert!(quotas
            .admit("ap-south-1", &["global.base", "base"], 8)
            .is_ok());
        let e = quotas
            .admit("ap-south-1", &["apac.base", "base"], 8)
            .unwrap_err();
        assert_eq!(e.message, TOO_MANY_TOKENS);
        // Elsewhere the `*` rule applies; a request larger than a full bucket passes once.
        assert!(quotas
            .admit("us-east-1", &["global.base", "base"], 500)
            .is_ok());
        assert!(quotas
            .admit("us-east-1", &["global.base", "base"], 1)
            .is_err());
        quotas.set(quota("*", None, None, None));
        assert_eq!(quotas.list().len(), 1);
        quotas.clear();
        assert!(quotas
            .admit("ap-south-1", &["apac.base", "base"], 1000)
            .is_ok());
    }

    #[test]
    fn json_forms() {
        let q = Quota::from_json(&json!({"region": "us-west-2", "tokens_per_minute": 5})).unwrap();
        assert_eq!(q, quota("*", Some("us-west-2"), None, Some(5)));
        assert_eq!(Quota::from_json(&q.to_json()), Ok(q));
        for bad in [
            json!([]),
            json!({"tokens_per_minute": 0}),
            json!({"requests_per_minute": "x"}),
            json!({"region": ""}),
            json!({"burst": 1}),
        ] {
            assert!(Quota::from_json(&bad).is_err(), "{bad}");
        }
        let quotas = Quotas::default();
        quotas.count("r", "m", Ok((3, 4)));
        quotas.count("r", "m", Err("ThrottlingException"));
        quotas.count("r", "m", Err("ValidationException"));
        assert_eq!(
            quotas.usage_json(),
            json!({"r": {"m": {"requests": 3, "throttled": 1, "errors": 1, "input_tokens": 3, "output_tokens": 4}}})
        );
    }
}
