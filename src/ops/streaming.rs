//! ConverseStream and InvokeModelWithResponseStream: the call returns as soon
//! as the answer's headers arrive; events are read by the [`EventStream`].

use aws_sdk_bedrockruntime::operation::converse_stream::{
    ConverseStreamError, ConverseStreamOutput,
};
use aws_sdk_bedrockruntime::operation::invoke_model_with_response_stream::{
    InvokeModelWithResponseStreamError, InvokeModelWithResponseStreamOutput,
};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use super::invoke::content_type_given;
use super::{result_dict, send_request, validated, CallContext, Operation, Pending};
use crate::capture::CallRecord;
use crate::convert;
use crate::stream::{read_ahead, EventStream, InputFailure, Refusal, Source};

pub struct ConverseStream;

impl Operation for ConverseStream {
    const NAME: &'static str = "ConverseStream";
    const KEEP: crate::capture::Keep = crate::capture::Keep::Frames;
    const OUTLIVES_CALL: bool = true;
    type Output = ConverseStreamOutput;
    type Error = ConverseStreamError;

    fn prepare(
        sdk: &aws_sdk_bedrockruntime::Client,
        params: &Bound<'_, PyDict>,
    ) -> PyResult<Pending<ConverseStreamOutput, ConverseStreamError>> {
        let _lending = convert::Lending::begin();
        let (builder, bridged) = validated(
            params.py(),
            convert::converse_stream_input(params, sdk.converse_stream())?,
        )?;
        Ok(send_request!(builder, bridged))
    }

    fn read_ahead<'a>(
        output: &'a mut ConverseStreamOutput,
        record: &'a mut CallRecord,
        idle: std::time::Duration,
    ) -> impl std::future::Future<Output = Option<Refusal>> + Send + 'a {
        read_ahead(&mut output.stream, record, idle)
    }

    fn finish<'py>(
        py: Python<'py>,
        output: ConverseStreamOutput,
        record: &mut CallRecord,
        context: &CallContext,
    ) -> PyResult<Bound<'py, PyAny>> {
        let result = result_dict(py, record, context)?;
        let receiver = convert::converse_stream_output(py, output, None, &result)?;
        let source = Source::Converse(receiver);
        let key = pyo3::intern!(py, "stream");
        stream_result(result, key, source, record, context, Self::NAME, None)
    }
}

pub struct InvokeModelWithResponseStream;

impl Operation for InvokeModelWithResponseStream {
    const NAME: &'static str = "InvokeModelWithResponseStream";
    const KEEP: crate::capture::Keep = crate::capture::Keep::Frames;
    const OUTLIVES_CALL: bool = true;
    type Output = InvokeModelWithResponseStreamOutput;
    type Error = InvokeModelWithResponseStreamError;

    fn prepare(
        sdk: &aws_sdk_bedrockruntime::Client,
        params: &Bound<'_, PyDict>,
    ) -> PyResult<Pending<InvokeModelWithResponseStreamOutput, InvokeModelWithResponseStreamError>>
    {
        let _lending = convert::Lending::begin();
        let converted = convert::invoke_model_with_response_stream_input(
            params,
            sdk.invoke_model_with_response_stream(),
        )?;
        let (builder, bridged) = validated(params.py(), converted)?;
        Ok(send_request!(builder, bridged, content_type_given(params)?))
    }

    fn read_ahead<'a>(
        output: &'a mut InvokeModelWithResponseStreamOutput,
        record: &'a mut CallRecord,
        idle: std::time::Duration,
    ) -> impl std::future::Future<Output = Option<Refusal>> + Send + 'a {
        read_ahead(&mut output.body, record, idle)
    }

    fn finish<'py>(
        py: Python<'py>,
        output: InvokeModelWithResponseStreamOutput,
        record: &mut CallRecord,
        context: &CallContext,
    ) -> PyResult<Bound<'py, PyAny>> {
        let result = result_dict(py, record, context)?;
        let receiver =
            convert::invoke_model_with_response_stream_output(py, output, None, &result)?;
        let source = Source::Response(receiver);
        let key = pyo3::intern!(py, "body");
        stream_result(result, key, source, record, context, Self::NAME, None)
    }
}

/// Finishes a streaming call: `result` (the call's dict) with the answer's [`EventStream`]
/// under `key`, its events read from `source`; `input_failure` (a bidirectional stream's input
/// feeder) is raised when the events end.
pub(super) fn stream_result<'py>(
    result: Bound<'py, PyDict>,
    key: &Bound<'py, PyString>,
    source: Source,
    record: &mut CallRecord,
    context: &CallContext,
    operation: &'static str,
    input_failure: Option<InputFailure>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut stream = EventStream::start(source, record, context.stream_idle, operation);
    if let Some(failure) = input_failure {
        stream = stream.with_input_failure(failure);
    }
    result.set_item(key, Py::new(result.py(), stream)?)?;
    Ok(result.into_any())
}
