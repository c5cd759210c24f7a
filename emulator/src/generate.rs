//! The emulator's "model": turns a format-neutral prompt into a deterministic answer that each
//! wire format (Converse, Anthropic Messages, Nova) then renders in its own shape.

use serde_json::Value;

use crate::text::{count_tokens, hash64, pseudo_english, PieceText};
use crate::tools::sample_input;

/// A tool the client offers the model.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolDef {
    pub name: String,
    /// The tool's input JSON schema.
    pub schema: Value,
}

/// How the client lets the model pick tools.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ToolChoice {
    /// Use a tool only when the prompt mentions it by name.
    #[default]
    Auto,
    /// Must use some tool.
    Any,
    /// Must use this tool.
    Tool(String),
    /// Must not use tools.
    None,
}

/// What the answer depends on, extracted from a request of any format.
#[derive(Debug, Clone, Default)]
pub struct Prompt {
    /// Bare model id: different models give different answers to the same prompt.
    pub model: String,
    /// All prompt text (system, messages, tool results), which seeds the answer.
    pub text: String,
    /// The text of the last user turn, searched for tool names.
    pub last_user_text: String,
    pub input_tokens: u32,
    pub max_tokens: Option<u32>,
    pub stop_sequences: Vec<String>,
    pub tools: Vec<ToolDef>,
    pub tool_choice: ToolChoice,
    /// The last user turn returns tool results, so the model answers in text.
    pub after_tool_result: bool,
    /// Extended thinking was asked for: the answer starts with a reasoning block.
    pub reasoning: bool,
    /// Thinking with `display: "omitted"`: the reasoning block carries its signature only.
    pub reasoning_omitted: bool,
    /// The answer text has at least this many pieces (the stream delta-count knob).
    pub min_pieces: usize,
}

impl Prompt {
    /// Adds prompt text, counting its tokens.
    pub fn push_text(&mut self, text: &str) {
        if !self.text.is_empty() {
            self.text.push('\n');
        }
        self.text.push_str(text);
        self.input_tokens = self.input_tokens.saturating_add(count_tokens(text));
    }

    /// Adds the text of `value`: a string, or the `text` of each block of an array (as
    /// Anthropic's `system` and a tool result's `content` hold it); anything else adds nothing.
    pub fn push_text_blocks(&mut self, value: Option<&Value>) {
        match value {
            Some(Value::String(s)) => self.push_text(s),
            Some(Value::Array(blocks)) => {
                for b in blocks {
                    if let Some(t) = b.get("text").and_then(Value::as_str) {
                        self.push_text(t);
                    }
                }
            }
            _ => {}
        }
    }

    /// The stop sequences: the strings of a request's array (other values are passed over).
    pub fn set_stop_sequences(&mut self, stops: &[Value]) {
        self.stop_sequences = stops
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
    }
}

/// A tool call the model makes.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    /// Seeds the tool-use id, whose prefix differs per format (`tooluse_`, `toolu_bdrk_`).
    pub id_seed: u64,
    pub name: String,
    pub input: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    EndTurn,
    MaxTokens,
    StopSequence,
    ToolUse,
}

impl StopReason {
    /// The wire value, the same in Converse, Anthropic and Nova formats.
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::EndTurn => "end_turn",
            StopReason::MaxTokens => "max_tokens",
            StopReason::StopSequence => "stop_sequence",
            StopReason::ToolUse => "tool_use",
        }
    }
}

/// A generated answer, format-neutral.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// Seeds format-specific ids (message ids, signatures).
    pub seed: u64,
    pub reasoning: Option<PieceText>,
    /// The reasoning was thought (and counted) but is not shown: its block has no text.
    pub reasoning_omitted: bool,
    pub text: Option<PieceText>,
    pub tool: Option<ToolCall>,
    pub stop_reason: StopReason,
    /// The stop sequence that ended the answer, if one did.
    pub stop_sequence: Option<String>,
    pub input_tokens: u32,
    pub output_tokens: u32,
    /// A plausible, deterministic latency in milliseconds.
    pub latency_ms: u64,
}

impl Answer {
    pub fn total_tokens(&self) -> u32 {
        self.input_tokens.saturating_add(self.output_tokens)
    }

    /// A reasoning signature, as Claude returns with its thinking blocks.
    pub fn signature(&self) -> String {
        crate::text::base62_id(self.seed ^ 0x5157, 64)
    }

    /// The reasoning text as shown (empty when omitted), if the answer reasons.
    pub fn shown_reasoning(&self) -> Option<&str> {
        let reasoning = self.reasoning.as_ref()?;
        Some(if self.reasoning_omitted {
            ""
        } else {
            reasoning.as_str()
        })
    }

    /// The reasoning text's stream deltas (none when omitted).
    pub fn reasoning_chunks(&self) -> Vec<&str> {
        match &self.reasoning {
            Some(r) if !self.reasoning_omitted => r.chunks(0),
            _ => Vec::new(),
        }
    }
}

