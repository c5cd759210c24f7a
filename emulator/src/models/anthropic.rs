//! Anthropic Messages API on Bedrock (`anthropic_version: bedrock-2023-05-31`).

use serde_json::{json, Map, Value};

use super::{invocation_metrics, Invocation};
use crate::canonical::canonical_string;
use crate::errors::ApiError;
use crate::generate::{generate, Answer, Prompt, ToolChoice, ToolDef};
use crate::text::base62_id;
use crate::text::split_str;

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
    prompt.push_text_blocks(request.get("system"));
    // A `compaction` block in the history replaces everything before it (the system prompt
    // stays): the conversation continues from its summary.
    let (system_text, system_tokens) = (prompt.text.clone(), prompt.input_tokens);
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
                        Some("compaction") => {
                            prompt.text.clone_from(&system_text);
                            prompt.input_tokens = system_tokens;
                            if let Some(summary) = block.get("content").and_then(Value::as_str) {
                                prompt.push_text(summary);
                            }
                        }
                        Some("tool_use") => {
                            if let Some(input) = block.get("input") {
                                prompt.push_text(&canonical_string(input));
                            }
                        }
                        Some("tool_result") => {
                            tool_result = true;
                            prompt.push_text_blocks(block.get("content"));
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
        prompt.set_stop_sequences(stops);
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

/// The beta that turns on threshold compaction (`anthropic_beta` in a Bedrock body).
pub const COMPACT_BETA: &str = "compact-2026-01-12";
/// The trigger when `trigger` is not given, and the least one accepted.
const DEFAULT_TRIGGER: i64 = 150_000;
const MIN_TRIGGER: i64 = 50_000;

/// A `compact_20260112` edit of `context_management.edits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompactEdit {
    /// Compaction happens when the input exceeds this many tokens.
    pub trigger: u32,
    /// `pause_after_compaction`: answer with the compaction block alone.
    pub pause: bool,
}

/// The request's compaction edit: only with the `compact-2026-01-12` beta in `anthropic_beta`
/// (without it `context_management` is ignored). A trigger below 50,000 tokens, or of a type
/// other than `input_tokens`, is malformed input.
pub fn compact_edit(request: &Map<String, Value>) -> Result<Option<CompactEdit>, ApiError> {
    let beta = request
        .get("anthropic_beta")
        .and_then(Value::as_array)
        .is_some_and(|betas| betas.iter().any(|b| b.as_str() == Some(COMPACT_BETA)));
    let edits = request
        .get("context_management")
        .and_then(|c| c.get("edits"))
        .and_then(Value::as_array);
    let (true, Some(edits)) = (beta, edits) else {
        return Ok(None);
    };
    for (i, edit) in edits.iter().enumerate() {
        if edit.get("type").and_then(Value::as_str) != Some("compact_20260112") {
            continue;
        }
        let path = format!("#/context_management/edits/{i}/trigger");
        let value = match edit.get("trigger") {
            None | Some(Value::Null) => DEFAULT_TRIGGER,
            Some(trigger) => {
                if trigger.get("type").and_then(Value::as_str) != Some("input_tokens") {
                    return Err(ApiError::malformed(&format!(
                        "{path}/type: expected input_tokens"
                    )));
                }
                trigger
                    .get("value")
                    .and_then(Value::as_i64)
                    .ok_or_else(|| {
                        ApiError::malformed(&format!("{path}/value: expected type: Integer"))
                    })?
            }
        };
        if value < MIN_TRIGGER {
            return Err(ApiError::malformed(&format!(
                "{path}/value: {value} is not greater or equal to {MIN_TRIGGER}"
            )));
        }
        return Ok(Some(CompactEdit {
            trigger: u32::try_from(value).unwrap_or(u32::MAX),
            pause: edit.get("pause_after_compaction").and_then(Value::as_bool) == Some(true),
        }));
    }
    Ok(None)
}

/// What compaction did to one request.
struct Compacted {
    summary: String,
    /// The compaction iteration: it reads the whole conversation and writes the summary.
    input_tokens: u32,
    output_tokens: u32,
    pause: bool,
}

