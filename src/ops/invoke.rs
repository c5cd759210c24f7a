//! InvokeModel: a model-native request body in, a model-native body out.

use aws_sdk_bedrockruntime::operation::invoke_model::{InvokeModelError, InvokeModelOutput};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyType};

use super::{result_dict, validated, Operation, Pending};
use crate::capture::CallRecord;
use crate::client::NativeClient;
use crate::convert;

static STREAMING_BODY: PyOnceLock<Py<PyType>> = PyOnceLock::new();

pub struct InvokeModel;

impl Operation for InvokeModel {
    const NAME: &'static str = "InvokeModel";
    const KEEP_BODY: bool = false;
    type Output = InvokeModelOutput;
    type Error = InvokeModelError;

    fn prepare(
        client: &NativeClient,
        params: &Bound<'_, PyDict>,
    ) -> PyResult<Pending<InvokeModelOutput, InvokeModelError>> {
        let builder = convert::invoke_model_input(params, client.sdk().invoke_model())?;
        let builder = validated(params.py(), builder)?;
        Ok(Box::pin(builder.send()))
    }

    fn finish<'py>(
        py: Python<'py>,
        mut output: InvokeModelOutput,
        record: &CallRecord,
    ) -> PyResult<Bound<'py, PyAny>> {
        let result = result_dict(py, record)?;
        // The payload is taken out first (moved, not cloned); the converter
        // skips it and adds the header-bound members in botocore's order.
        let body = std::mem::take(&mut output.body).into_inner();
        convert::invoke_model_output(py, output, None, &result)?;
        // botocore hands back a StreamingBody; ours wraps the bytes already read.
        let payload = PyBytes::new(py, &body);
        let streaming = STREAMING_BODY
            .import(py, "bedrock_cris._streaming", "StreamingBody")?
            .call1((payload,))?;
        result.set_item(pyo3::intern!(py, "body"), streaming)?;
        Ok(result.into_any())
    }
}
