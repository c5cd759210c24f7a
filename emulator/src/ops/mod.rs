//! One module per operation family; each parses its request, asks the generator and renders
//! the answer in its wire format.

pub mod async_invoke;
pub mod bidi;
pub mod converse;
pub mod count_tokens;
pub mod guardrail;
pub mod invoke;

use serde_json::{Map, Value};

use crate::errors::ApiError;
use crate::model_id::ModelRef;

/// What an operation on a model sees of the request.
pub struct ModelCtx<'a> {
    pub model: &'a ModelRef,
    pub body: &'a [u8],
    /// Text deltas per streamed answer (0: about one per four tokens).
    pub deltas: usize,
}

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
