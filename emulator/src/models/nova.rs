//! Amazon Nova's native format (`schemaVersion: messages-v1`), which mirrors Converse.

use serde_json::{json, Map, Value};

use super::messages::{content_blocks, parse_prompt, tool_use_id};
use super::{invocation_metrics, Invocation};
use crate::errors::ApiError;
use crate::generate::{generate, Answer, Prompt};
use crate::text::split_str;

fn parse(request: &Map<String, Value>, base: &str, deltas: usize) -> Result<Prompt, ApiError> {
    if !request.contains_key("messages") {
        return Err(ApiError::malformed("#: required key [messages] not found"));
    }
    // Nova spells the token limit `max_new_tokens`; Converse spells it `maxTokens`.
    let mut request = request.clone();
    if let Some(Value::Object(config)) = request.get_mut("inferenceConfig") {
        if let Some(max) = config.remove("max_new_tokens") {
            config.insert("maxTokens".into(), max);
        }
        config.remove("topK");
    }
    parse_prompt(&request, base, deltas, true)
}

fn usage(answer: &Answer) -> Value {
    json!({
        "inputTokens": answer.input_tokens,
        "outputTokens": answer.output_tokens,
        "totalTokens": answer.total_tokens(),
        "cacheReadInputTokenCount": 0,
        "cacheWriteInputTokenCount": 0,
    })
}

/// InvokeModel answer.
pub fn invoke(
    request: &Map<String, Value>,
    base: &str,
    deltas: usize,
) -> Result<Invocation, ApiError> {
    let answer = generate(&parse(request, base, deltas)?);
    let body = json!({
        "output": {"message": {"content": content_blocks(&answer), "role": "assistant"}},
        "stopReason": answer.stop_reason.as_str(),
        "usage": usage(&answer),
    });
    Ok(Invocation::of(
        serde_json::to_vec(&body).unwrap_or_default(),
        &answer,
    ))
}

/// InvokeModelWithResponseStream chunks.
pub fn stream(
    request: &Map<String, Value>,
    base: &str,
    deltas: usize,
) -> Result<Vec<Value>, ApiError> {
    let answer = generate(&parse(request, base, deltas)?);
    let mut chunks = vec![json!({"messageStart": {"role": "assistant"}})];
    let mut index = 0u32;
    if let Some(t) = &answer.text {
        for piece in t.chunks(deltas) {
            chunks.push(json!({"contentBlockDelta": {"delta": {"text": piece}, "contentBlockIndex": index}}));
        }
        chunks.push(json!({"contentBlockStop": {"contentBlockIndex": index}}));
        index += 1;
    }
    if let Some(tool) = &answer.tool {
        chunks.push(json!({"contentBlockStart": {"start": {"toolUse": {
            "toolUseId": tool_use_id(tool.id_seed), "name": tool.name}}, "contentBlockIndex": index}}));
        let input = tool.input.to_string();
        for piece in split_str(&input, 3) {
            chunks.push(json!({"contentBlockDelta": {"delta": {"toolUse": {"input": piece}}, "contentBlockIndex": index}}));
        }
        chunks.push(json!({"contentBlockStop": {"contentBlockIndex": index}}));
    }
    chunks.push(json!({"messageStop": {"stopReason": answer.stop_reason.as_str()}}));
    chunks.push(json!({
        "metadata": {"usage": {"inputTokens": answer.input_tokens, "outputTokens": answer.output_tokens},
                     "metrics": {}, "trace": {}},
        "amazon-bedrock-invocationMetrics": invocation_metrics(&answer),
    }));
    Ok(chunks)
}
