//! Members of the service model that aws-sdk-bedrockruntime does not have yet
//! (codegen's `BRIDGED_MEMBERS`): the generated input converters validate them
//! like any other member and hand their values over as [`Bridged`], which
//! puts them on the wire where the model says, before signing (through
//! [`crate::request_edits`]), so the signature covers them.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use serde_json::Value;

use crate::convert::ParamErrors;

/// Where the model puts a member on the wire (header and query names as in
/// the model's `locationName`, body members by their JSON key).
#[derive(Debug, Clone, Copy)]
pub enum Placement {
    Header(&'static str),
    Query(&'static str),
    Body(&'static str),
}

/// The bridged members of one request, with their values.
#[derive(Debug, Default)]
pub struct Bridged(Vec<(Placement, Value)>);

impl Bridged {
    /// Adds a validated member; a header value that cannot be sent is
    /// reported like botocore reports an invalid value, before any request.
    pub(crate) fn push(
        &mut self,
        placement: Placement,
        value: Value,
        path: &crate::convert::Path<'_>,
        errors: &mut ParamErrors,
    ) {
        if let (Placement::Header(_), Value::String(text)) = (placement, &value) {
            if !crate::headers::value_is_sendable(text) {
                errors.invalid_value(
                    path,
                    "header values can hold printable ASCII characters only",
                );
                return;
            }
        }
        self.0.push((placement, value));
    }

    /// Whether the request has no bridged member.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds the bridged members to the serialized request.
    pub fn apply(&self, request: &mut HttpRequest) -> Result<(), BoxError> {
        let mut body_members = Vec::new();
        for (placement, value) in &self.0 {
            match placement {
                Placement::Header(name) => {
                    request.headers_mut().insert(*name, scalar_text(value));
                }
                Placement::Query(name) => {
                    let uri = request.uri();
                    let separator = if uri.contains('?') { '&' } else { '?' };
                    let uri = format!(
                        "{uri}{separator}{}={}",
                        percent_encode(name),
                        percent_encode(&scalar_text(value))
                    );
                    request.set_uri(uri)?;
                }
                Placement::Body(name) => body_members.push((*name, value)),
            }
        }
        if !body_members.is_empty() {
            let body = request
                .body()
                .bytes()
                .ok_or("a bridged body member needs an in-memory request body")?;
            let spliced = splice_members(body, &body_members)?;
            crate::request_edits::replace_body(request, SdkBody::from(spliced));
        }
        Ok(())
    }
}

/// A scalar as botocore writes it in a header or query string.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Percent-encodes all but RFC 3986's unreserved characters, as botocore's
/// `percent_encode` does for query strings.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The JSON object `body` with `members` appended, its own bytes untouched
/// (re-serializing could change how the SDK wrote numbers).
fn splice_members(body: &[u8], members: &[(&str, &Value)]) -> Result<Vec<u8>, BoxError> {
    let text = std::str::from_utf8(body)?;
    let trimmed = text.trim_end();
    let inner = trimmed
        .strip_suffix('}')
        .filter(|_| text.trim_start().starts_with('{'))
        .ok_or("the serialized request body is not a JSON object")?;
    let mut out = String::with_capacity(body.len() + 64);
    out.push_str(inner);
    let mut empty = inner.trim() == "{";
    for (name, value) in members {
        if !empty {
            out.push(',');
        }
        empty = false;
        out.push_str(&serde_json::to_string(name)?);
        out.push(':');
        out.push_str(&serde_json::to_string(value)?);
    }
    out.push('}');
    Ok(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn splice(body: &str, members: &[(&str, Value)]) -> String {
        let members: Vec<(&str, &Value)> = members.iter().map(|(n, v)| (*n, v)).collect();
        String::from_utf8(splice_members(body.as_bytes(), &members).unwrap()).unwrap()
    }

    #[test]
    fn body_members_are_appended_to_the_object() {
        let member = [("projectIdentifier", Value::from("proj-1"))];
        assert_eq!(
            splice(
                r#"{"modelId":"m","inferenceConfig":{"temperature":0.7}}"#,
                &member
            ),
            r#"{"modelId":"m","inferenceConfig":{"temperature":0.7},"projectIdentifier":"proj-1"}"#
        );
        assert_eq!(splice("{}", &member), r#"{"projectIdentifier":"proj-1"}"#);
        assert_eq!(
            splice(" { } \n", &member),
            r#" { "projectIdentifier":"proj-1"}"#
        );
        let two = [("a", Value::from(1)), ("b", Value::Bool(true))];
        assert_eq!(splice(r#"{"x":"}"}"#, &two), r#"{"x":"}","a":1,"b":true}"#);
    }

    #[test]
    fn a_body_that_is_not_an_object_is_refused() {
        let members = [("a", &Value::Null)];
        assert!(splice_members(b"[1]", &members).is_err());
        assert!(splice_members(b"", &members).is_err());
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(percent_encode("arn:aws:x/y z~"), "arn%3Aaws%3Ax%2Fy%20z~");
        assert_eq!(scalar_text(&Value::from(12)), "12");
        assert_eq!(scalar_text(&Value::Bool(false)), "false");
    }
}
