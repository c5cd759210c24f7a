//! Canonical JSON: what the emulator derives from request documents must not depend on the
//! order of their object keys, because clients differ there (boto3 keeps the caller's order;
//! the AWS SDK for Rust sends documents from a `HashMap`, in arbitrary order). Everything the
//! emulator hashes, echoes or renders from a client's JSON goes through [`canonical`] first.

use serde_json::{Map, Value};

/// A copy of `value` whose objects (at every depth) have their keys sorted by name.
///
/// Recursion is bounded by the parser: serde_json refuses documents nested deeper than 128.
pub fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(canonical_map(map)),
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// [`canonical`] for an object.
pub fn canonical_map(map: &Map<String, Value>) -> Map<String, Value> {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut out = Map::with_capacity(entries.len());
    for (k, v) in entries {
        out.insert(k.clone(), canonical(v));
    }
    out
}

/// Compact JSON text of [`canonical`]`(value)`.
pub fn canonical_string(value: &Value) -> String {
    canonical(value).to_string()
}

/// Compact JSON text of a canonical object.
pub fn canonical_map_string(map: &Map<String, Value>) -> String {
    Value::Object(canonical_map(map)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_does_not_matter() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":{"y":[{"q":1,"p":2}],"x":null}}"#)
            .unwrap_or_default();
        let b: Value = serde_json::from_str(r#"{"a":{"x":null,"y":[{"p":2,"q":1}]},"b":1}"#)
            .unwrap_or_default();
        assert_eq!(canonical_string(&a), canonical_string(&b));
        assert_eq!(
            canonical_string(&a),
            r#"{"a":{"x":null,"y":[{"p":2,"q":1}]},"b":1}"#
        );
        // Arrays keep their order: it is meaning.
        assert_ne!(
            canonical_string(&json!([1, 2])),
            canonical_string(&json!([2, 1]))
        );
    }
}
