//! Modelled Bedrock Runtime errors: codes, HTTP statuses and their JSON bodies.

use serde_json::{Map, Value};

/// HTTP status for each error code of the bedrock-runtime service model
/// (`error.httpStatusCode` of each exception shape); `None` for codes the model doesn't define.
pub fn status_for_code(code: &str) -> Option<u16> {
    Some(match code {
        "ValidationException" => 400,
        "AccessDeniedException" => 403,
        "ResourceNotFoundException" => 404,
        "ThrottlingException" => 429,
        "ServiceQuotaExceededException" => 400,
        "ModelTimeoutException" => 408,
        "ModelErrorException" => 424,
        "ModelNotReadyException" => 429,
        "ModelStreamErrorException" => 424,
        "InternalServerException" => 500,
        "ServiceUnavailableException" => 503,
        "ConflictException" => 400,
        // Not in the model, but what the service front end answers.
        "SerializationException" => 400,
        "UnknownOperationException" => 404,
        _ => return None,
    })
}

/// Every error code the service model defines, in a stable order.
pub const MODELLED_CODES: &[&str] = &[
    "AccessDeniedException",
    "ConflictException",
    "InternalServerException",
    "ModelErrorException",
    "ModelNotReadyException",
    "ModelStreamErrorException",
    "ModelTimeoutException",
    "ResourceNotFoundException",
    "ServiceQuotaExceededException",
    "ServiceUnavailableException",
    "ThrottlingException",
    "ValidationException",
];

/// A default message per code, close to what Bedrock says.
pub fn default_message(code: &str) -> &'static str {
    match code {
        "ThrottlingException" => "Too many requests, please wait before trying again.",
        "AccessDeniedException" => {
            "You don't have access to the model with the specified model ID."
        }
        "ResourceNotFoundException" => "The requested resource could not be found.",
        "ModelTimeoutException" => {
            "Model has timed out in processing the request. Try your request again."
        }
        "ModelErrorException" => {
            "The system encountered an unexpected error during processing. Try your request again."
        }
        "ModelNotReadyException" => {
            "Model is not ready for inference. Wait and try your request again."
        }
        "ModelStreamErrorException" => {
            "The model encountered an error while streaming the response."
        }
        "InternalServerException" => {
            "The server encountered an internal error while processing the request."
        }
        "ServiceUnavailableException" => "Bedrock is unable to process your request.",
        "ServiceQuotaExceededException" => {
            "Your request exceeds the service quota for your account."
        }
        "ConflictException" => "The request conflicts with the current state of the resource.",
        _ => "The request is invalid.",
    }
}

/// An error answer: status, `x-amzn-ErrorType` code and a JSON body `{"message": ..., extras}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: String,
    pub status: u16,
    pub message: String,
    /// Extra body members, e.g. `originalStatusCode`/`resourceName` for ModelErrorException.
    pub extra: Vec<(String, Value)>,
}

impl ApiError {
    /// An error with the status the service model gives its code (400 for unknown codes).
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        ApiError {
            code: code.to_string(),
            status: status_for_code(code).unwrap_or(400),
            message: message.into(),
            extra: Vec::new(),
        }
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new("ValidationException", message)
    }

    pub fn invalid_model() -> Self {
        Self::validation("The provided model identifier is invalid.")
    }

    /// Bedrock's wording for a model-native body that fails the model's schema.
    pub fn malformed(detail: &str) -> Self {
        Self::validation(format!(
            "Malformed input request: {detail}, please reformat your input and try again."
        ))
    }

    /// Coral's wording for a request that fails a constraint of the service model.
    pub fn constraint(path: &str, value: &str, constraint: &str) -> Self {
        Self::validation(format!(
            "1 validation error detected: Value {value} at '{path}' failed to satisfy constraint: {constraint}"
        ))
    }

    pub fn unsupported_operation() -> Self {
        Self::validation(
            "This action doesn't support the model that you provided. Try again with a supported text or chat model.",
        )
    }

    /// The JSON body: `{"message": ...}` followed by any extra members.
    pub fn body(&self) -> Vec<u8> {
        let mut obj = Map::with_capacity(1 + self.extra.len());
        obj.insert("message".into(), Value::String(self.message.clone()));
        for (k, v) in &self.extra {
            obj.insert(k.clone(), v.clone());
        }
        serde_json::to_vec(&Value::Object(obj)).unwrap_or_default()
    }

    /// The `x-amzn-ErrorType` header value.
    pub fn error_type_header(&self) -> String {
        // Authentication is answered by the service framework, in its own namespace.
        let namespace = match self.code.as_str() {
            "MissingAuthenticationTokenException"
            | "UnrecognizedClientException"
            | "InvalidSignatureException"
            | "IncompleteSignatureException" => "com.amazon.coral.service",
            _ => "com.amazon.bedrock",
        };
        format!(
            "{}:http://internal.amazon.com/coral/{namespace}/",
            self.code
        )
    }

    /// The member name of this error inside an event-stream union (`throttlingException`).
    pub fn stream_member_name(&self) -> String {
        lower_camel(&self.code)
    }
}

fn lower_camel(code: &str) -> String {
    let mut chars = code.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_model() {
        assert_eq!(ApiError::new("ThrottlingException", "x").status, 429);
        assert_eq!(ApiError::new("ModelErrorException", "x").status, 424);
        assert_eq!(ApiError::new("SomethingElse", "x").status, 400);
        assert_eq!(
            ApiError::new("ThrottlingException", "x").stream_member_name(),
            "throttlingException"
        );
    }
}
