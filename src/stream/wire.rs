//! Which events must be converted against their frame as sent, and that frame as JSON.

use aws_sdk_bedrockruntime::types::{
    ContentBlockDelta, ContentBlockDeltaEvent, ConverseStreamOutput, ResponseStream,
};

use crate::frames::RawEvent;

/// The event's frame as JSON, parsed only when a dict is built from it.
pub(super) fn wire(raw: Option<RawEvent>) -> Option<serde_json::Value> {
    raw.as_ref().and_then(RawEvent::to_json)
}

/// Whether a Converse event must be converted against its frame. A text
/// delta (nearly every event of a stream) differs from its SDK value only
/// if the frame left out `contentBlockIndex` (the SDK would say 0), which
/// the frame's bytes show without parsing it: `"contentBlockIndex":` cannot
/// occur inside a JSON string, whose quotes are escaped.
pub(super) fn converse_needs_wire(event: &ConverseStreamOutput, raw: Option<&RawEvent>) -> bool {
    let text_delta = matches!(
        event,
        ConverseStreamOutput::ContentBlockDelta(ContentBlockDeltaEvent {
            delta: Some(ContentBlockDelta::Text(_)),
            ..
        })
    );
    let index_sent = || {
        raw.is_some_and(|r| {
            r.payload
                .windows(INDEX_KEY.len())
                .any(|window| window == INDEX_KEY)
        })
    };
    !(text_delta && index_sent())
}

const INDEX_KEY: &[u8] = b"\"contentBlockIndex\":";

/// Whether an InvokeModelWithResponseStream event must be converted against
/// its frame: a chunk with its bytes says all its frame would.
pub(super) fn response_needs_wire(event: &ResponseStream) -> bool {
    !matches!(event, ResponseStream::Chunk(part) if part.bytes.is_some())
}
