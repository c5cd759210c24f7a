//! InvokeModel: a model-native request body in, a model-native body out.

use aws_sdk_bedrockruntime::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_bedrockruntime::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_bedrockruntime::operation::invoke_model::{InvokeModelError, InvokeModelOutput};
use aws_smithy_runtime_api::box_error::BoxError;
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
        let content_type = NoDefaultContentType::unless_given(params)?;
        Ok(send_request!(builder, bridged, content_type))
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

/// botocore sends no Content-Type when the caller gives no `contentType`; the
/// SDK would default it to application/octet-stream. Removed before signing so
/// both clients put the same request on the wire.
#[derive(Debug)]
pub(super) struct NoDefaultContentType;

impl NoDefaultContentType {
    /// The interceptor, unless the caller gave a `contentType`.
    pub(super) fn unless_given(params: &Bound<'_, PyDict>) -> PyResult<Option<Self>> {
        let given = params.contains(pyo3::intern!(params.py(), "contentType"))?;
        Ok((!given).then_some(Self))
    }
}

impl Intercept for NoDefaultContentType {
    fn name(&self) -> &'static str {
        "bedrock_cris::NoDefaultContentType"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        context.request_mut().headers_mut().remove("content-type");
        Ok(())
    }
}
