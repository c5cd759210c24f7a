//! Cohere Embed v3 and v4 on Bedrock.

use serde::Serialize;
use serde_json::{Map, Value};

use super::embedding::{vector, ByType, EmbeddingType, Matrix};
use super::Invocation;
use crate::canonical::{canonical_map_string, canonical_string};
use crate::errors::ApiError;
use crate::text::{count_tokens, hash64, uuid_like};

/// Bedrock's per-request limit on texts.
pub const MAX_TEXTS: usize = 96;

const INPUT_TYPES: &[&str] = &[
    "search_document",
    "search_query",
    "classification",
    "clustering",
];

#[derive(Serialize)]
struct FloatsAnswer<'a> {
    id: String,
    embeddings: Vec<Vec<f32>>,
    texts: &'a [&'a str],
    response_type: &'static str,
}

#[derive(Serialize)]
struct ByTypeAnswer<'a> {
    id: String,
    embeddings: ByType,
    texts: &'a [&'a str],
    response_type: &'static str,
}

/// InvokeModel answer for Cohere Embed (`v4` selects the v4 options).
pub fn invoke(request: &Map<String, Value>, v4: bool) -> Result<Invocation, ApiError> {
    if request.contains_key("images") || request.contains_key("inputs") {
        return Err(ApiError::validation(
            "The emulator does not support image or mixed inputs for Cohere Embed; send `texts`.",
        ));
    }
    let texts = request
        .get("texts")
        .ok_or_else(|| ApiError::malformed("#: required key [texts] not found"))?
        .as_array()
        .ok_or_else(|| ApiError::malformed("#/texts: expected type: JSONArray, found: String"))?;
    if texts.is_empty() {
        return Err(ApiError::malformed(
            "#/texts: expected minimum item count: 1, found: 0",
        ));
    }
    if texts.len() > MAX_TEXTS {
        return Err(ApiError::malformed(&format!(
            "#/texts: expected maximum item count: {MAX_TEXTS}, found: {}",
            texts.len()
        )));
    }
    let texts: Vec<&str> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            t.as_str()
                .ok_or_else(|| ApiError::malformed(&format!("#/texts/{i}: expected type: String")))
        })
        .collect::<Result<_, _>>()?;
    match request.get("input_type").map(Value::as_str) {
        None => {
            return Err(ApiError::malformed(
                "#: required key [input_type] not found",
            ))
        }
        Some(Some(t)) if INPUT_TYPES.contains(&t) => {}
        Some(other) => {
            return Err(ApiError::malformed(&format!(
                "#/input_type: {} is not a valid enum value",
                other.unwrap_or("null")
            )))
        }
    }
    let dims = match request.get("output_dimension") {
        None | Some(Value::Null) => {
            if v4 {
                1536
            } else {
                1024
            }
        }
        Some(_) if !v4 => {
            return Err(ApiError::malformed(
                "#: extraneous key [output_dimension] is not permitted",
            ))
        }
        Some(v) => match v.as_u64() {
            Some(d @ (256 | 512 | 1024 | 1536)) => d as usize,
            _ => {
                return Err(ApiError::malformed(&format!(
                    "#/output_dimension: {} is not a valid enum value",
                    canonical_string(v)
                )))
            }
        },
    };
    let truncate = match request.get("truncate").map(Value::as_str) {
        None => "END",
        Some(Some(t @ ("NONE" | "START" | "END"))) => t,
        Some(other) => {
            return Err(ApiError::malformed(&format!(
                "#/truncate: {} is not a valid enum value",
                other.unwrap_or("null")
            )))
        }
    };
    let max_tokens: u32 = if v4 { 128_000 } else { 512 };
    let mut input_tokens = 0u32;
    for text in &texts {
        let n = count_tokens(text);
        if n > max_tokens && truncate == "NONE" {
            return Err(ApiError::validation(
                "Input is too long for requested model.",
            ));
        }
        input_tokens = input_tokens.saturating_add(n.min(max_tokens));
    }
    let types: Option<Vec<EmbeddingType>> = match request.get("embedding_types") {
        None | Some(Value::Null) => None,
        Some(Value::Array(names)) => {
            let mut types = Vec::with_capacity(names.len());
            for (i, name) in names.iter().enumerate() {
                let ty = name
                    .as_str()
                    .and_then(EmbeddingType::parse)
                    .ok_or_else(|| {
                        ApiError::malformed(&format!(
                            "#/embedding_types/{i}: {} is not a valid enum value",
                            canonical_string(name)
                        ))
                    })?;
                if !types.contains(&ty) {
                    types.push(ty);
                }
            }
            Some(types)
        }
        Some(_) => {
            return Err(ApiError::malformed(
                "#/embedding_types: expected type: JSONArray",
            ))
        }
    };
    let floats: Vec<Vec<f32>> = texts.iter().map(|t| vector(t, dims, true)).collect();
    let id = uuid_like(hash64(&[canonical_map_string(request).as_bytes()]));
    let body = match types {
        None => serde_json::to_vec(&FloatsAnswer {
            id,
            embeddings: floats,
            texts: &texts,
            response_type: "embeddings_floats",
        }),
        Some(types) => serde_json::to_vec(&ByTypeAnswer {
            id,
            embeddings: ByType(types.iter().map(|&t| (t, Matrix::of(t, &floats))).collect()),
            texts: &texts,
            response_type: "embeddings_by_type",
        }),
    }
    .unwrap_or_default();
    Ok(Invocation {
        body,
        input_tokens,
        output_tokens: 0,
        latency_ms: 30 + u64::from(input_tokens) / 20,
    })
}
