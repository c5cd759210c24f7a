//! Converse: one request, one complete answer.

use aws_sdk_bedrockruntime::operation::converse::{ConverseError, ConverseOutput};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::{result_dict, validated, CallContext, Operation, Pending};
use crate::capture::CallRecord;
use crate::client::NativeClient;
use crate::convert;

pub struct Converse;

impl Operation for Converse {
    const NAME: &'static str = "Converse";
    // The answer may hold documents (tool inputs); the raw body keeps their key order.
    const KEEP_BODY: bool = true;
    type Output = ConverseOutput;
    type Error = ConverseError;

    fn prepare(
        client: &NativeClient,
        params: &Bound<'_, PyDict>,
    ) -> PyResult<Pending<ConverseOutput, ConverseError>> {
        let builder = convert::converse_input(params, client.sdk().converse())?;
        let builder = validated(params.py(), builder)?;
        Ok(Box::pin(builder.send()))
    }

    fn finish<'py>(
        py: Python<'py>,
        output: ConverseOutput,
        record: &CallRecord,
        _context: &CallContext,
    ) -> PyResult<Bound<'py, PyAny>> {
        let result = result_dict(py, record)?;
        let raw: Option<serde_json::Value> =
            record.body().and_then(|b| serde_json::from_slice(b).ok());
        convert::converse_output(py, output, raw.as_ref(), &result)?;
        Ok(result.into_any())
    }
}
