//! Converse's message shapes, shared by Converse, CountTokens and Amazon Nova's native format
//! (which mirrors Converse): the request members that shape the answer, read into a
//! [`Prompt`], and the answer's content blocks.

use serde_json::{json, Map, Value};

use super::anthropic;
use crate::canonical::canonical_string;
use crate::errors::ApiError;
use crate::generate::{Answer, Prompt, ToolChoice, ToolDef};
use crate::text::base62_id;

/// Reads an optional member of a given JSON type; a wrong type is a serialization error, as
/// the service's deserializer reports it.
pub fn opt<'a, T>(
    map: &'a Map<String, Value>,
    key: &str,
    path: &str,
    get: impl Fn(&'a Value) -> Option<T>,
) -> Result<Option<T>, ApiError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => get(v).map(Some).ok_or_else(|| {
            ApiError::new(
                "SerializationException",
                format!("Unexpected value type for member '{path}{key}'."),
            )
        }),
    }
}

/// Parses the Converse request members that shape the answer (also used by CountTokens and by
/// Nova's native format, which shares Converse's message shapes). `require_messages` is false
/// where an empty conversation is acceptable.
pub fn parse_prompt(
    request: &Map<String, Value>,
    model: &str,
    deltas: usize,
    require_messages: bool,
) -> Result<Prompt, ApiError> {
    let mut prompt = Prompt {
        model: model.to_string(),
        min_pieces: deltas,
        ..Prompt::default()
    };
    if let Some(system) = opt(request, "system", "", Value::as_array)? {
        for block in system {
            if let Some(text) = block.get("text").and_then(Value::as_str) {
                prompt.push_text(text);
            }
        }
    }
    let messages = opt(request, "messages", "", Value::as_array)?
        .map(Vec::as_slice)
        .unwrap_or_default();
    let starts_with_user = messages
        .first()
        .and_then(|m| m.get("role"))
        .and_then(Value::as_str)
        == Some("user");
    if require_messages && !starts_with_user {
        return Err(ApiError::validation(
            "A conversation must start with a user message. Try again with a conversation that starts with a user message.",
        ));
    }
    let mut uses_tools = false;
    let mut previous_role = "";
    for (i, message) in messages.iter().enumerate() {
        let Some(message) = message.as_object() else {
            return Err(ApiError::new(
                "SerializationException",
                "Unexpected value type for member 'messages'.",
            ));
        };
        let role = message.get("role").and_then(Value::as_str).unwrap_or("");
        if role != "user" && role != "assistant" {
            return Err(ApiError::constraint(
                &format!("messages.{}.member.role", i + 1),
                &format!("'{role}'"),
                "Member must satisfy enum value set: [user, assistant]",
            ));
        }
        if role == previous_role {
            return Err(ApiError::validation(
                "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.",
            ));
        }
        previous_role = role;
        let content = message
            .get("content")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if content.is_empty() {
            return Err(ApiError::validation(format!(
                "The content field in the Message object at messages.{i} is empty. Add a ContentBlock object to the content field and try again."
            )));
        }
        let last = i + 1 == messages.len();
        let mut turn_text = String::new();
        let mut has_tool_result = false;
        for block in content {
            if let Some(text) = block.get("text").and_then(Value::as_str) {
                prompt.push_text(text);
                turn_text.push_str(text);
                turn_text.push('\n');
            }
            if let Some(tool_use) = block.get("toolUse") {
                uses_tools = true;
                if let Some(input) = tool_use.get("input") {
                    prompt.push_text(&canonical_string(input));
                }
            }
            if let Some(result) = block.get("toolResult") {
                uses_tools = true;
                has_tool_result = true;
                for part in result
                    .get("content")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                {
                    if let Some(text) = part.get("text").and_then(Value::as_str) {
                        prompt.push_text(text);
                    } else if let Some(doc) = part.get("json") {
                        prompt.push_text(&canonical_string(doc));
                    }
                }
            }
            if let Some(name) = block
                .get("document")
                .and_then(|d| d.get("name"))
                .and_then(Value::as_str)
            {
                prompt.push_text(name);
            }
        }
        if last && role == "user" {
            prompt.last_user_text = turn_text;
            prompt.after_tool_result = has_tool_result;
        }
    }
    if let Some(config) = opt(request, "inferenceConfig", "", Value::as_object)? {
        parse_inference_config(config, &mut prompt)?;
    }
    match opt(request, "toolConfig", "", Value::as_object)? {
        Some(config) => parse_tool_config(config, &mut prompt)?,
        None if uses_tools => {
            return Err(ApiError::validation(
                "The toolConfig field must be defined when using toolUse and toolResult content blocks.",
            ))
        }
        None => {}
    }
    if let Some(fields) = opt(
        request,
        "additionalModelRequestFields",
        "",
        Value::as_object,
    )? {
        if let Some(omitted) = wants_reasoning(fields) {
            prompt.reasoning = true;
            prompt.reasoning_omitted = omitted;
        }
    }
    Ok(prompt)
}

