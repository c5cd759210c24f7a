//! `embed`: any number of texts through an embedding model, into one
//! contiguous little-endian buffer (a `bytearray` numpy wraps without a copy).
//!
//! The blocking door waits with the GIL released (Ctrl-C aborts every request
//! in flight); the async door hands the same pipeline to asyncio (cancelling
//! the awaitable aborts them). `bedrock_cris._embed` wraps both.

mod job;
mod model;
mod parse;

use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyString};
use serde_json::{Map, Value};

use crate::client::NativeClient;
use crate::ops::CallContext;
use crate::{errors, runtime};
use job::{Done, Failure, Job, Stop};
use model::{BodyOptions, Family, Layout};

/// The least time between two progress callbacks (the last one always comes).
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

static BATCH_ERROR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// What both doors return: `(buffer, columns, dtype, input_tokens)`.
type Embedded<B> = (B, usize, &'static str, u64);

/// Embeds `texts` with `model_id`, blocking (GIL released, Ctrl-C aware).
#[pyfunction]
#[pyo3(signature = (
    client, texts, model_id, *, family=None, embedding_type="float", dimensions=1024,
    input_type="search_document", truncate=None, normalize=true, batch_size=None,
    max_concurrency=8, max_retries=8, extra_body=None, progress=None,
))]
#[allow(clippy::too_many_arguments)]
fn embed<'py>(
    py: Python<'py>,
    client: &Bound<'py, NativeClient>,
    texts: &Bound<'py, PyAny>,
    model_id: String,
    family: Option<&str>,
    embedding_type: &str,
    dimensions: usize,
    input_type: &str,
    truncate: Option<String>,
    normalize: bool,
    batch_size: Option<usize>,
    max_concurrency: usize,
    max_retries: u32,
    extra_body: Option<&str>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Embedded<Bound<'py, PyByteArray>>> {
    let request = Request::new(
        client,
        texts,
        model_id,
        family,
        embedding_type,
        dimensions,
        input_type,
        truncate,
        normalize,
        batch_size,
        max_retries,
        extra_body,
    )?;
    let buffer = request.buffer(py)?;
    let (columns, dtype) = (
        request.job.layout.columns,
        request.job.layout.element.dtype(),
    );
    let sink = sink(buffer.clone().unbind(), progress.map(Bound::unbind));
    let job = request.job.clone();
    let outcome = runtime::wait(py, job::run(job, max_concurrency, sink))?;
    let input_tokens = outcome.map_err(|stop| request.error(py, stop))?;
    Ok((buffer, columns, dtype, input_tokens))
}

/// Awaitable `embed`; cancelling it aborts every request in flight.
#[pyfunction]
#[pyo3(signature = (
    client, texts, model_id, *, family=None, embedding_type="float", dimensions=1024,
    input_type="search_document", truncate=None, normalize=true, batch_size=None,
    max_concurrency=8, max_retries=8, extra_body=None, progress=None,
))]
#[allow(clippy::too_many_arguments)]
fn embed_async<'py>(
    py: Python<'py>,
    client: &Bound<'py, NativeClient>,
    texts: &Bound<'py, PyAny>,
    model_id: String,
    family: Option<&str>,
    embedding_type: &str,
    dimensions: usize,
    input_type: &str,
    truncate: Option<String>,
    normalize: bool,
    batch_size: Option<usize>,
    max_concurrency: usize,
    max_retries: u32,
    extra_body: Option<&str>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let request = Request::new(
        client,
        texts,
        model_id,
        family,
        embedding_type,
        dimensions,
        input_type,
        truncate,
        normalize,
        batch_size,
        max_retries,
        extra_body,
    )?;
    let buffer = request.buffer(py)?.unbind();
    let sink = sink(buffer.clone_ref(py), progress.map(Bound::unbind));
    runtime::future_into_py(py, async move {
        let outcome = job::run(request.job.clone(), max_concurrency, sink).await;
        let layout = &request.job.layout;
        let embedded: Embedded<Py<PyByteArray>> = match outcome {
            Ok(input_tokens) => (buffer, layout.columns, layout.element.dtype(), input_tokens),
            Err(stop) => return Err(Python::attach(|py| request.error(py, stop))),
        };
        Ok(embedded)
    })
}

/// A validated job and what its errors need to know.
struct Request {
    job: Arc<Job>,
    context: CallContext,
}

