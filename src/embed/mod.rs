//! `embed`: any number of texts through an embedding model, into one
//! contiguous little-endian buffer (a `bytearray` numpy wraps without a copy).
//!
//! The blocking door waits with the GIL released (Ctrl-C aborts every request
//! in flight); the async door hands the same pipeline to asyncio (cancelling
//! the awaitable aborts them). `bedrock_cris._embed` wraps both.

mod job;
mod model;
mod parse;
mod scanner;
mod trace;

use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyString};
use serde_json::{Map, Value};

use crate::client::NativeClient;
use crate::ops::CallContext;
use crate::runtime;
use job::{Done, Failure, Job, Stop};
use model::{BodyOptions, Family, Layout};

/// The least time between two progress callbacks (the last one always comes).
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

static BATCH_ERROR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// What both doors return: `(buffer, columns, dtype, input_tokens)`.
type Embedded<B> = (B, usize, &'static str, u64);

/// One embed job's options, as `bedrock_cris._embed` passes them (a dict
/// with every key: a missing or misspelt one is an error, not a default).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct EmbedOptions {
    model_id: String,
    family: Option<String>,
    embedding_type: String,
    dimensions: usize,
    input_type: String,
    truncate: Option<String>,
    normalize: bool,
    batch_size: Option<usize>,
    max_concurrency: usize,
    max_retries: u32,
    /// Extra members for every request body, as JSON text.
    extra_body: Option<String>,
}

/// Embeds `texts`, blocking (GIL released, Ctrl-C aware).
#[pyfunction]
#[pyo3(signature = (client, texts, options, progress=None, out=None, trace=None))]
fn embed<'py>(
    py: Python<'py>,
    client: &Bound<'py, NativeClient>,
    texts: &Bound<'py, PyAny>,
    options: EmbedOptions,
    progress: Option<Bound<'py, PyAny>>,
    out: Option<CallerArray>,
    trace: Option<Py<PyAny>>,
) -> PyResult<Embedded<Bound<'py, PyAny>>> {
    let max_concurrency = options.max_concurrency;
    let request = Request::new(client, texts, options, trace)?;
    let target = request.target(py, out)?;
    let (columns, dtype) = (
        request.job.layout.columns,
        request.job.layout.element.dtype(),
    );
    let result = target.result(py);
    let sink = sink(target, progress.map(Bound::unbind));
    let job = request.job.clone();
    let outcome = runtime::wait(py, job::run(job, max_concurrency, sink))?;
    let input_tokens = outcome.map_err(|stop| request.error(py, stop))?;
    Ok((result.into_bound(py), columns, dtype, input_tokens))
}

