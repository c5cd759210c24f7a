//! What an operation answers, before the server adds the headers every answer carries.

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::errors::ApiError;

/// A successful answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub content_type: &'static str,
    /// Operation-specific headers, names in lower case (HTTP/1 and h2 send them so anyway),
    /// e.g. `x-amzn-bedrock-input-token-count`.
    pub headers: Vec<(&'static str, String)>,
    pub body: ReplyBody,
    /// The (input, output) tokens the answer is billed for (quotas and usage count them).
    pub tokens: (u32, u32),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ReplyBody {
    Full(Vec<u8>),
    /// Encoded event-stream frames, sent one by one.
    Events(Vec<Bytes>),
}

impl Reply {
    pub fn json(value: &Value) -> Reply {
        Reply {
            content_type: "application/json",
            headers: Vec::new(),
            body: ReplyBody::Full(serde_json::to_vec(value).unwrap_or_default()),
            tokens: (0, 0),
        }
    }

    pub fn events(frames: Vec<Bytes>) -> Reply {
        Reply {
            content_type: "application/vnd.amazon.eventstream",
            headers: Vec::new(),
            body: ReplyBody::Events(frames),
            tokens: (0, 0),
        }
    }

    /// The same answer, billed for `(input, output)` tokens.
    pub fn billed(mut self, tokens: (u32, u32)) -> Reply {
        self.tokens = tokens;
        self
    }
}

/// Parses a JSON request body into an object; an empty body counts as `{}` (boto3 sends none
/// when every member is absent).
pub fn parse_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::new(
            "SerializationException",
            "Start of structure or map found where not expected.",
        )),
        Err(e) => Err(ApiError::new(
            "SerializationException",
            format!("Unable to parse request body as JSON: {e}"),
        )),
    }
}

/// Parses a model-native InvokeModel body, with Bedrock's "Malformed input request" wording.
pub fn parse_native(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::malformed("#: expected type: JSONObject")),
        Err(_) => Err(ApiError::validation(
            "Malformed input request, please reformat your input and try again.",
        )),
    }
}