impl Request {
    #[allow(clippy::too_many_arguments)]
    fn new(
        client: &Bound<'_, NativeClient>,
        texts: &Bound<'_, PyAny>,
        model_id: String,
        family: Option<&str>,
        embedding_type: &str,
        dimensions: usize,
        input_type: &str,
        truncate: Option<String>,
        normalize: bool,
        batch_size: Option<usize>,
        max_retries: u32,
        extra_body: Option<&str>,
    ) -> PyResult<Self> {
        let family = match family {
            Some(name) => Family::named(name).ok_or_else(|| {
                PyValueError::new_err(format!(
                    "family must be 'cohere-v3', 'cohere-v4' or 'titan-v2', not {name:?}"
                ))
            })?,
            None => Family::detect(&model_id).ok_or_else(|| {
                PyValueError::new_err(format!(
                    "cannot tell which embedding model {model_id:?} is: embed() drives Cohere \
                     Embed v3/v4 and Titan Text Embeddings v2; for an ARN that does not name \
                     the model, pass family='cohere-v3', 'cohere-v4' or 'titan-v2'"
                ))
            })?,
        };
        let layout =
            Layout::new(family, embedding_type, dimensions).map_err(PyValueError::new_err)?;
        let batch_size = match batch_size {
            None => family.max_batch(),
            Some(n) if (1..=family.max_batch()).contains(&n) => n,
            Some(n) => {
                return Err(PyValueError::new_err(format!(
                    "batch_size must be between 1 and {} for this model, not {n}",
                    family.max_batch()
                )))
            }
        };
        let extra = match extra_body {
            None => Map::new(),
            Some(text) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(map)) => map,
                _ => return Err(PyValueError::new_err("extra_body must be a JSON object")),
            },
        };
        let options = BodyOptions {
            input_type: input_type.to_owned(),
            truncate,
            normalize,
            extra,
        };
        let client = client.get();
        let job = Job::new(
            client.sdk().clone(),
            client.region().to_owned(),
            client.throughput(),
            model_id,
            layout,
            options,
            owned_texts(texts)?,
            batch_size,
            max_retries,
        );
        Ok(Request {
            job: Arc::new(job),
            context: client.context(),
        })
    }

    /// The zeroed output buffer: one row per text.
    fn buffer<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyByteArray>> {
        let len = self.job.texts.len() * self.job.layout.row_bytes();
        PyByteArray::new_with(py, len, |_| Ok(()))
    }

    /// The exception for a stopped job: `EmbeddingError` naming the texts of
    /// the failed request, with the request's own exception as its cause.
    fn error(&self, py: Python<'_>, stop: Stop) -> PyErr {
        let failed = match stop {
            Stop::Python(error) => return error,
            Stop::Failed(failed) => failed,
        };
        let (cause, job_retries) = match failed.failure {
            Failure::Service {
                error,
                record,
                job_retries,
            } => (
                errors::from_sdk(py, "InvokeModel", *error, &record, &self.context),
                job_retries,
            ),
            Failure::Answer(message) => (PyValueError::new_err(message), 0),
            Failure::Panic(message) => (PyRuntimeError::new_err(message), 0),
        };
        let range = self.job.range(failed.batch);
        let build = || -> PyResult<PyErr> {
            let factory = BATCH_ERROR.import(py, "bedrock_cris._embed", "_batch_error")?;
            let error = factory.call1((
                range.start,
                range.end,
                self.job.texts.len(),
                self.job.model_id.as_str(),
                job_retries,
                cause.value(py),
            ))?;
            Ok(PyErr::from_value(error))
        };
        build().unwrap_or_else(|e| e)
    }
}

/// The texts as owned strings; a clear TypeError names the first non-str.
fn owned_texts(texts: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if texts.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(
            "texts must be a sequence of str, not a single str",
        ));
    }
    let mut owned = Vec::with_capacity(texts.len().unwrap_or(0));
    for (i, text) in texts.try_iter()?.enumerate() {
        let text = text?;
        let text = text.cast::<PyString>().map_err(|_| {
            let kind = text
                .get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default();
            PyTypeError::new_err(format!("texts[{i}] must be a str, not {kind}"))
        })?;
        owned.push(text.to_cow()?.into_owned());
    }
    Ok(owned)
}

/// Places finished rows into `buffer` by text index and reports progress.
fn sink(
    buffer: Py<PyByteArray>,
    progress: Option<Py<PyAny>>,
) -> impl FnMut(&Job, Vec<Done>) -> PyResult<()> + Send {
    let mut completed = 0usize;
    let mut reported = 0usize;
    let mut last_report = std::time::Instant::now();
    move |job, finished| {
        Python::attach(|py| {
            let buffer = buffer.bind(py);
            // SAFETY: the buffer was created for this job and is handed to
            // Python code only when the job has returned, so nothing else
            // reads, writes or resizes it while this slice lives.
            let out = unsafe { buffer.as_bytes_mut() };
            let row_bytes = job.layout.row_bytes();
            for done in &finished {
                let range = job.range(done.batch);
                let start = range.start * row_bytes;
                let Some(rows) = out.get_mut(start..start + done.rows.len()) else {
                    return Err(PyRuntimeError::new_err("embedding rows out of bounds"));
                };
                rows.copy_from_slice(&done.rows);
                completed += range.len();
            }
            if let Some(progress) = &progress {
                let all = completed == job.texts.len();
                if all || last_report.elapsed() >= PROGRESS_EVERY {
                    progress.call1(py, (completed - reported,))?;
                    reported = completed;
                    last_report = std::time::Instant::now();
                }
            }
            Ok(())
        })
    }
}

/// Adds `embed` and `embed_async` to the native module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(embed, m)?)?;
    m.add_function(wrap_pyfunction!(embed_async, m)?)?;
    Ok(())
}
