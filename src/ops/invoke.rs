//! InvokeModel: a model-native request body in, a model-native body out.

use aws_sdk_bedrockruntime::operation::invoke_model::{InvokeModelError, InvokeModelOutput};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyType};

use super::{result_dict, send_request, validated, CallContext, Operation, Pending};
use crate::capture::CallRecord;
use crate::convert;

static STREAMING_BODY: PyOnceLock<Py<PyType>> = PyOnceLock::new();

pub struct InvokeModel;

impl Operation for InvokeModel {
    const NAME: &'static str = "InvokeModel";
    const KEEP: crate::capture::Keep = crate::capture::Keep::Nothing;
    const STREAMING_BODY: bool = true;
    type Output = InvokeModelOutput;
    type Error = InvokeModelError;

    fn prepare(
        sdk: &aws_sdk_bedrockruntime::Client,
        params: &Bound<'_, PyDict>,
    ) -> PyResult<Pending<InvokeModelOutput, InvokeModelError>> {
        let _lending = convert::Lending::begin();
        let (builder, bridged) = validated(
            params.py(),
            convert::invoke_model_input(params, sdk.invoke_model())?,
        )?;
        Ok(send_request!(builder, bridged, content_type_given(params)?))
    }

    fn finish<'py>(
        py: Python<'py>,
        mut output: InvokeModelOutput,
        record: &mut CallRecord,
        context: &CallContext,
    ) -> PyResult<Bound<'py, PyAny>> {
        let result = result_dict(py, record, context)?;
        // The payload is taken out first (moved, not cloned); the converter
        // skips it and adds the header-bound members in botocore's order.
        let body = std::mem::take(&mut output.body).into_inner();
        convert::invoke_model_output(py, output, None, &result)?;
        // botocore hands back a StreamingBody; ours wraps the bytes already read.
        let payload = convert::bytes_to_py(py, &body)?;
        let streaming = STREAMING_BODY
            .import(py, "bedrock_cris._streaming", "StreamingBody")?
            .call1((payload,))?;
        result.set_item(pyo3::intern!(py, "body"), streaming)?;
        Ok(result.into_any())
    }
}

/// Whether the caller gave a `contentType` (botocore sends none otherwise).
pub(super) fn content_type_given(params: &Bound<'_, PyDict>) -> PyResult<bool> {
    params.contains(pyo3::intern!(params.py(), "contentType"))
}
