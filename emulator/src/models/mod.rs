//! Model-native InvokeModel formats, one module per provider format.

pub mod anthropic;
pub mod cohere;
pub mod embedding;
pub mod messages;
pub mod nova;
pub mod prompt_style;
pub mod titan;

use serde_json::{json, Value};

use crate::generate::Answer;

/// A native InvokeModel answer and the numbers Bedrock reports in its headers.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    pub body: Vec<u8>,
    pub input_tokens: u32,
    pub output_tokens: u32,
    pub latency_ms: u64,
}

impl Invocation {
    pub fn of(body: Vec<u8>, answer: &Answer) -> Self {
        Invocation {
            body,
            input_tokens: answer.input_tokens,
            output_tokens: answer.output_tokens,
            latency_ms: answer.latency_ms,
        }
    }
}

/// `amazon-bedrock-invocationMetrics`, which Bedrock adds to the last chunk of a native stream.
pub fn invocation_metrics(answer: &Answer) -> Value {
    json!({
        "inputTokenCount": answer.input_tokens,
        "outputTokenCount": answer.output_tokens,
        "invocationLatency": answer.latency_ms,
        "firstByteLatency": answer.latency_ms.min(100 + u64::from(answer.input_tokens) / 10),
    })
}