/// Compacts when the request asks for it and its input exceeds the trigger.
fn compact(request: &Map<String, Value>, prompt: &Prompt) -> Result<Option<Compacted>, ApiError> {
    let Some(edit) = compact_edit(request)? else {
        return Ok(None);
    };
    if prompt.input_tokens <= edit.trigger {
        return Ok(None);
    }
    let seed = crate::text::hash64(&[
        b"compaction",
        prompt.model.as_bytes(),
        prompt.text.as_bytes(),
    ]);
    let summary = format!(
        "Summary of the conversation: {}",
        crate::text::pseudo_english(seed, 3, 0).as_str()
    );
    Ok(Some(Compacted {
        output_tokens: crate::text::count_tokens(&summary),
        summary,
        input_tokens: prompt.input_tokens,
        pause: edit.pause,
    }))
}

/// The answer to a request, compaction applied: the model answers from the summary and the
/// last user turn (its input tokens), or not at all when paused.
struct Turn {
    answer: Answer,
    compacted: Option<Compacted>,
}

impl Turn {
    fn of(request: &Map<String, Value>, base: &str, deltas: usize) -> Result<Turn, ApiError> {
        let prompt = parse(request, base, deltas)?;
        let compacted = compact(request, &prompt)?;
        let mut answer = generate(&prompt);
        if let Some(c) = &compacted {
            answer.input_tokens = if c.pause {
                0
            } else {
                crate::text::count_tokens(&c.summary)
                    .saturating_add(crate::text::count_tokens(&prompt.last_user_text))
                    .max(1)
            };
            if c.pause {
                answer.output_tokens = 0;
            }
        }
        Ok(Turn { answer, compacted })
    }

    fn paused(&self) -> bool {
        self.compacted.as_ref().is_some_and(|c| c.pause)
    }

    fn stop_reason(&self) -> &str {
        if self.paused() {
            "compaction"
        } else {
            self.answer.stop_reason.as_str()
        }
    }

    /// `usage.iterations`, present only when this request compacted.
    fn iterations(&self) -> Option<Value> {
        let c = self.compacted.as_ref()?;
        let mut out = vec![json!({"type": "compaction", "input_tokens": c.input_tokens,
                                  "output_tokens": c.output_tokens})];
        if !c.pause {
            out.push(
                json!({"type": "message", "input_tokens": self.answer.input_tokens,
                            "output_tokens": self.answer.output_tokens}),
            );
        }
        Some(Value::Array(out))
    }

