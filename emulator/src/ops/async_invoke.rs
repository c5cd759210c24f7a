//! StartAsyncInvoke, GetAsyncInvoke and ListAsyncInvokes over an in-memory job table.
//! Jobs complete at once (the emulator writes nothing to S3); the answers echo the request.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::canonical::{canonical, canonical_map_string};
use crate::errors::ApiError;
use crate::model_id::{resolve, Resolution};
use crate::reply::{parse_object, Reply};
use crate::text::{base62_id, hash64};

/// One submitted job.
#[derive(Debug, Clone)]
struct Job {
    arn: String,
    model_arn: String,
    token: Option<String>,
    submit: String,
    output: Value,
    seq: u64,
}

/// The emulator's async-invoke jobs.
#[derive(Debug, Default)]
pub struct AsyncJobs {
    jobs: Mutex<Vec<Job>>,
}

/// ISO-8601 UTC with milliseconds, as Bedrock formats timestamps.
pub fn iso8601(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        d.subsec_millis()
    )
}

impl AsyncJobs {
    pub fn clear(&self) {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    pub fn start(&self, body: &[u8], region: &str) -> Result<Reply, ApiError> {
        let request = parse_object(body)?;
        let model_id = request
            .get("modelId")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::constraint("modelId", "null", "Member must not be null"))?;
        let model = match resolve(model_id)? {
            Resolution::Model(m) => m,
            Resolution::Error(e) => return Err(e),
        };
        if !request.contains_key("modelInput") {
            return Err(ApiError::constraint(
                "modelInput",
                "null",
                "Member must not be null",
            ));
        }
        let output = request
            .get("outputDataConfig")
            .filter(|o| {
                o.get("s3OutputDataConfig")
                    .and_then(|s| s.get("s3Uri"))
                    .is_some()
            })
            // Echoed back in GetAsyncInvoke/ListAsyncInvokes: keys sorted, not as received.
            .map(canonical)
            .ok_or_else(|| {
                ApiError::constraint("outputDataConfig", "null", "Member must not be null")
            })?;
        let token = request
            .get("clientRequestToken")
            .and_then(Value::as_str)
            .map(str::to_string);
        let mut jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(t) = &token {
            if let Some(job) = jobs.iter().find(|j| j.token.as_deref() == Some(t.as_str())) {
                return Ok(Reply::json(&json!({"invocationArn": job.arn})));
            }
        }
        let seq = jobs.len() as u64;
        let canonical_request = canonical_map_string(&request);
        let id = base62_id(
            hash64(&[canonical_request.as_bytes(), &seq.to_le_bytes()]),
            12,
        )
        .to_lowercase();
        let arn = format!("arn:aws:bedrock:{region}:123456789012:async-invoke/{id}");
        jobs.push(Job {
            arn: arn.clone(),
            model_arn: format!("arn:aws:bedrock:{region}::foundation-model/{}", model.base),
            token,
            submit: iso8601(SystemTime::now()),
            output,
            seq,
        });
        Ok(Reply::json(&json!({ "invocationArn": arn })))
    }

    fn describe(job: &Job) -> Value {
        let mut v = json!({"invocationArn": job.arn, "modelArn": job.model_arn});
        if let Some(obj) = v.as_object_mut() {
            if let Some(t) = &job.token {
                obj.insert("clientRequestToken".into(), json!(t));
            }
            obj.insert("status".into(), json!("Completed"));
            obj.insert("submitTime".into(), json!(job.submit));
            obj.insert("lastModifiedTime".into(), json!(job.submit));
            obj.insert("endTime".into(), json!(job.submit));
            obj.insert("outputDataConfig".into(), job.output.clone());
        }
        v
    }

    pub fn get(&self, arn: &str) -> Result<Reply, ApiError> {
        let jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        let job = jobs.iter().find(|j| j.arn == arn).ok_or_else(|| {
            ApiError::validation(format!("The invocation ARN {arn} does not exist."))
        })?;
        Ok(Reply::json(&Self::describe(job)))
    }

    /// Honours `statusEquals`, `maxResults`, `nextToken` (an offset) and `sortOrder`.
    pub fn list(&self, query: &str) -> Result<Reply, ApiError> {
        let mut status = None;
        let mut max = 1000usize;
        let mut offset = 0usize;
        let mut ascending = false;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = crate::model_id::decode_segment(v);
            match k {
                "statusEquals" => status = Some(v),
                "maxResults" => {
                    max = v
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=1000).contains(n))
                        .ok_or_else(|| {
                            ApiError::constraint(
                                "maxResults",
                                &format!("'{v}'"),
                                "Member must have value between 1 and 1000",
                            )
                        })?
                }
                "nextToken" => {
                    offset = v
                        .parse()
                        .map_err(|_| ApiError::validation("The nextToken is invalid."))?
                }
                "sortOrder" => ascending = v == "Ascending",
                _ => {}
            }
        }
        let jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        let mut matching: Vec<&Job> = jobs
            .iter()
            .filter(|_| status.as_deref().is_none_or(|s| s == "Completed"))
            .collect();
        matching.sort_by_key(|j| j.seq);
        if !ascending {
            matching.reverse();
        }
        let page: Vec<Value> = matching
            .iter()
            .skip(offset)
            .take(max)
            .map(|j| Self::describe(j))
            .collect();
        let mut answer = serde_json::Map::new();
        if offset + page.len() < matching.len() {
            answer.insert("nextToken".into(), json!((offset + page.len()).to_string()));
        }
        answer.insert("asyncInvokeSummaries".into(), Value::Array(page));
        Ok(Reply::json(&Value::Object(answer)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_timestamps() {
        let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        assert_eq!(iso8601(t), "2023-11-14T22:13:20.123Z");
    }
}
