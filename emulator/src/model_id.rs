//! Model identifiers: percent-decoding, ARNs, cross-Region prefixes and the emulator's own
//! `emulator.` conventions.

use crate::errors::ApiError;

/// What kind of model an identifier names, which decides the answer formats it speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Anthropic Claude: Converse, and the Messages API on InvokeModel.
    Anthropic,
    /// Amazon Nova text models: Converse, and the messages-v1 schema on InvokeModel.
    Nova,
    /// Cohere Embed v3 (1024 dimensions).
    CohereEmbedV3,
    /// Cohere Embed v4 (256/512/1024/1536 dimensions).
    CohereEmbedV4,
    /// Amazon Titan Text Embeddings (v1: 1536 dimensions; v2: 256/512/1024).
    TitanEmbed { v2: bool },
    /// Other chat models (Llama, Mistral, Cohere Command, ...): Converse only.
    OtherText,
    /// Amazon Nova Sonic (speech to speech): InvokeModelWithBidirectionalStream only, where
    /// the emulator answers with its echo model.
    Sonic,
}

impl Family {
    pub fn is_text(self) -> bool {
        matches!(self, Family::Anthropic | Family::Nova | Family::OtherText)
    }
}

/// A resolved model identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelRef {
    /// The identifier as the client sent it, percent-decoded.
    pub raw: String,
    /// The foundation-model id without ARN or cross-Region prefix (`anthropic.claude-...`).
    pub base: String,
    pub family: Family,
    /// Number of text deltas per streamed answer, from `emulator.deltas.<N>.<model>`.
    pub deltas: Option<usize>,
}

/// Cross-Region inference-profile prefixes (`global.anthropic...`, `us.amazon.nova...`).
const GEO_PREFIXES: &[&str] = &[
    "global", "us", "eu", "apac", "jp", "au", "ca", "us-gov", "sa", "me",
];

/// Upper bound of the delta-count knob: keeps a hostile id from asking for a huge answer.
pub const MAX_DELTAS: usize = 1_000_000;

/// What a model id asks of the emulator.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolution {
    Model(ModelRef),
    /// `emulator.error.<Code>`: always answer this error.
    Error(ApiError),
}

