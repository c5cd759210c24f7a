//! Operations whose answer is one JSON document: Converse and the rest of
//! the API (guardrails, token counting, async invocations). They differ only
//! in names, so one macro writes them.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::{result_dict, send_request, validated, CallContext, Operation, Pending};
use crate::capture::CallRecord;
use crate::convert;

/// `json_operation!(Type, "Name", sdk_module::{Output, Error}, fluent_method, input_fn, output_fn)`.
macro_rules! json_operation {
    ($ty:ident, $name:literal, $module:ident::{$out_ty:ident, $err_ty:ident}, $method:ident, $input:ident, $output:ident) => {
        #[doc = concat!("The ", $name, " operation.")]
        pub struct $ty;

        impl Operation for $ty {
            const NAME: &'static str = $name;
            // The raw body decides which members were sent and keeps the
            // key order of documents, as botocore's parser does.
            const KEEP: crate::capture::Keep = crate::capture::Keep::Body;
            type Output = aws_sdk_bedrockruntime::operation::$module::$out_ty;
            type Error = aws_sdk_bedrockruntime::operation::$module::$err_ty;

            fn prepare(
                sdk: &aws_sdk_bedrockruntime::Client,
                params: &Bound<'_, PyDict>,
            ) -> PyResult<Pending<Self::Output, Self::Error>> {
                let (builder, bridged) =
                    validated(params.py(), convert::$input(params, sdk.$method())?)?;
                Ok(send_request!(builder, bridged))
            }

            fn finish<'py>(
                py: Python<'py>,
                output: Self::Output,
                record: &mut CallRecord,
                context: &CallContext,
            ) -> PyResult<Bound<'py, PyAny>> {
                let result = result_dict(py, record, context)?;
                let raw: Option<serde_json::Value> =
                    record.body().and_then(|b| serde_json::from_slice(b).ok());
                convert::$output(py, output, raw.as_ref(), &result)?;
                Ok(result.into_any())
            }
        }
    };
}

json_operation!(
    Converse,
    "Converse",
    converse::{ConverseOutput, ConverseError},
    converse,
    converse_input,
    converse_output
);
json_operation!(
    ApplyGuardrail,
    "ApplyGuardrail",
    apply_guardrail::{ApplyGuardrailOutput, ApplyGuardrailError},
    apply_guardrail,
    apply_guardrail_input,
    apply_guardrail_output
);
json_operation!(
    CountTokens,
    "CountTokens",
    count_tokens::{CountTokensOutput, CountTokensError},
    count_tokens,
    count_tokens_input,
    count_tokens_output
);
json_operation!(
    InvokeGuardrailChecks,
    "InvokeGuardrailChecks",
    invoke_guardrail_checks::{InvokeGuardrailChecksOutput, InvokeGuardrailChecksError},
    invoke_guardrail_checks,
    invoke_guardrail_checks_input,
    invoke_guardrail_checks_output
);
json_operation!(
    StartAsyncInvoke,
    "StartAsyncInvoke",
    start_async_invoke::{StartAsyncInvokeOutput, StartAsyncInvokeError},
    start_async_invoke,
    start_async_invoke_input,
    start_async_invoke_output
);
json_operation!(
    GetAsyncInvoke,
    "GetAsyncInvoke",
    get_async_invoke::{GetAsyncInvokeOutput, GetAsyncInvokeError},
    get_async_invoke,
    get_async_invoke_input,
    get_async_invoke_output
);
json_operation!(
    ListAsyncInvokes,
    "ListAsyncInvokes",
    list_async_invokes::{ListAsyncInvokesOutput, ListAsyncInvokesError},
    list_async_invokes,
    list_async_invokes_input,
    list_async_invokes_output
);
