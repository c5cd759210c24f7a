//! One module per operation family; each parses its request, asks the generator and renders
//! the answer in its wire format.

pub mod async_invoke;
pub mod bidi;
pub mod converse;
pub mod count_tokens;
pub mod guardrail;
pub mod invoke;

use crate::model_id::ModelRef;

/// What an operation on a model sees of the request.
pub struct ModelCtx<'a> {
    pub model: &'a ModelRef,
    pub body: &'a [u8],
    /// Text deltas per streamed answer (0: about one per four tokens).
    pub deltas: usize,
}
