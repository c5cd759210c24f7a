//! ApplyGuardrail with a deterministic policy: text containing the word "blocked" (any case)
//! makes the guardrail intervene; everything else passes.

use serde_json::{json, Value};

use crate::errors::ApiError;
use crate::reply::{parse_object, Reply};

/// The word whose presence makes the emulated guardrail intervene.
pub const BLOCKED_WORD: &str = "blocked";

/// The message an intervening guardrail returns in `outputs`.
pub const BLOCKED_MESSAGE: &str = "Sorry, the model cannot answer this question.";

pub fn apply_guardrail(body: &[u8]) -> Result<Reply, ApiError> {
    let request = parse_object(body)?;
    match request.get("source").and_then(Value::as_str) {
        Some("INPUT" | "OUTPUT") => {}
        None => {
            return Err(ApiError::constraint(
                "source",
                "null",
                "Member must not be null",
            ))
        }
        Some(other) => {
            return Err(ApiError::constraint(
                "source",
                &format!("'{other}'"),
                "Member must satisfy enum value set: [INPUT, OUTPUT]",
            ))
        }
    }
    let content = request
        .get("content")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::constraint("content", "null", "Member must not be null"))?;
    let mut chars = 0usize;
    let mut blocked = false;
    for block in content {
        if let Some(text) = block
            .get("text")
            .and_then(|t| t.get("text"))
            .and_then(Value::as_str)
        {
            chars += text.chars().count();
            blocked |= text.to_lowercase().contains(BLOCKED_WORD);
        }
    }
    let units = chars.div_ceil(1000);
    let usage = json!({
        "topicPolicyUnits": units,
        "contentPolicyUnits": units,
        "wordPolicyUnits": units,
        "sensitiveInformationPolicyUnits": 0,
        "sensitiveInformationPolicyFreeUnits": 0,
        "contextualGroundingPolicyUnits": 0,
    });
    let (action, outputs, assessment) = if blocked {
        (
            "GUARDRAIL_INTERVENED",
            json!([{"text": BLOCKED_MESSAGE}]),
            json!({"wordPolicy": {"customWords": [{"match": BLOCKED_WORD, "action": "BLOCKED", "detected": true}],
                                  "managedWordLists": []}}),
        )
    } else {
        ("NONE", json!([]), json!({}))
    };
    let mut answer = json!({
        "usage": usage,
        "action": action,
        "outputs": outputs,
        "assessments": [assessment],
        "guardrailCoverage": {"textCharacters": {"guarded": chars, "total": chars}},
    });
    if blocked {
        if let Some(obj) = answer.as_object_mut() {
            // actionReason follows action in the model's member order.
            let mut ordered = serde_json::Map::new();
            for (k, v) in std::mem::take(obj) {
                let is_action = k == "action";
                ordered.insert(k, v);
                if is_action {
                    ordered.insert("actionReason".into(), json!("Guardrail blocked."));
                }
            }
            *obj = ordered;
        }
    }
    Ok(Reply::json(&answer))
}