    /// The answer with every iteration's tokens (what is billed, and reported in headers).
    fn billed(&self) -> Answer {
        let mut billed = self.answer.clone();
        if let Some(c) = &self.compacted {
            billed.input_tokens = billed.input_tokens.saturating_add(c.input_tokens);
            billed.output_tokens = billed.output_tokens.saturating_add(c.output_tokens);
        }
        billed
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
    let turn = Turn::of(request, base, deltas)?;
    let answer = &turn.answer;
    let mut blocks = Vec::with_capacity(4);
    if let Some(c) = &turn.compacted {
        blocks.push(json!({"type": "compaction", "content": c.summary}));
    }
    if !turn.paused() {
        blocks.extend(content(answer));
    }
    let mut usage = json!({
        "input_tokens": answer.input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": answer.output_tokens,
    });
    if let (Some(iterations), Some(u)) = (turn.iterations(), usage.as_object_mut()) {
        u.insert("iterations".to_string(), iterations);
    }
    let body = json!({
        "id": message_id(answer),
        "type": "message",
        "role": "assistant",
        "model": model_name(base),
        "content": blocks,
        "stop_reason": turn.stop_reason(),
        "stop_sequence": if turn.paused() { None } else { answer.stop_sequence.clone() },
        "usage": usage,
    });
    Ok(Invocation::of(
        serde_json::to_vec(&body).unwrap_or_default(),
        &turn.billed(),
    ))
}

/// InvokeModelWithResponseStream chunks (each a native JSON event).
pub fn stream(
    request: &Map<String, Value>,
    base: &str,
    deltas: usize,
) -> Result<Vec<Value>, ApiError> {
    let turn = Turn::of(request, base, deltas)?;
    let answer = &turn.answer;
    let mut chunks = Vec::new();
    chunks.push(json!({"type": "message_start", "message": {
        "id": message_id(answer), "type": "message", "role": "assistant", "model": model_name(base),
        "content": [], "stop_reason": null, "stop_sequence": null,
        "usage": {"input_tokens": answer.input_tokens, "cache_creation_input_tokens": 0,
                  "cache_read_input_tokens": 0, "output_tokens": 1},
    }}));
    let mut index = 0u32;
    if let Some(c) = &turn.compacted {
        // The summary arrives whole, in one compaction_delta.
        chunks.push(json!({"type": "content_block_start", "index": index,
                           "content_block": {"type": "compaction", "content": null}}));
        chunks.push(json!({"type": "content_block_delta", "index": index,
                           "delta": {"type": "compaction_delta", "content": c.summary}}));
        chunks.push(json!({"type": "content_block_stop", "index": index}));
        index += 1;
    }
    if !turn.paused() {
        blocks_chunks(answer, deltas, index, &mut chunks);
    }
    let mut usage = json!({"output_tokens": answer.output_tokens});
    if let (Some(iterations), Some(u)) = (turn.iterations(), usage.as_object_mut()) {
        u.insert("iterations".to_string(), iterations);
    }
    let stop_sequence = if turn.paused() {
        None
    } else {
        answer.stop_sequence.clone()
    };
    chunks.push(json!({"type": "message_delta",
                       "delta": {"stop_reason": turn.stop_reason(), "stop_sequence": stop_sequence},
                       "usage": usage}));
    chunks.push(json!({"type": "message_stop",
                       "amazon-bedrock-invocationMetrics": invocation_metrics(&turn.billed())}));
    Ok(chunks)
}

/// The stream chunks of the answer's thinking, text and tool blocks, from block `index` on.
fn blocks_chunks(answer: &Answer, deltas: usize, mut index: u32, chunks: &mut Vec<Value>) {
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
    fn compaction_edits() {
        let edit = |v: Value| {
            let mut req = json!({"anthropic_beta": [COMPACT_BETA]});
            req["context_management"] = json!({"edits": [v]});
            compact_edit(req.as_object().unwrap_or(&Map::new()))
        };
        assert_eq!(
            edit(json!({"type": "compact_20260112"})).ok(),
            Some(Some(CompactEdit {
                trigger: 150_000,
                pause: false
            }))
        );
        assert_eq!(
            edit(
                json!({"type": "compact_20260112", "pause_after_compaction": true,
                        "trigger": {"type": "input_tokens", "value": 60_000}})
            )
            .ok(),
            Some(Some(CompactEdit {
                trigger: 60_000,
                pause: true
            }))
        );
        assert!(edit(json!({"type": "compact_20260112",
                            "trigger": {"type": "input_tokens", "value": 49_999}}))
        .is_err());
        assert_eq!(
            edit(json!({"type": "clear_tool_uses_20250919"})).ok(),
            Some(None)
        );
        let no_beta = json!({"context_management": {"edits": [{"type": "compact_20260112"}]}});
        assert_eq!(
            compact_edit(no_beta.as_object().unwrap_or(&Map::new())).ok(),
            Some(None)
        );
    }

    #[test]
    fn a_compaction_block_replaces_the_history_before_it() {
        let req = json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10,
            "system": "Be brief.",
            "messages": [
                {"role": "user", "content": "one two three four five six seven eight"},
                {"role": "assistant", "content": [{"type": "compaction", "content": "Summary here"}]},
                {"role": "user", "content": "next"}]});
        let p = parse(req.as_object().unwrap_or(&Map::new()), "m", 0).ok();
        assert_eq!(
            p.map(|p| (p.text, p.input_tokens)),
            Some(("Be brief.\nSummary here\nnext".to_string(), 6))
        );
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
