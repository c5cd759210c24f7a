//! From a route to an operation's answer: faults taken, the model resolved, quotas
//! admitted, and a stream fault applied to the answer's frames.

use std::sync::atomic::Ordering;

use hyper::http::request::Parts;

use crate::errors::ApiError;
use crate::eventstream::{corrupted, exception_frame, truncated, Tail};
use crate::faults::{FaultKind, StreamEnd};
use crate::model_id::{resolve, Resolution};
use crate::ops::{converse, count_tokens, guardrail, invoke, ModelCtx};
use crate::reply::{Reply, ReplyBody};
use crate::routing::Route;

use super::Shared;

/// Takes a fault for this request (noted in `taken`): an error fault answers at once; a
/// stream fault is returned for the body to apply; the others are applied by the caller.
pub(super) fn check_faults(
    shared: &Shared,
    ids: &[&str],
    region: &str,
    streaming: bool,
    taken: &mut Option<FaultKind>,
) -> Result<Option<(usize, StreamEnd)>, ApiError> {
    let kind = shared.faults.take(ids, region, streaming);
    *taken = kind.clone();
    match kind {
        Some(FaultKind::Error(e)) => Err(e),
        Some(FaultKind::Stream { after_events, end }) => Ok(Some((after_events, end))),
        _ => Ok(None),
    }
}

