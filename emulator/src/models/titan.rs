//! Amazon Titan Text Embeddings (v1 and v2).

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::{Map, Value};

use super::embedding::vector;
use super::Invocation;
use crate::canonical::canonical_string;
use crate::errors::ApiError;
use crate::text::count_tokens;

/// Titan's `embeddingsByType`: float vector and/or one 0/1 value per dimension.
struct TitanByType<'a> {
    float: Option<&'a [f32]>,
    binary: Option<Vec<u8>>,
}

impl Serialize for TitanByType<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        if let Some(f) = self.float {
            map.serialize_entry("float", f)?;
        }
        if let Some(b) = &self.binary {
            map.serialize_entry("binary", b)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TitanAnswer<'a> {
    embedding: &'a [f32],
    #[serde(skip_serializing_if = "Option::is_none")]
    embeddings_by_type: Option<TitanByType<'a>>,
    input_text_token_count: u32,
}

/// InvokeModel answer.
pub fn invoke(request: &Map<String, Value>, v2: bool) -> Result<Invocation, ApiError> {
    let text = match request.get("inputText") {
        None => return Err(ApiError::malformed("#: required key [inputText] not found")),
        Some(Value::String(s)) if s.is_empty() => {
            return Err(ApiError::malformed(
                "#/inputText: expected minLength: 1, actual: 0",
            ))
        }
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err(ApiError::malformed("#/inputText: expected type: String")),
    };
    let mut dims = if v2 { 1024 } else { 1536 };
    let mut normalize = true;
    let mut float = true;
    let mut binary = false;
    let mut by_type = false;
    if v2 {
        if let Some(d) = request.get("dimensions") {
            dims = match d.as_u64() {
                Some(d @ (256 | 512 | 1024)) => d as usize,
                _ => {
                    return Err(ApiError::malformed(&format!(
                        "#/dimensions: {} is not a valid enum value",
                        canonical_string(d)
                    )))
                }
            };
        }
        if let Some(n) = request.get("normalize") {
            normalize = n
                .as_bool()
                .ok_or_else(|| ApiError::malformed("#/normalize: expected type: Boolean"))?;
        }
        if let Some(types) = request.get("embeddingTypes") {
            let types = types
                .as_array()
                .ok_or_else(|| ApiError::malformed("#/embeddingTypes: expected type: JSONArray"))?;
            by_type = true;
            float = false;
            for (i, t) in types.iter().enumerate() {
                match t.as_str() {
                    Some("float") => float = true,
                    Some("binary") => binary = true,
                    _ => {
                        return Err(ApiError::malformed(&format!(
                            "#/embeddingTypes/{i}: {} is not a valid enum value",
                            canonical_string(t)
                        )))
                    }
                }
            }
        }
    } else if let Some(key) = request.keys().filter(|k| k.as_str() != "inputText").min() {
        // The first extraneous key by name, whatever order the client sent them in.
        return Err(ApiError::malformed(&format!(
            "#: extraneous key [{key}] is not permitted"
        )));
    }
    let tokens = count_tokens(text);
    if tokens > 8192 {
        return Err(ApiError::validation(
            "Input is too long for requested model.",
        ));
    }
    let v = vector(text, dims, normalize);
    let answer = TitanAnswer {
        embedding: &v,
        embeddings_by_type: by_type.then(|| TitanByType {
            float: float.then_some(v.as_slice()),
            binary: binary.then(|| v.iter().map(|x| u8::from(*x > 0.0)).collect()),
        }),
        input_text_token_count: tokens,
    };
    Ok(Invocation {
        body: serde_json::to_vec(&answer).unwrap_or_default(),
        input_tokens: tokens,
        output_tokens: 0,
        latency_ms: 20 + u64::from(tokens) / 20,
    })
}
