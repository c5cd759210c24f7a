//! Reading the JSON objects the control API and the Python binding take (a fault, a quota).

use serde_json::{Map, Value};

/// `value` as a JSON object whose members are all in `known`; `what` names it in the errors
/// ("fault", "quota") and `example` shows one.
pub(crate) fn object<'a>(
    value: &'a Value,
    what: &str,
    example: &str,
    known: &[&str],
) -> Result<&'a Map<String, Value>, String> {
    let obj = value
        .as_object()
        .ok_or_else(|| format!("a {what} is a JSON object such as {example}"))?;
    if let Some(k) = obj.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(format!("unknown {what} member {k:?}"));
    }
    Ok(obj)
}

/// The member `name`: a non-empty string, or `None` when it is absent or null.
pub(crate) fn optional_text(
    obj: &Map<String, Value>,
    name: &str,
) -> Result<Option<String>, String> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
        Some(_) => Err(format!("{name} must be a non-empty string or null")),
    }
}