pub(super) fn dispatch(
    shared: &Shared,
    route: &Route,
    parts: &Parts,
    body: &[u8],
    region: &str,
    taken: &mut Option<FaultKind>,
) -> Result<(Reply, Tail), ApiError> {
    let model_id = match route {
        Route::Converse { model_id }
        | Route::ConverseStream { model_id }
        | Route::InvokeModel { model_id }
        | Route::InvokeModelWithResponseStream { model_id }
        | Route::CountTokens { model_id } => model_id,
        Route::ApplyGuardrail { guardrail_id, .. } => {
            check_faults(shared, &[guardrail_id], region, false, taken)?;
            return Ok((guardrail::apply_guardrail(body)?, Tail::Finish));
        }
        Route::StartAsyncInvoke => {
            check_faults(shared, &[], region, false, taken)?;
            return Ok((shared.jobs.start(body, region)?, Tail::Finish));
        }
        Route::GetAsyncInvoke { invocation_arn } => {
            check_faults(shared, &[], region, false, taken)?;
            return Ok((shared.jobs.get(invocation_arn)?, Tail::Finish));
        }
        Route::ListAsyncInvokes => {
            check_faults(shared, &[], region, false, taken)?;
            return Ok((
                shared.jobs.list(parts.uri.query().unwrap_or(""))?,
                Tail::Finish,
            ));
        }
        Route::InvokeModelWithBidirectionalStream { .. } => {
            // `handle` serves it as a duplex stream; a collected body cannot be answered.
            return Err(ApiError::validation(
                "InvokeModelWithBidirectionalStream needs a streamed request body.",
            ));
        }
        Route::Unknown => {
            return Err(ApiError::new(
                "UnknownOperationException",
                format!(
                    "No operation matches {} {}.",
                    parts.method,
                    parts.uri.path()
                ),
            ))
        }
    };
    let streaming = route.is_streaming();
    let model = match resolve(model_id) {
        Ok(Resolution::Model(m)) => m,
        Ok(Resolution::Error(e)) => return Err(e),
        Err(e) => {
            // Faults may target ids the emulator doesn't know.
            check_faults(shared, &[model_id], region, streaming, taken)?;
            return Err(e);
        }
    };
    let stream_fault = check_faults(shared, &[model_id, &model.base], region, streaming, taken)?;
    let ctx = ModelCtx {
        model: &model,
        body,
        deltas: model
            .deltas
            .unwrap_or_else(|| shared.stream_deltas.load(Ordering::Relaxed)),
    };
    let mut reply = match route {
        Route::Converse { .. } => converse::converse(&ctx)?,
        Route::ConverseStream { .. } => converse::converse_stream(&ctx)?,
        Route::InvokeModel { .. } => invoke::invoke_model(&ctx)?,
        Route::InvokeModelWithResponseStream { .. } => invoke::invoke_stream(&ctx)?,
        _ => count_tokens::count_tokens_op(&ctx)?,
    };
    if route.inference_model_id().is_some() {
        let (input, output) = reply.tokens;
        let tokens = u64::from(input) + u64::from(output);
        shared
            .quotas
            .admit(region, &[model_id, &model.base], tokens)?;
    }
    let mut tail = Tail::Finish;
    if let (Some((after, end)), ReplyBody::Events(frames)) = (stream_fault, &mut reply.body) {
        match end {
            StreamEnd::Exception(e) => {
                frames.truncate(after);
                frames.push(exception_frame(&e));
            }
            StreamEnd::Cut => {
                frames.truncate(after);
                tail = Tail::Cut;
            }
            StreamEnd::Stall => {
                frames.truncate(after);
                tail = Tail::Stall;
            }
            StreamEnd::Truncate => {
                let next = frames.get(after).map(truncated);
                frames.truncate(after);
                frames.extend(next);
            }
            StreamEnd::CorruptCrc => {
                if let Some(frame) = frames.get_mut(after) {
                    *frame = corrupted(frame);
                }
            }
        }
    }
    Ok((reply, tail))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};
    use std::time::Duration;

    use crate::routing::route;
    use crate::server::DEFAULT_REGION;
    use hyper::Request;

    /// Every variant of `value` with one member (at any depth) replaced by `replacement`.
    fn mutations(value: &Value, replacement: &Value, out: &mut Vec<Value>) {
        match value {
            Value::Object(map) => {
                for key in map.keys() {
                    let mut changed = map.clone();
                    changed.insert(key.clone(), replacement.clone());
                    out.push(Value::Object(changed));
                    let mut inner = Vec::new();
                    mutations(&map[key], replacement, &mut inner);
                    for v in inner {
                        let mut changed = map.clone();
                        changed.insert(key.clone(), v);
                        out.push(Value::Object(changed));
                    }
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let mut inner = Vec::new();
                    mutations(item, replacement, &mut inner);
                    for v in inner {
                        let mut changed = items.clone();
                        changed[i] = v;
                        out.push(Value::Array(changed));
                    }
                }
            }
            _ => {}
        }
    }

    /// Hostile bodies (every member swapped for every JSON type) never panic and always get
    /// an answer.
    #[test]
    fn mutated_requests_never_panic() {
        let shared = Shared::new(0, 1 << 20, Duration::ZERO, 0);
        let tool = json!({"toolSpec": {"name": "t", "description": "d",
                          "inputSchema": {"json": {"type": "object", "properties": {"a": {"type": "array", "items": {"type": "string"}}}, "required": ["a"]}}}});
        let converse = json!({
            "messages": [{"role": "user", "content": [{"text": "hi t"}, {"toolResult": {"toolUseId": "x", "content": [{"text": "r"}]}}]}],
            "system": [{"text": "s"}],
            "inferenceConfig": {"maxTokens": 5, "temperature": 0.5, "stopSequences": ["a"]},
            "toolConfig": {"tools": [tool], "toolChoice": {"tool": {"name": "t"}}},
            "additionalModelRequestFields": {"thinking": {"type": "enabled"}},
        });
        let anthropic = json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 5, "system": "s",
            "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "tool_result", "content": [{"type": "text", "text": "r"}]}]}],
            "tools": [{"name": "t", "input_schema": {"type": "object"}}], "tool_choice": {"type": "tool", "name": "t"},
            "stop_sequences": ["x"], "thinking": {"type": "enabled"}});
        let cohere = json!({"texts": ["a", "b"], "input_type": "search_document", "embedding_types": ["float", "int8", "binary"],
                            "output_dimension": 256, "truncate": "NONE"});
        let mut cohere_v3 = cohere.clone();
        if let Some(obj) = cohere_v3.as_object_mut() {
            obj.remove("output_dimension");
        }
        let titan = json!({"inputText": "a", "dimensions": 256, "normalize": false, "embeddingTypes": ["float", "binary"]});
        let nova = json!({"messages": [{"role": "user", "content": [{"text": "hi"}]}], "inferenceConfig": {"max_new_tokens": 3}});
        let llama = json!({"prompt": "hi", "max_gen_len": 3, "stop": ["x"]});
        let guardrail = json!({"source": "INPUT", "content": [{"text": {"text": "blocked"}}]});
        let async_start = json!({"modelId": "amazon.nova-lite-v1:0", "modelInput": {}, "clientRequestToken": "t",
                                 "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://b/"}}});
        let count = json!({"input": {"converse": converse.clone()}});
        let cases: Vec<(&str, Value)> = vec![
            (
                "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse",
                converse.clone(),
            ),
            (
                "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream",
                converse,
            ),
            (
                "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke",
                anthropic.clone(),
            ),
            (
                "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke-with-response-stream",
                anthropic,
            ),
            ("/model/cohere.embed-v4%3A0/invoke", cohere.clone()),
            ("/model/cohere.embed-english-v3/invoke", cohere_v3),
            ("/model/amazon.titan-embed-text-v2%3A0/invoke", titan),
            (
                "/model/amazon.nova-lite-v1%3A0/invoke-with-response-stream",
                nova,
            ),
            (
                "/model/meta.llama3-8b-instruct-v1%3A0/invoke-with-response-stream",
                llama,
            ),
            (
                "/model/anthropic.claude-3-haiku-20240307-v1%3A0/count-tokens",
                count,
            ),
            ("/guardrail/g/version/1/apply", guardrail),
            ("/async-invoke", async_start),
        ];
        let replacements = [
            Value::Null,
            json!(-1),
            json!(1e300),
            json!("x"),
            json!(""),
            json!([]),
            json!({}),
            json!([{"text": 5}]),
        ];
        let mut answered = 0;
        for (path, valid) in &cases {
            let mut bodies = vec![valid.clone()];
            for r in &replacements {
                mutations(valid, r, &mut bodies);
            }
            for (i, body) in bodies.into_iter().enumerate() {
                let (parts, ()) = Request::builder()
                    .method("POST")
                    .uri(*path)
                    .body(())
                    .expect("request")
                    .into_parts();
                let bytes = serde_json::to_vec(&body).expect("json");
                let result = dispatch(
                    &shared,
                    &route(&parts.method, parts.uri.path()),
                    &parts,
                    &bytes,
                    DEFAULT_REGION,
                    &mut None,
                );
                // The unmutated request is valid.
                assert!(i > 0 || result.is_ok(), "{path}: {:?}", result.err());
                answered += 1;
            }
        }
        assert!(answered > 1000, "{answered}");
    }
}
