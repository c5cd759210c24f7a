//! Converse and ConverseStream.

use bytes::Bytes;
use serde_json::{json, Value};

use super::ModelCtx;
use crate::errors::ApiError;
use crate::eventstream::event_frame;
use crate::generate::{generate, Answer};
use crate::models::messages::{content_blocks, parse_prompt, tool_use_id};
use crate::reply::{parse_object, Reply};
use crate::text::split_str;

/// Converse: one JSON answer.
pub fn converse(ctx: &ModelCtx<'_>) -> Result<Reply, ApiError> {
    let answer = answer_for(ctx)?;
    Ok(Reply::json(&converse_json(&answer)).billed(billed(&answer)))
}

/// ConverseStream: the same answer as Converse, as event-stream frames.
pub fn converse_stream(ctx: &ModelCtx<'_>) -> Result<Reply, ApiError> {
    let answer = answer_for(ctx)?;
    Ok(Reply::events(stream_frames(&answer, ctx.deltas)).billed(billed(&answer)))
}

fn billed(answer: &Answer) -> (u32, u32) {
    (answer.input_tokens, answer.output_tokens)
}

fn answer_for(ctx: &ModelCtx<'_>) -> Result<Answer, ApiError> {
    if !ctx.model.family.is_text() {
        return Err(ApiError::unsupported_operation());
    }
    let request = parse_object(ctx.body)?;
    let prompt = parse_prompt(&request, &ctx.model.base, ctx.deltas, true)?;
    Ok(generate(&prompt))
}

fn usage(answer: &Answer) -> Value {
    json!({
        "inputTokens": answer.input_tokens,
        "outputTokens": answer.output_tokens,
        "totalTokens": answer.total_tokens(),
    })
}

/// The ConverseResponse body, members in the service model's order.
pub fn converse_json(answer: &Answer) -> Value {
    json!({
        "output": {"message": {"role": "assistant", "content": content_blocks(answer)}},
        "stopReason": answer.stop_reason.as_str(),
        "usage": usage(answer),
        "metrics": {"latencyMs": answer.latency_ms},
    })
}

fn frame(event: &'static str, payload: &Value) -> Bytes {
    event_frame(event, serde_json::to_vec(payload).unwrap_or_default())
}

/// ConverseStream events: messageStart, per block (start,) deltas and stop, messageStop,
/// metadata — as Bedrock sends them (text blocks have no contentBlockStart).
pub fn stream_frames(answer: &Answer, deltas: usize) -> Vec<Bytes> {
    let text_chunks = answer
        .text
        .as_ref()
        .map(|t| t.chunks(deltas))
        .unwrap_or_default();
    let mut frames = Vec::with_capacity(text_chunks.len() + 16);
    frames.push(frame("messageStart", &json!({"role": "assistant"})));
    let mut index = 0u32;
    if answer.reasoning.is_some() {
        for chunk in answer.reasoning_chunks() {
            frames.push(frame(
                "contentBlockDelta",
                &json!({"delta": {"reasoningContent": {"text": chunk}}, "contentBlockIndex": index}),
            ));
        }
        frames.push(frame(
            "contentBlockDelta",
            &json!({"delta": {"reasoningContent": {"signature": answer.signature()}}, "contentBlockIndex": index}),
        ));
        frames.push(frame(
            "contentBlockStop",
            &json!({"contentBlockIndex": index}),
        ));
        index += 1;
    }
    if answer.text.is_some() {
        for chunk in text_chunks {
            frames.push(frame(
                "contentBlockDelta",
                &json!({"delta": {"text": chunk}, "contentBlockIndex": index}),
            ));
        }
        frames.push(frame(
            "contentBlockStop",
            &json!({"contentBlockIndex": index}),
        ));
        index += 1;
    }
    if let Some(tool) = &answer.tool {
        frames.push(frame(
            "contentBlockStart",
            &json!({"start": {"toolUse": {"toolUseId": tool_use_id(tool.id_seed), "name": tool.name}}, "contentBlockIndex": index}),
        ));
        let input = tool.input.to_string();
        for chunk in split_str(&input, 3) {
            frames.push(frame(
                "contentBlockDelta",
                &json!({"delta": {"toolUse": {"input": chunk}}, "contentBlockIndex": index}),
            ));
        }
        frames.push(frame(
            "contentBlockStop",
            &json!({"contentBlockIndex": index}),
        ));
    }
    frames.push(frame(
        "messageStop",
        &json!({"stopReason": answer.stop_reason.as_str()}),
    ));
    frames.push(frame(
        "metadata",
        &json!({"usage": usage(answer), "metrics": {"latencyMs": answer.latency_ms}}),
    ));
    frames
}
