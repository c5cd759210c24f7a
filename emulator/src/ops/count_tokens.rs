//! CountTokens: the input tokens a Converse or InvokeModel request would be billed for.

use serde_json::{json, Map, Value};

use super::ModelCtx;
use crate::canonical::canonical_map_string;
use crate::errors::ApiError;
use crate::model_id::Family;
use crate::models::anthropic;
use crate::models::messages::parse_prompt;
use crate::reply::{parse_native, parse_object, Reply};
use crate::text::count_tokens;

/// CountTokens answer `{"inputTokens": N}`, counted exactly as Converse/InvokeModel count them.
pub fn count_tokens_op(ctx: &ModelCtx<'_>) -> Result<Reply, ApiError> {
    if !ctx.model.family.is_text() {
        return Err(ApiError::validation(
            "The provided model doesn't support counting tokens.",
        ));
    }
    let request = parse_object(ctx.body)?;
    let input = request
        .get("input")
        .and_then(Value::as_object)
        .ok_or_else(|| ApiError::constraint("input", "null", "Member must not be null"))?;
    let base = ctx.model.base.as_str();
    let tokens = if let Some(converse) = input.get("converse").and_then(Value::as_object) {
        parse_prompt(converse, base, 0, true)?.input_tokens.max(1)
    } else if let Some(invoke) = input.get("invokeModel").and_then(Value::as_object) {
        let encoded = invoke.get("body").and_then(Value::as_str).ok_or_else(|| {
            ApiError::constraint("input.invokeModel.body", "null", "Member must not be null")
        })?;
        let body = aws_smithy_types::base64::decode(encoded).map_err(|_| {
            ApiError::new(
                "SerializationException",
                "Invalid base64 in input.invokeModel.body.",
            )
        })?;
        count_native(ctx.model.family, &parse_native(&body)?, base)?
    } else {
        return Err(ApiError::validation(
            "The input field must contain either converse or invokeModel. Try again.",
        ));
    };
    Ok(Reply::json(&json!({ "inputTokens": tokens })))
}

fn count_native(family: Family, request: &Map<String, Value>, base: &str) -> Result<u32, ApiError> {
    Ok(match family {
        Family::Anthropic => anthropic::parse(request, base, 0)?.input_tokens.max(1),
        _ => count_tokens(&canonical_map_string(request)),
    })
}