/// Generates the answer to `prompt`.
pub fn generate(prompt: &Prompt) -> Answer {
    let seed = hash64(&[prompt.model.as_bytes(), prompt.text.as_bytes()]);
    let tool = choose_tool(prompt).map(|t| ToolCall {
        id_seed: seed ^ 0x7001,
        name: t.name.clone(),
        input: sample_input(&t.schema),
    });
    let forced = matches!(prompt.tool_choice, ToolChoice::Any | ToolChoice::Tool(_));
    let mut stop_reason = StopReason::EndTurn;
    let mut stop_sequence = None;
    let text = if tool.is_some() && forced {
        None
    } else {
        // A tool call comes with a one-sentence preamble, as Claude writes them.
        let sentences = if tool.is_some() {
            1
        } else {
            (2 + prompt.input_tokens as usize / 50).min(8)
        };
        let min_pieces = if tool.is_some() { 0 } else { prompt.min_pieces };
        let mut text = pseudo_english(seed, sentences, min_pieces);
        if let Some(max) = prompt.max_tokens {
            if text.piece_count() > max as usize {
                text.truncate_pieces(max as usize);
                stop_reason = StopReason::MaxTokens;
            }
        }
        let first_stop = prompt
            .stop_sequences
            .iter()
            .filter(|s| !s.is_empty())
            .filter_map(|s| text.as_str().find(s.as_str()).map(|at| (at, s)))
            .min_by_key(|(at, _)| *at);
        if let Some((at, seq)) = first_stop {
            text.truncate_bytes(at);
            stop_reason = StopReason::StopSequence;
            stop_sequence = Some(seq.clone());
        }
        Some(text)
    };
    let tool = if stop_reason == StopReason::EndTurn {
        tool
    } else {
        None
    };
    if tool.is_some() {
        stop_reason = StopReason::ToolUse;
    }
    let reasoning = prompt
        .reasoning
        .then(|| pseudo_english(seed ^ 0x7e45, 2, 0));
    let mut output_tokens = 0u32;
    for part in [&reasoning, &text].into_iter().flatten() {
        output_tokens = output_tokens.saturating_add(count_tokens(part.as_str()));
    }
    if let Some(t) = &tool {
        output_tokens = output_tokens
            .saturating_add(count_tokens(&t.name))
            .saturating_add(count_tokens(&t.input.to_string()));
    }
    Answer {
        seed,
        reasoning,
        reasoning_omitted: prompt.reasoning_omitted,
        text,
        tool,
        stop_reason,
        stop_sequence,
        input_tokens: prompt.input_tokens.max(1),
        output_tokens,
        latency_ms: 120 + 6 * u64::from(output_tokens),
    }
}

fn choose_tool(prompt: &Prompt) -> Option<&ToolDef> {
    if prompt.after_tool_result || prompt.tools.is_empty() {
        return None;
    }
    let mentioned = || {
        let said = prompt.last_user_text.to_lowercase();
        prompt.tools.iter().find(|t| {
            let name = t.name.to_lowercase();
            !name.is_empty() && (said.contains(&name) || said.contains(&name.replace('_', " ")))
        })
    };
    match &prompt.tool_choice {
        ToolChoice::None => None,
        ToolChoice::Auto => mentioned(),
        ToolChoice::Any => mentioned().or_else(|| prompt.tools.first()),
        ToolChoice::Tool(name) => prompt.tools.iter().find(|t| &t.name == name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn prompt(text: &str) -> Prompt {
        let mut p = Prompt {
            model: "anthropic.claude".into(),
            last_user_text: text.into(),
            ..Prompt::default()
        };
        p.push_text(text);
        p
    }

    #[test]
    fn deterministic_and_truncated() {
        let a = generate(&prompt("Explain cloud computing in 2 sentences."));
        assert_eq!(
            a,
            generate(&prompt("Explain cloud computing in 2 sentences."))
        );
        assert_eq!(a.input_tokens, 7);
        assert_eq!(a.stop_reason, StopReason::EndTurn);
        let mut p = prompt("Explain cloud computing in 2 sentences.");
        p.max_tokens = Some(3);
        let b = generate(&p);
        assert_eq!(b.stop_reason, StopReason::MaxTokens);
        assert_eq!(b.output_tokens, 3);
    }

    #[test]
    fn stop_sequences_cut_the_text() {
        let full = generate(&prompt("hello"));
        let text = full
            .text
            .as_ref()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default();
        let word = text.split(' ').nth(2).unwrap_or_default().to_string();
        let mut p = prompt("hello");
        p.stop_sequences = vec![format!(" {word}")];
        let cut = generate(&p);
        assert_eq!(cut.stop_reason, StopReason::StopSequence);
        assert_eq!(
            cut.stop_sequence.as_deref(),
            Some(format!(" {word}").as_str())
        );
        assert!(text.starts_with(cut.text.as_ref().map(|t| t.as_str()).unwrap_or("x")));
    }

    #[test]
    fn tools_are_used_when_asked() {
        let mut p = prompt("What is the weather in Mumbai? Use get_weather.");
        p.tools = vec![ToolDef {
            name: "get_weather".into(),
            schema: json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
        }];
        let a = generate(&p);
        assert_eq!(a.stop_reason, StopReason::ToolUse);
        assert_eq!(
            a.tool.as_ref().map(|t| t.input.clone()),
            Some(json!({"city": "Seattle"}))
        );
        assert!(a.text.is_some());
        p.tool_choice = ToolChoice::Any;
        assert!(generate(&p).text.is_none());
        p.after_tool_result = true;
        assert_eq!(generate(&p).stop_reason, StopReason::EndTurn);
    }
}