/// Percent-decodes a path segment; invalid UTF-8 is replaced rather than rejected.
pub fn decode_segment(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

/// Resolves a decoded model id.
pub fn resolve(raw: &str) -> Result<Resolution, ApiError> {
    if let Some(code) = raw.strip_prefix("emulator.error.") {
        let code = code.split(['.', ':']).next().unwrap_or_default();
        if code.is_empty() {
            return Err(ApiError::invalid_model());
        }
        return Ok(Resolution::Error(ApiError::new(
            code,
            crate::errors::default_message(code),
        )));
    }
    let mut deltas = None;
    let mut rest = raw;
    if let Some(after) = raw.strip_prefix("emulator.deltas.") {
        let (n, model) = after.split_once('.').ok_or_else(ApiError::invalid_model)?;
        let n: usize = n.parse().map_err(|_| ApiError::invalid_model())?;
        if n == 0 || n > MAX_DELTAS {
            return Err(ApiError::invalid_model());
        }
        deltas = Some(n);
        rest = model;
    }
    let base = strip_arn_and_prefix(rest);
    let family = family_of(base).ok_or_else(ApiError::invalid_model)?;
    Ok(Resolution::Model(ModelRef {
        raw: raw.to_string(),
        base: base.to_string(),
        family,
        deltas,
    }))
}

fn strip_arn_and_prefix(id: &str) -> &str {
    let mut id = id;
    if id.starts_with("arn:") {
        // arn:aws:bedrock:REGION:ACCOUNT:foundation-model/ID (or inference-profile/ID); the id
        // itself may contain ':' so only the first five separators count.
        if let Some((_, resource)) = id.splitn(6, ':').nth(5).and_then(|r| r.split_once('/')) {
            id = resource;
        }
    }
    if let Some((prefix, rest)) = id.split_once('.') {
        if GEO_PREFIXES.contains(&prefix) {
            return rest;
        }
    }
    id
}

fn family_of(base: &str) -> Option<Family> {
    let (provider, name) = base.split_once('.')?;
    if name.is_empty() {
        return None;
    }
    Some(match provider {
        "anthropic" if name.starts_with("claude") => Family::Anthropic,
        "amazon" if name.starts_with("nova-sonic") || name.starts_with("nova-2-sonic") => {
            Family::Sonic
        }
        "amazon" if name.starts_with("nova-") => {
            // Nova Canvas/Reel/Sonic are not text-in/text-out models.
            if ["nova-canvas", "nova-reel", "nova-sonic"]
                .iter()
                .any(|p| name.starts_with(p))
            {
                return None;
            }
            Family::Nova
        }
        "amazon" if name.starts_with("titan-embed-text-v2") => Family::TitanEmbed { v2: true },
        "amazon" if name.starts_with("titan-embed-text-v1") || name == "titan-embed-g1-text-02" => {
            Family::TitanEmbed { v2: false }
        }
        "amazon" if name.starts_with("titan-text") => Family::OtherText,
        "cohere" if name.starts_with("embed-v4") => Family::CohereEmbedV4,
        "cohere"
            if name.starts_with("embed-english-v3")
                || name.starts_with("embed-multilingual-v3") =>
        {
            Family::CohereEmbedV3
        }
        "cohere" if name.starts_with("command") => Family::OtherText,
        "meta" if name.starts_with("llama") => Family::OtherText,
        "mistral" | "ai21" | "deepseek" | "openai" | "qwen" | "writer" | "moonshot" | "minimax"
        | "google" => Family::OtherText,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn family(id: &str) -> Family {
        match resolve(id) {
            Ok(Resolution::Model(m)) => m.family,
            other => panic!("{id}: {other:?}"),
        }
    }

    #[test]
    fn prefixes_and_arns() {
        assert_eq!(
            family("global.anthropic.claude-haiku-4-5-20251001-v1:0"),
            Family::Anthropic
        );
        assert_eq!(family("us.amazon.nova-lite-v1:0"), Family::Nova);
        assert_eq!(family("amazon.nova-sonic-v1:0"), Family::Sonic);
        assert_eq!(family("us.amazon.nova-2-sonic-v1:0"), Family::Sonic);
        assert_eq!(family("cohere.embed-v4:0"), Family::CohereEmbedV4);
        assert_eq!(family("global.cohere.embed-v4:0"), Family::CohereEmbedV4);
        assert_eq!(family("cohere.embed-english-v3"), Family::CohereEmbedV3);
        assert_eq!(
            family("amazon.titan-embed-text-v2:0"),
            Family::TitanEmbed { v2: true }
        );
        assert_eq!(family("meta.llama3-8b-instruct-v1:0"), Family::OtherText);
        assert_eq!(
            family("arn:aws:bedrock:ap-south-1:123456789012:inference-profile/global.anthropic.claude-sonnet-4-5-20250929-v1:0"),
            Family::Anthropic
        );
        assert_eq!(
            family("arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0"),
            Family::TitanEmbed { v2: true }
        );
        assert!(resolve("nonsense").is_err());
        assert!(resolve("global.").is_err());
        assert!(resolve("").is_err());
    }

    #[test]
    fn emulator_conventions() {
        match resolve("emulator.error.ThrottlingException") {
            Ok(Resolution::Error(e)) => assert_eq!(e.status, 429),
            other => panic!("{other:?}"),
        }
        match resolve("emulator.deltas.500.global.anthropic.claude-haiku-4-5-20251001-v1:0") {
            Ok(Resolution::Model(m)) => {
                assert_eq!(m.deltas, Some(500));
                assert_eq!(m.base, "anthropic.claude-haiku-4-5-20251001-v1:0");
            }
            other => panic!("{other:?}"),
        }
        assert!(resolve("emulator.deltas.x.anthropic.claude").is_err());
        assert!(resolve("emulator.deltas.0.anthropic.claude").is_err());
    }

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(decode_segment("a%3A0"), "a:0");
        assert_eq!(decode_segment("%ff"), "\u{fffd}");
    }
}
