//! Plausible tool inputs built from a tool's JSON schema.
//!
//! The input is a function of the schema's meaning, not of its key order: properties come in
//! the order of the schema's `required` array, then any others sorted by name, and values
//! copied from the schema (`const`, `default`, `enum`, `examples`) have their keys sorted.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::canonical::canonical;

/// Deep schemas are cut off here so that a hostile schema cannot make the answer explode.
const MAX_DEPTH: usize = 8;

/// An example value satisfying `schema` well enough to exercise client code: required
/// properties (all properties when none are marked required), enums, defaults and types.
/// Object keys come in `required` order, then the remaining properties sorted by name.
pub fn sample_input(schema: &Value) -> Value {
    match sample(schema, "", 0) {
        Value::Object(map) => Value::Object(map),
        // A tool's input is always an object, whatever the schema says.
        _ => Value::Object(Map::new()),
    }
}

fn sample(schema: &Value, name: &str, depth: usize) -> Value {
    let Some(obj) = schema.as_object() else {
        return Value::Null;
    };
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    if let Some(v) = obj.get("const") {
        return canonical(v);
    }
    if let Some(v) = obj.get("default") {
        return canonical(v);
    }
    if let Some(first) = obj
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return canonical(first);
    }
    if let Some(v) = obj
        .get("examples")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return canonical(v);
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(first) = obj
            .get(key)
            .and_then(Value::as_array)
            .and_then(|e| e.first())
        {
            return sample(first, name, depth + 1);
        }
    }
    let ty = match obj.get("type") {
        Some(Value::String(t)) => t.as_str(),
        // ["string", "null"]: the first non-null type.
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if obj.contains_key("properties") => "object",
        _ => "string",
    };
    match ty {
        "object" => {
            let mut out = Map::new();
            let Some(props) = obj.get("properties").and_then(Value::as_object) else {
                return Value::Object(out);
            };
            // `required` is an array, so its order is meaning; when it names properties, only
            // those are filled in (duplicates and names without a schema skipped).
            let required: Vec<&str> = obj
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let keys: Vec<&str> = if required.is_empty() {
                // Nothing required: every property, in name order.
                let mut names: Vec<&str> = props.keys().map(String::as_str).collect();
                names.sort_unstable();
                names
            } else {
                let mut seen = HashSet::with_capacity(required.len());
                required
                    .into_iter()
                    .filter(|name| props.contains_key(*name) && seen.insert(*name))
                    .collect()
            };
            for key in keys {
                if let Some(prop) = props.get(key) {
                    out.insert(key.to_string(), sample(prop, key, depth + 1));
                }
            }
            Value::Object(out)
        }
        "array" => {
            let item = obj.get("items").map(|i| sample(i, name, depth + 1));
            Value::Array(item.into_iter().collect())
        }
        "integer" => obj
            .get("minimum")
            .and_then(Value::as_i64)
            .map_or(Value::from(1), Value::from),
        "number" => obj
            .get("minimum")
            .and_then(Value::as_f64)
            .map_or(Value::from(1.5), Value::from),
        "boolean" => Value::Bool(true),
        "null" => Value::Null,
        _ => Value::String(string_for(name, obj)),
    }
}

fn string_for(name: &str, schema: &Map<String, Value>) -> String {
    let lower = name.to_ascii_lowercase();
    match schema.get("format").and_then(Value::as_str) {
        Some("date") => return "2025-01-15".into(),
        Some("date-time") => return "2025-01-15T10:30:00Z".into(),
        Some("email") => return "user@example.com".into(),
        Some("uri") | Some("url") => return "https://example.com".into(),
        _ => {}
    }
    let known: &[(&str, &str)] = &[
        ("city", "Seattle"),
        ("location", "Seattle, WA"),
        ("country", "India"),
        ("email", "user@example.com"),
        ("date", "2025-01-15"),
        ("time", "10:30"),
        ("url", "https://example.com"),
        ("unit", "celsius"),
        ("currency", "USD"),
        ("language", "en"),
        ("query", "cloud computing"),
        ("name", "Alex"),
        ("id", "abc-123"),
    ];
    known
        .iter()
        .find(|(k, _)| lower.contains(k))
        .map(|(_, v)| (*v).to_string())
        .unwrap_or_else(|| {
            if name.is_empty() {
                "example".into()
            } else {
                format!("example {name}")
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn required_properties_get_plausible_values() {
        let schema = json!({
            "type": "object",
            "properties": {
                "location": {"type": "string"},
                "unit": {"type": "string", "enum": ["fahrenheit", "celsius"]},
                "days": {"type": "integer", "minimum": 3},
                "verbose": {"type": "boolean"}
            },
            "required": ["location", "unit", "days"]
        });
        assert_eq!(
            sample_input(&schema),
            json!({"location": "Seattle, WA", "unit": "fahrenheit", "days": 3})
        );
        assert_eq!(sample_input(&json!("nonsense")), json!({}));
    }

    #[test]
    fn key_order_follows_required_then_names() {
        let a: Value = serde_json::from_str(
            r#"{"type":"object","required":["unit","city"],"properties":{
                "city":{"type":"string"},"unit":{"enum":[{"b":1,"a":2}]},"x":{"type":"string"}}}"#,
        )
        .unwrap_or_default();
        let b: Value = serde_json::from_str(
            r#"{"properties":{"x":{"type":"string"},"unit":{"enum":[{"a":2,"b":1}]},
                "city":{"type":"string"}},"required":["unit","city","unit"],"type":"object"}"#,
        )
        .unwrap_or_default();
        let expected = r#"{"unit":{"a":2,"b":1},"city":"Seattle"}"#;
        assert_eq!(sample_input(&a).to_string(), expected);
        assert_eq!(sample_input(&b).to_string(), expected);
        // Nothing required: every property, sorted by name.
        let c = json!({"type": "object", "properties": {"z": {"type": "integer"}, "a": {"type": "boolean"}}});
        assert_eq!(sample_input(&c).to_string(), r#"{"a":true,"z":1}"#);
    }

    #[test]
    fn deep_schemas_are_cut_off() {
        let mut schema = json!({"type": "string"});
        for _ in 0..50 {
            schema = json!({"type": "object", "properties": {"x": schema}});
        }
        let _ = sample_input(&schema);
    }
}
