//! Plausible tool inputs built from a tool's JSON schema.

use serde_json::{Map, Value};

/// Deep schemas are cut off here so that a hostile schema cannot make the answer explode.
const MAX_DEPTH: usize = 8;

/// An example value satisfying `schema` well enough to exercise client code: required
/// properties (all properties when none are marked required), enums, defaults and types.
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
        return v.clone();
    }
    if let Some(v) = obj.get("default") {
        return v.clone();
    }
    if let Some(first) = obj
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    if let Some(v) = obj
        .get("examples")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return v.clone();
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
            let required: Vec<&str> = obj
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for (key, prop) in props {
                if required.is_empty() || required.contains(&key.as_str()) {
                    out.insert(key.clone(), sample(prop, key, depth + 1));
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
    fn deep_schemas_are_cut_off() {
        let mut schema = json!({"type": "string"});
        for _ in 0..50 {
            schema = json!({"type": "object", "properties": {"x": schema}});
        }
        let _ = sample_input(&schema);
    }
}
