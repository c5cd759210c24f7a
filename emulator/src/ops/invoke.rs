//! InvokeModel and InvokeModelWithResponseStream: dispatch to the model's native format.

use bytes::Bytes;
use serde_json::Value;

use super::ModelCtx;
use crate::errors::ApiError;
use crate::eventstream::event_frame;
use crate::model_id::Family;
use crate::models::{anthropic, cohere, nova, prompt_style, titan};
use crate::reply::{parse_native, Reply, ReplyBody};

fn not_implemented(base: &str) -> ApiError {
    ApiError::validation(format!(
        "The emulator does not implement the native InvokeModel format of {base}; use Converse."
    ))
}

/// Speech-to-speech models answer only over InvokeModelWithBidirectionalStream.
fn bidirectional_only() -> ApiError {
    ApiError::validation(
        "The provided model only supports InvokeModelWithBidirectionalStream. Try again with that operation.",
    )
}

/// InvokeModel: the native answer with Bedrock's token-count and latency headers.
pub fn invoke_model(ctx: &ModelCtx<'_>) -> Result<Reply, ApiError> {
    let request = parse_native(ctx.body)?;
    let base = ctx.model.base.as_str();
    let invocation = match ctx.model.family {
        Family::Anthropic => anthropic::invoke(&request, base, ctx.deltas)?,
        Family::Nova => nova::invoke(&request, base, ctx.deltas)?,
        Family::CohereEmbedV3 => cohere::invoke(&request, false)?,
        Family::CohereEmbedV4 => cohere::invoke(&request, true)?,
        Family::TitanEmbed { v2 } => titan::invoke(&request, v2)?,
        Family::OtherText => match prompt_style::style_of(base) {
            Some(style) => prompt_style::invoke(style, &request, base)?,
            None => return Err(not_implemented(base)),
        },
        Family::Sonic => return Err(bidirectional_only()),
    };
    Ok(Reply {
        content_type: "application/json",
        headers: vec![
            (
                "x-amzn-bedrock-input-token-count",
                invocation.input_tokens.to_string(),
            ),
            (
                "x-amzn-bedrock-output-token-count",
                invocation.output_tokens.to_string(),
            ),
            (
                "x-amzn-bedrock-invocation-latency",
                invocation.latency_ms.to_string(),
            ),
        ],
        body: ReplyBody::Full(invocation.body),
        tokens: (invocation.input_tokens, invocation.output_tokens),
    })
}

/// A `chunk` event whose `bytes` member carries one native JSON chunk (base64, as blobs are
/// sent in JSON).
pub fn chunk_frame(chunk: &Value) -> Bytes {
    let native = serde_json::to_vec(chunk).unwrap_or_default();
    let encoded = aws_smithy_types::base64::encode(&native);
    let mut payload = Vec::with_capacity(encoded.len() + 12);
    payload.extend_from_slice(b"{\"bytes\":\"");
    payload.extend_from_slice(encoded.as_bytes());
    payload.extend_from_slice(b"\"}");
    event_frame("chunk", payload)
}

/// The tokens a native stream reports in its last chunk's `amazon-bedrock-invocationMetrics`.
fn stream_tokens(chunks: &[Value]) -> (u32, u32) {
    let metrics = chunks
        .iter()
        .rev()
        .find_map(|c| c.get("amazon-bedrock-invocationMetrics"));
    let count = |name: &str| {
        metrics
            .and_then(|m| m.get(name))
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0)
    };
    (count("inputTokenCount"), count("outputTokenCount"))
}

/// InvokeModelWithResponseStream: native chunks as `chunk` events.
pub fn invoke_stream(ctx: &ModelCtx<'_>) -> Result<Reply, ApiError> {
    let request = parse_native(ctx.body)?;
    let base = ctx.model.base.as_str();
    let chunks = match ctx.model.family {
        Family::Anthropic => anthropic::stream(&request, base, ctx.deltas)?,
        Family::Nova => nova::stream(&request, base, ctx.deltas)?,
        Family::OtherText => match prompt_style::style_of(base) {
            Some(style) => prompt_style::stream(style, &request, base, ctx.deltas)?,
            None => return Err(not_implemented(base)),
        },
        Family::CohereEmbedV3 | Family::CohereEmbedV4 | Family::TitanEmbed { .. } => {
            return Err(ApiError::validation(
                "The model is unsupported for streaming.",
            ))
        }
        Family::Sonic => return Err(bidirectional_only()),
    };
    let mut reply =
        Reply::events(chunks.iter().map(chunk_frame).collect()).billed(stream_tokens(&chunks));
    reply.headers.push((
        "x-amzn-bedrock-content-type",
        "application/json".to_string(),
    ));
    Ok(reply)
}