/// Awaitable `embed`; cancelling it aborts every request in flight.
#[pyfunction]
#[pyo3(signature = (client, texts, options, progress=None, out=None, trace=None))]
fn embed_async<'py>(
    py: Python<'py>,
    client: &Bound<'py, NativeClient>,
    texts: &Bound<'py, PyAny>,
    options: EmbedOptions,
    progress: Option<Bound<'py, PyAny>>,
    out: Option<CallerArray>,
    trace: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let max_concurrency = options.max_concurrency;
    let request = Request::new(client, texts, options, trace)?;
    let target = request.target(py, out)?;
    let result = target.result(py);
    let sink = sink(target, progress.map(Bound::unbind));
    runtime::future_into_py(py, async move {
        let outcome = job::run(request.job.clone(), max_concurrency, sink).await;
        let layout = &request.job.layout;
        let embedded: Embedded<Py<PyAny>> = match outcome {
            Ok(input_tokens) => (result, layout.columns, layout.element.dtype(), input_tokens),
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
    fn new(
        client: &Bound<'_, NativeClient>,
        texts: &Bound<'_, PyAny>,
        options: EmbedOptions,
        trace: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let model_id = options.model_id;
        let family = resolve_family(&model_id, options.family.as_deref())?;
        let layout = Layout::new(family, &options.embedding_type, options.dimensions)
            .map_err(PyValueError::new_err)?;
        let batch_size = match options.batch_size {
            None => family.max_batch(),
            Some(n) if (1..=family.max_batch()).contains(&n) => n,
            Some(n) => {
                return Err(PyValueError::new_err(format!(
                    "batch_size must be between 1 and {} for this model, not {n}",
                    family.max_batch()
                )))
            }
        };
        let extra = match options.extra_body.as_deref() {
            None => Map::new(),
            Some(text) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(map)) => map,
                _ => return Err(PyValueError::new_err("extra_body must be a JSON object")),
            },
        };
        let body = BodyOptions {
            input_type: options.input_type,
            truncate: options.truncate,
            normalize: options.normalize,
            extra,
        };
        let client = client.get();
        let trace = trace.map(|tracer| trace::Tracer::new(tracer, client.context()));
        let job = Job::new(
            client.sdk().clone(),
            client.region().to_owned(),
            client.throughput(),
            model_id,
            layout,
            body,
            owned_texts(texts)?,
            batch_size,
            options.max_retries,
            trace,
        );
        Ok(Request {
            job: Arc::new(job),
            context: client.context(),
        })
    }

    /// Where the rows go: the caller's array (`out`), which must hold exactly
    /// one row per text, else a new zeroed `bytearray`.
    fn target(&self, py: Python<'_>, out: Option<CallerArray>) -> PyResult<Target> {
        let len = self.job.texts.len() * self.job.layout.row_bytes();
        match out {
            None => Ok(Target::Owned(
                PyByteArray::new_with(py, len, |_| Ok(()))?.unbind(),
            )),
            Some((address, size, array)) if size == len && (address != 0 || len == 0) => {
                Ok(Target::Caller {
                    address,
                    len,
                    _array: array,
                })
            }
            Some((_, size, _)) => Err(PyValueError::new_err(format!(
                "out has {size} bytes; {} texts of {} bytes each need {len}",
                self.job.texts.len(),
                self.job.layout.row_bytes()
            ))),
        }
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
                job_retries,
                earlier,
            } => {
                // Each target failed over from is the cause of the next, as for calls.
                let mut chained: Option<PyErr> = None;
                for error in earlier {
                    let error = error.into_pyerr(py, &self.context);
                    error.set_cause(py, chained.take());
                    chained = Some(error);
                }
                let error = error.into_pyerr(py, &self.context);
                if chained.is_some() {
                    error.set_cause(py, chained);
                }
                (error, job_retries)
            }
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

/// A caller's array for the rows, as `bedrock_cris._embed` checked it: its
/// address, its size in bytes, and the array itself.
type CallerArray = (usize, usize, Py<PyAny>);

/// The memory the rows are written into.
enum Target {
    /// A `bytearray` made for this call, returned when it ends.
    Owned(Py<PyByteArray>),
    /// The caller's array (`embed(out=...)`), `len` bytes at `address`; held
    /// until the job is dropped, so it outlives every write, even after a
    /// cancelled call's Python side has let go of it.
    Caller {
        address: usize,
        len: usize,
        _array: Py<PyAny>,
    },
}

impl Target {
    /// What the call returns as its buffer: the `bytearray`, or `None` when
    /// the rows went to the caller's array.
    fn result(&self, py: Python<'_>) -> Py<PyAny> {
        match self {
            Target::Owned(buffer) => buffer.clone_ref(py).into_any(),
            Target::Caller { .. } => py.None(),
        }
    }

    /// The bytes to write rows into.
    ///
    /// SAFETY: call with the GIL held. An owned buffer is handed to Python
    /// code only when the job has returned. The caller's array is held by
    /// this target, and numpy refuses to resize an array that is referenced,
    /// so its memory stays where it was checked to be.
    unsafe fn bytes<'a>(&'a self, py: Python<'a>) -> &'a mut [u8] {
        match self {
            Target::Owned(buffer) => unsafe { buffer.bind(py).as_bytes_mut() },
            Target::Caller { address, len, .. } => unsafe {
                std::slice::from_raw_parts_mut(*address as *mut u8, *len)
            },
        }
    }
}

/// Places finished rows into `target` by text index and reports progress.
fn sink(
    target: Target,
    progress: Option<Py<PyAny>>,
) -> impl FnMut(&Job, Vec<Done>) -> PyResult<()> + Send {
    let mut completed = 0usize;
    let mut reported = 0usize;
    let mut last_report = std::time::Instant::now();
    move |job, finished| {
        Python::attach(|py| {
            // SAFETY: the GIL is held (see Target::bytes).
            let out = unsafe { target.bytes(py) };
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

/// What `embed` would make for these arguments, without sending anything:
/// `(columns, dtype, texts per request)` (for checking a caller's `out`
/// array, and for callers that send one request at a time).
#[pyfunction]
#[pyo3(signature = (model_id, *, family=None, embedding_type="float", dimensions=1024))]
fn embed_layout(
    model_id: &str,
    family: Option<&str>,
    embedding_type: &str,
    dimensions: usize,
) -> PyResult<(usize, &'static str, usize)> {
    let family = resolve_family(model_id, family)?;
    let layout = Layout::new(family, embedding_type, dimensions).map_err(PyValueError::new_err)?;
    Ok((layout.columns, layout.element.dtype(), family.max_batch()))
}

/// The model family `family` names, else the one `model_id` names.
fn resolve_family(model_id: &str, family: Option<&str>) -> PyResult<Family> {
    match family {
        Some(name) => Family::named(name).ok_or_else(|| {
            PyValueError::new_err(format!(
                "family must be 'cohere-v3', 'cohere-v4' or 'titan-v2', not {name:?}"
            ))
        }),
        None => Family::detect(model_id).ok_or_else(|| {
            PyValueError::new_err(format!(
                "cannot tell which embedding model {model_id:?} is: embed() drives Cohere \
                 Embed v3/v4 and Titan Text Embeddings v2; for an ARN that does not name \
                 the model, pass family='cohere-v3', 'cohere-v4' or 'titan-v2'"
            ))
        }),
    }
}

/// Adds `embed`, `embed_async` and `embed_layout` to the native module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(embed_layout, m)?)?;
    m.add_function(wrap_pyfunction!(embed, m)?)?;
    m.add_function(wrap_pyfunction!(embed_async, m)?)?;
    Ok(())
}
