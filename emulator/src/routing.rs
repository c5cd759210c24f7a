//! Maps a method and raw path to a Bedrock Runtime operation (rest-json routes of the model).

use hyper::Method;

use crate::model_id::decode_segment;

/// An operation and its decoded path labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Converse {
        model_id: String,
    },
    ConverseStream {
        model_id: String,
    },
    InvokeModel {
        model_id: String,
    },
    InvokeModelWithResponseStream {
        model_id: String,
    },
    CountTokens {
        model_id: String,
    },
    /// Served by the duplex path of the server (the request body is read as it arrives).
    InvokeModelWithBidirectionalStream {
        model_id: String,
    },
    ApplyGuardrail {
        guardrail_id: String,
        version: String,
    },
    StartAsyncInvoke,
    ListAsyncInvokes,
    GetAsyncInvoke {
        invocation_arn: String,
    },
    Unknown,
}

impl Route {
    /// The model id of Converse, ConverseStream, InvokeModel and
    /// InvokeModelWithResponseStream: the calls quotas limit and usage counts.
    pub fn inference_model_id(&self) -> Option<&str> {
        match self {
            Route::Converse { model_id }
            | Route::ConverseStream { model_id }
            | Route::InvokeModel { model_id }
            | Route::InvokeModelWithResponseStream { model_id } => Some(model_id),
            _ => None,
        }
    }

    pub fn is_streaming(&self) -> bool {
        matches!(
            self,
            Route::ConverseStream { .. }
                | Route::InvokeModelWithResponseStream { .. }
                | Route::InvokeModelWithBidirectionalStream { .. }
        )
    }
}

/// Routes a request; `path` is the raw (still percent-encoded) path without the query.
pub fn route(method: &Method, path: &str) -> Route {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let post = method == Method::POST;
    let get = method == Method::GET;
    match segments.as_slice() {
        ["model", id, op] if post && !id.is_empty() => {
            let model_id = decode_segment(id);
            match *op {
                "converse" => Route::Converse { model_id },
                "converse-stream" => Route::ConverseStream { model_id },
                "invoke" => Route::InvokeModel { model_id },
                "invoke-with-response-stream" => Route::InvokeModelWithResponseStream { model_id },
                "count-tokens" => Route::CountTokens { model_id },
                "invoke-with-bidirectional-stream" => {
                    Route::InvokeModelWithBidirectionalStream { model_id }
                }
                _ => Route::Unknown,
            }
        }
        ["guardrail", id, "version", version, "apply"] if post && !id.is_empty() => {
            Route::ApplyGuardrail {
                guardrail_id: decode_segment(id),
                version: decode_segment(version),
            }
        }
        ["async-invoke"] if post => Route::StartAsyncInvoke,
        ["async-invoke"] if get => Route::ListAsyncInvokes,
        ["async-invoke", arn] if get && !arn.is_empty() => Route::GetAsyncInvoke {
            invocation_arn: decode_segment(arn),
        },
        _ => Route::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(
            route(
                &Method::POST,
                "/model/global.anthropic.claude-haiku-4-5-20251001-v1%3A0/converse"
            ),
            Route::Converse {
                model_id: "global.anthropic.claude-haiku-4-5-20251001-v1:0".into()
            }
        );
        assert_eq!(route(&Method::GET, "/model/x/converse"), Route::Unknown);
        assert_eq!(
            route(&Method::GET, "/async-invoke"),
            Route::ListAsyncInvokes
        );
        assert_eq!(
            route(&Method::GET, "/async-invoke/arn%3Aaws%3Abedrock%3Ax"),
            Route::GetAsyncInvoke {
                invocation_arn: "arn:aws:bedrock:x".into()
            }
        );
        assert_eq!(route(&Method::POST, "/"), Route::Unknown);
        assert_eq!(route(&Method::POST, "/model//converse"), Route::Unknown);
    }
}
