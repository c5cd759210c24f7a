//! Anthropic Messages API on Bedrock (`anthropic_version: bedrock-2023-05-31`).

use serde_json::{json, Map, Value};

use super::{invocation_metrics, Invocation};
use crate::canonical::canonical_string;
use crate::errors::ApiError;
use crate::generate::{generate, Answer, Prompt, ToolChoice, ToolDef};
use crate::ops::converse::split_str;
use crate::text::base62_id;

/// Parses a Messages request into a prompt.
pub fn parse(request: &Map<String, Value>, model: &str, deltas: usize) -> Result<Prompt, ApiError> {
    for key in ["anthropic_version", "max_tokens", "messages"] {
        if !request.contains_key(key) {
            return Err(ApiError::malformed(&format!(
                "#: required key [{key}] not found"
            )));
        }
    }
    let max_tokens = request
        .get("max_tokens")
        .and_then(Value::as_i64)
        .ok_or_else(|| ApiError::malformed("#/max_tokens: expected type: Integer"))?;
    if max_tokens < 1 {
        return Err(ApiError::malformed(&format!(
            "#/max_tokens: {max_tokens} is not greater or equal to 1"
        )));
    }
    let messages = request
        .get("messages")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::malformed("#/messages: expected type: JSONArray"))?;
    if messages.is_empty() {
        return Err(ApiError::malformed(
            "#/messages: expected minimum item count: 1, found: 0",
        ));
    }
    let mut prompt = Prompt {
        model: model.to_string(),
        max_tokens: Some(u32::try_from(max_tokens).unwrap_or(u32::MAX)),
        min_pieces: deltas,
        ..Prompt::default()
    };
    match request.get("system") {
        Some(Value::String(s)) => prompt.push_text(s),
        Some(Value::Array(blocks)) => {
            for b in blocks {
                if let Some(t) = b.get("text").and_then(Value::as_str) {
                    prompt.push_text(t);
                }
            }
        }
        _ => {}
    }
    for (i, message) in messages.iter().enumerate() {
        let role = message.get("role").and_then(Value::as_str).unwrap_or("");
        if role != "user" && role != "assistant" {
            return Err(ApiError::malformed(&format!(
                "#/messages/{i}/role: {role} is not a valid enum value"
            )));
        }
        let last = i + 1 == messages.len();
        let mut turn_text = String::new();
        let mut tool_result = false;
        match message.get("content") {
            Some(Value::String(s)) => {
                prompt.push_text(s);
                turn_text.push_str(s);
            }
            Some(Value::Array(blocks)) => {
                for block in blocks {
                    match block.get("type").and_then(Value::as_str) {
                        Some("text") => {
                            let t = block.get("text").and_then(Value::as_str).unwrap_or("");
                            prompt.push_text(t);
                            turn_text.push_str(t);
                        }
                        Some("tool_use") => {
                            if let Some(input) = block.get("input") {
                                prompt.push_text(&canonical_string(input));
                            }
                        }
                        Some("tool_result") => {
                            tool_result = true;
                            match block.get("content") {
                                Some(Value::String(s)) => prompt.push_text(s),
                                Some(Value::Array(parts)) => {
                                    for p in parts {
                                        if let Some(t) = p.get("text").and_then(Value::as_str) {
                                            prompt.push_text(t);
                                        }
                                    }
                                }
                                _ => {}
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {
                return Err(ApiError::malformed(&format!(
                    "#/messages/{i}: required key [content] not found"
                )))
            }
        }
        if last && role == "user" {
            prompt.last_user_text = turn_text;
            prompt.after_tool_result = tool_result;
        }
    }
    if let Some(stops) = request.get("stop_sequences").and_then(Value::as_array) {
        prompt.stop_sequences = stops
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
    }
    if let Some(tools) = request.get("tools").and_then(Value::as_array) {
        for tool in tools {
            let Some(name) = tool.get("name").and_then(Value::as_str) else {
                continue;
            };
            if let Some(d) = tool.get("description").and_then(Value::as_str) {
                prompt.push_text(d);
            }
            prompt.tools.push(ToolDef {
                name: name.to_string(),
                schema: tool.get("input_schema").cloned().unwrap_or(Value::Null),
            });
        }
    }
    if let Some(choice) = request.get("tool_choice") {
        prompt.tool_choice = match choice.get("type").and_then(Value::as_str) {
            Some("any") => ToolChoice::Any,
            Some("none") => ToolChoice::None,
            Some("tool") => ToolChoice::Tool(
                choice
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            ),
            _ => ToolChoice::Auto,
        };
    }
    if let Some(omitted) = request.get("thinking").and_then(thinking) {
        prompt.reasoning = true;
        prompt.reasoning_omitted = omitted;
    }
    Ok(prompt)
}

/// Whether a `thinking` (or Bedrock's `reasoning_config` / `reasoningConfig`) object turns
/// reasoning on — `{"type": "enabled", "budget_tokens": n}` (extended thinking) or
/// `{"type": "adaptive"}` (the model decides; the emulator always thinks) — and if so whether
/// its text is omitted (`"display": "omitted"`: the block carries only its signature).
/// `{"type": "disabled"}` or anything else: `None`.
pub fn thinking(config: &Value) -> Option<bool> {
    match config.get("type").and_then(Value::as_str) {
        Some("enabled" | "adaptive") => {
            Some(config.get("display").and_then(Value::as_str) == Some("omitted"))
        }
        _ => None,
    }
}

/// `claude-haiku-4-5-20251001` from `anthropic.claude-haiku-4-5-20251001-v1:0`.
fn model_name(base: &str) -> &str {
    let name = base.strip_prefix("anthropic.").unwrap_or(base);
    match name.rfind("-v") {
        // Only a version suffix such as `-v1:0` (a colon), not `claude-v2`.
        Some(at) if name[at + 2..].contains(':') => &name[..at],
        _ => name,
    }
}

fn message_id(answer: &Answer) -> String {
    format!("msg_bdrk_01{}", base62_id(answer.seed ^ 0x1d, 22))
}

fn tool_id(seed: u64) -> String {
    format!("toolu_bdrk_01{}", base62_id(seed, 22))
}

fn content(answer: &Answer) -> Vec<Value> {
    let mut out = Vec::with_capacity(3);
    if let Some(r) = answer.shown_reasoning() {
        out.push(json!({"type": "thinking", "thinking": r, "signature": answer.signature()}));
    }
    if let Some(t) = &answer.text {
        out.push(json!({"type": "text", "text": t.as_str()}));
    }
    if let Some(tool) = &answer.tool {
        out.push(json!({"type": "tool_use", "id": tool_id(tool.id_seed), "name": tool.name, "input": tool.input}));
    }
    out
}

/// InvokeModel answer.
pub fn invoke(
    request: &Map<String, Value>,
    base: &str,
    deltas: usize,
) -> Result<Invocation, ApiError> {
    let answer = generate(&parse(request, base, deltas)?);
    let body = json!({
        "id": message_id(&answer),
        "type": "message",
        "role": "assistant",
        "model": model_name(base),
        "content": content(&answer),
        "stop_reason": answer.stop_reason.as_str(),
        "stop_sequence": answer.stop_sequence,
        "usage": {
            "input_tokens": answer.input_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": answer.output_tokens,
        },
    });
    Ok(Invocation::of(
        serde_json::to_vec(&body).unwrap_or_default(),
        &answer,
    ))
}

/// InvokeModelWithResponseStream chunks (each a native JSON event).
pub fn stream(
    request: &Map<String, Value>,
    base: &str,
    deltas: usize,
) -> Result<Vec<Value>, ApiError> {
    let answer = generate(&parse(request, base, deltas)?);
    let mut chunks = Vec::new();
    chunks.push(json!({"type": "message_start", "message": {
        "id": message_id(&answer), "type": "message", "role": "assistant", "model": model_name(base),
        "content": [], "stop_reason": null, "stop_sequence": null,
        "usage": {"input_tokens": answer.input_tokens, "cache_creation_input_tokens": 0,
                  "cache_read_input_tokens": 0, "output_tokens": 1},
    }}));
    let mut index = 0u32;
    if answer.reasoning.is_some() {
        chunks.push(json!({"type": "content_block_start", "index": index,
                           "content_block": {"type": "thinking", "thinking": "", "signature": ""}}));
        for piece in answer.reasoning_chunks() {
            chunks.push(json!({"type": "content_block_delta", "index": index,
                               "delta": {"type": "thinking_delta", "thinking": piece}}));
        }
        chunks.push(json!({"type": "content_block_delta", "index": index,
                           "delta": {"type": "signature_delta", "signature": answer.signature()}}));
        chunks.push(json!({"type": "content_block_stop", "index": index}));
        index += 1;
    }
    if let Some(t) = &answer.text {
        chunks.push(json!({"type": "content_block_start", "index": index,
                           "content_block": {"type": "text", "text": ""}}));
        for piece in t.chunks(deltas) {
            chunks.push(json!({"type": "content_block_delta", "index": index,
                               "delta": {"type": "text_delta", "text": piece}}));
        }
        chunks.push(json!({"type": "content_block_stop", "index": index}));
        index += 1;
    }
    if let Some(tool) = &answer.tool {
        chunks.push(json!({"type": "content_block_start", "index": index,
                           "content_block": {"type": "tool_use", "id": tool_id(tool.id_seed),
                                             "name": tool.name, "input": {}}}));
        let input = tool.input.to_string();
        for piece in split_str(&input, 3) {
            chunks.push(json!({"type": "content_block_delta", "index": index,
                               "delta": {"type": "input_json_delta", "partial_json": piece}}));
        }
        chunks.push(json!({"type": "content_block_stop", "index": index}));
    }
    chunks.push(json!({"type": "message_delta",
                       "delta": {"stop_reason": answer.stop_reason.as_str(), "stop_sequence": answer.stop_sequence},
                       "usage": {"output_tokens": answer.output_tokens}}));
    chunks.push(json!({"type": "message_stop",
                       "amazon-bedrock-invocationMetrics": invocation_metrics(&answer)}));
    Ok(chunks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names() {
        assert_eq!(
            model_name("anthropic.claude-haiku-4-5-20251001-v1:0"),
            "claude-haiku-4-5-20251001"
        );
        assert_eq!(model_name("anthropic.claude-v2"), "claude-v2");
    }

    #[test]
    fn thinking_modes() {
        assert_eq!(
            thinking(&json!({"type": "enabled", "budget_tokens": 1024})),
            Some(false)
        );
        assert_eq!(thinking(&json!({"type": "adaptive"})), Some(false));
        assert_eq!(
            thinking(&json!({"type": "adaptive", "display": "omitted"})),
            Some(true)
        );
        assert_eq!(thinking(&json!({"type": "disabled"})), None);
        assert_eq!(thinking(&json!("enabled")), None);
    }

    #[test]
    fn requires_the_messages_api_keys() {
        let req = json!({"anthropic_version": "bedrock-2023-05-31", "messages": []});
        let err = parse(req.as_object().unwrap_or(&Map::new()), "m", 0).err();
        assert_eq!(
            err.map(|e| e.message),
            Some("Malformed input request: #: required key [max_tokens] not found, please reformat your input and try again.".to_string())
        );
    }
}
