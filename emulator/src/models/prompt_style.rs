//! Prompt-completion native formats: Meta Llama and Mistral.

use serde_json::{json, Map, Value};

use super::{invocation_metrics, Invocation};
use crate::errors::ApiError;
use crate::generate::{generate, Answer, Prompt};

/// Which prompt-completion format a model speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Llama,
    Mistral,
}

/// The native format of a bare model id, if the emulator speaks it.
pub fn style_of(base: &str) -> Option<Style> {
    if base.starts_with("meta.llama") {
        Some(Style::Llama)
    } else if base.starts_with("mistral.") {
        Some(Style::Mistral)
    } else {
        None
    }
}

fn parse(
    style: Style,
    request: &Map<String, Value>,
    base: &str,
    deltas: usize,
) -> Result<Answer, ApiError> {
    let text = request
        .get("prompt")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::malformed("#: required key [prompt] not found"))?;
    let mut prompt = Prompt {
        model: base.to_string(),
        last_user_text: text.to_string(),
        min_pieces: deltas,
        ..Prompt::default()
    };
    prompt.push_text(text);
    let max_key = match style {
        Style::Llama => "max_gen_len",
        Style::Mistral => "max_tokens",
    };
    if let Some(max) = request.get(max_key).and_then(Value::as_i64) {
        prompt.max_tokens = Some(u32::try_from(max.max(1)).unwrap_or(u32::MAX));
    }
    if let Some(stops) = request.get("stop").and_then(Value::as_array) {
        prompt.set_stop_sequences(stops);
    }
    Ok(generate(&prompt))
}

fn stop_reason(style: Style, answer: &Answer) -> &'static str {
    let max = answer.stop_reason == crate::generate::StopReason::MaxTokens;
    match (style, max) {
        (Style::Llama, true) => "length",
        (Style::Llama, false) => "stop",
        (Style::Mistral, true) => "length",
        (Style::Mistral, false) => "stop",
    }
}

fn text(answer: &Answer) -> &str {
    answer.text.as_ref().map(|t| t.as_str()).unwrap_or("")
}

/// InvokeModel answer.
pub fn invoke(
    style: Style,
    request: &Map<String, Value>,
    base: &str,
) -> Result<Invocation, ApiError> {
    let answer = parse(style, request, base, 0)?;
    let body = match style {
        Style::Llama => json!({
            "generation": text(&answer),
            "prompt_token_count": answer.input_tokens,
            "generation_token_count": answer.output_tokens,
            "stop_reason": stop_reason(style, &answer),
        }),
        Style::Mistral => {
            json!({"outputs": [{"text": text(&answer), "stop_reason": stop_reason(style, &answer)}]})
        }
    };
    Ok(Invocation::of(
        serde_json::to_vec(&body).unwrap_or_default(),
        &answer,
    ))
}

/// InvokeModelWithResponseStream chunks.
pub fn stream(
    style: Style,
    request: &Map<String, Value>,
    base: &str,
    deltas: usize,
) -> Result<Vec<Value>, ApiError> {
    let answer = parse(style, request, base, deltas)?;
    let pieces = answer
        .text
        .as_ref()
        .map(|t| t.chunks(deltas))
        .unwrap_or_default();
    let last = pieces.len().saturating_sub(1);
    let mut chunks = Vec::with_capacity(pieces.len() + 1);
    for (i, piece) in pieces.iter().enumerate() {
        let done = i == last;
        let reason = done.then(|| stop_reason(style, &answer));
        let mut chunk = match style {
            Style::Llama => json!({
                "generation": piece,
                "prompt_token_count": if i == 0 { Some(answer.input_tokens) } else { None },
                "generation_token_count": i + 1,
                "stop_reason": reason,
            }),
            Style::Mistral => json!({"outputs": [{"text": piece, "stop_reason": reason}]}),
        };
        if done {
            if let Some(obj) = chunk.as_object_mut() {
                obj.insert(
                    "amazon-bedrock-invocationMetrics".into(),
                    invocation_metrics(&answer),
                );
            }
        }
        chunks.push(chunk);
    }
    Ok(chunks)
}