/// Claude's `thinking` (or `reasoning_config`, as Bedrock's Claude 3.7 examples name it) and
/// Nova's `reasoningConfig` switch reasoning on: `{"type": "enabled", ...}` or
/// `{"type": "adaptive"}`. `Some(omitted)` when on (see [`anthropic::thinking`]).
pub fn wants_reasoning(fields: &Map<String, Value>) -> Option<bool> {
    ["thinking", "reasoning_config", "reasoningConfig"]
        .iter()
        .find_map(|key| fields.get(*key).and_then(anthropic::thinking))
}

fn parse_inference_config(
    config: &Map<String, Value>,
    prompt: &mut Prompt,
) -> Result<(), ApiError> {
    if let Some(max) = opt(config, "maxTokens", "inferenceConfig.", Value::as_i64)? {
        if max < 1 {
            return Err(ApiError::constraint(
                "inferenceConfig.maxTokens",
                &format!("'{max}'"),
                "Member must have value greater than or equal to 1",
            ));
        }
        prompt.max_tokens = Some(u32::try_from(max).unwrap_or(u32::MAX));
    }
    for (key, max) in [("temperature", 1.0), ("topP", 1.0)] {
        if let Some(v) = opt(config, key, "inferenceConfig.", Value::as_f64)? {
            if !(0.0..=max).contains(&v) {
                return Err(ApiError::constraint(
                    &format!("inferenceConfig.{key}"),
                    &format!("'{v}'"),
                    "Member must have value less than or equal to 1",
                ));
            }
        }
    }
    if let Some(stops) = opt(config, "stopSequences", "inferenceConfig.", Value::as_array)? {
        prompt.set_stop_sequences(stops);
    }
    Ok(())
}

fn parse_tool_config(config: &Map<String, Value>, prompt: &mut Prompt) -> Result<(), ApiError> {
    let tools = opt(config, "tools", "toolConfig.", Value::as_array)?
        .map(Vec::as_slice)
        .unwrap_or_default();
    for tool in tools {
        let Some(spec) = tool.get("toolSpec") else {
            continue;
        };
        let name = spec.get("name").and_then(Value::as_str).unwrap_or("");
        if name.is_empty() {
            return Err(ApiError::constraint(
                "toolConfig.tools.member.toolSpec.name",
                "null",
                "Member must not be null",
            ));
        }
        if let Some(description) = spec.get("description").and_then(Value::as_str) {
            prompt.push_text(description);
        }
        prompt.tools.push(ToolDef {
            name: name.to_string(),
            schema: spec
                .get("inputSchema")
                .and_then(|s| s.get("json"))
                .cloned()
                .unwrap_or(Value::Null),
        });
    }
    if prompt.tools.is_empty() {
        return Err(ApiError::validation(
            "The toolConfig field must contain at least one tool. Add a tool and try again.",
        ));
    }
    if let Some(choice) = opt(config, "toolChoice", "toolConfig.", Value::as_object)? {
        prompt.tool_choice = if choice.contains_key("any") {
            ToolChoice::Any
        } else if let Some(tool) = choice.get("tool") {
            let name = tool.get("name").and_then(Value::as_str).unwrap_or("");
            if !prompt.tools.iter().any(|t| t.name == name) {
                return Err(ApiError::validation(format!(
                    "The tool choice {name} is not defined in the toolConfig. Define the tool and try again."
                )));
            }
            ToolChoice::Tool(name.to_string())
        } else {
            ToolChoice::Auto
        };
    }
    Ok(())
}

/// The `tooluse_...` id Converse gives tool calls.
pub fn tool_use_id(seed: u64) -> String {
    format!("tooluse_{}", base62_id(seed, 22))
}

/// Converse content blocks of an answer, in the order the model produced them.
pub fn content_blocks(answer: &Answer) -> Vec<Value> {
    let mut content = Vec::with_capacity(3);
    if let Some(reasoning) = answer.shown_reasoning() {
        content.push(json!({"reasoningContent": {"reasoningText": {
            "text": reasoning, "signature": answer.signature()
        }}}));
    }
    if let Some(text) = &answer.text {
        content.push(json!({"text": text.as_str()}));
    }
    if let Some(tool) = &answer.tool {
        content.push(json!({"toolUse": {
            "toolUseId": tool_use_id(tool.id_seed), "name": tool.name, "input": tool.input
        }}));
    }
    content
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_validation() {
        let req = |v: Value| v.as_object().cloned().unwrap_or_default();
        assert!(parse_prompt(&req(json!({})), "m", 0, true).is_err());
        assert!(parse_prompt(
            &req(json!({"messages": [{"role": "assistant", "content": [{"text": "x"}]}]})),
            "m",
            0,
            true
        )
        .is_err());
        let err = parse_prompt(
            &req(json!({"messages": [{"role": "user", "content": [{"text": "x"}]}], "inferenceConfig": {"maxTokens": 0}})),
            "m",
            0,
            true,
        )
        .err();
        assert_eq!(err.map(|e| e.code), Some("ValidationException".to_string()));
        let p = parse_prompt(
            &req(json!({"messages": [{"role": "user", "content": [{"text": "Hello there"}]}]})),
            "m",
            0,
            true,
        );
        assert_eq!(p.map(|p| p.input_tokens).ok(), Some(2));
    }
}
