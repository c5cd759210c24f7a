//! Output helpers (SDK -> Python), producing what botocore's RestJSONParser produces.

use std::collections::HashMap;

use aws_smithy_types::{Blob, DateTime, Document, Number};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyList, PyString};
use serde_json::Value;

use super::input::time_module;
use super::{ParamErrors, Path};

/// The raw JSON value of member `key`, if the raw body is known.
pub(crate) fn raw_get<'r>(raw: Option<&'r Value>, key: &str) -> Option<&'r Value> {
    raw.and_then(|r| r.get(key))
}

/// Whether a member the SDK always fills (required in the model) was actually sent; without
/// the raw body we can only trust the SDK.
pub(crate) fn raw_present(raw: Option<&Value>, key: &str) -> bool {
    match raw {
        None => true,
        Some(r) => r.get(key).is_some_and(|x| !x.is_null()),
    }
}

pub(crate) fn out_str<'py>(py: Python<'py>, s: &str) -> Bound<'py, PyAny> {
    PyString::new(py, s).into_any()
}

pub(crate) fn out_int<'py>(py: Python<'py>, v: i64) -> PyResult<Bound<'py, PyAny>> {
    Ok(v.into_pyobject(py)?.into_any())
}

pub(crate) fn out_bool<'py>(py: Python<'py>, v: bool) -> Bound<'py, PyAny> {
    PyBool::new(py, v).to_owned().into_any()
}

/// A JSON number as botocore leaves it (json.loads: int literal -> int, else float).
fn raw_number<'py>(py: Python<'py>, raw: Option<&Value>) -> PyResult<Option<Bound<'py, PyAny>>> {
    let Some(Value::Number(n)) = raw else {
        return Ok(None);
    };
    if let Some(i) = n.as_i64() {
        return Ok(Some(i.into_pyobject(py)?.into_any()));
    }
    if let Some(u) = n.as_u64() {
        return Ok(Some(u.into_pyobject(py)?.into_any()));
    }
    Ok(n.as_f64().map(|f| PyFloat::new(py, f).into_any()))
}

/// The f64 of the shortest decimal that round-trips `v` (0.1f32 -> 0.1, as boto3 parses JSON).
pub fn f32_to_f64(v: f32) -> f64 {
    if !v.is_finite() {
        return v as f64;
    }
    format!("{v}").parse::<f64>().unwrap_or(v as f64)
}

pub(crate) fn out_f32<'py>(
    py: Python<'py>,
    v: f32,
    raw: Option<&Value>,
) -> PyResult<Bound<'py, PyAny>> {
    if let Some(x) = raw_number(py, raw)? {
        return Ok(x);
    }
    Ok(PyFloat::new(py, f32_to_f64(v)).into_any())
}

pub(crate) fn out_f64<'py>(
    py: Python<'py>,
    v: f64,
    raw: Option<&Value>,
) -> PyResult<Bound<'py, PyAny>> {
    if let Some(x) = raw_number(py, raw)? {
        return Ok(x);
    }
    Ok(PyFloat::new(py, v).into_any())
}

pub(crate) fn out_blob<'py>(py: Python<'py>, b: Blob) -> Bound<'py, PyAny> {
    PyBytes::new(py, b.as_ref()).into_any()
}

/// From this size a copy into a new `bytes` object is made with the GIL released (~0.1 ms a
/// MiB), so other Python threads run meanwhile.
const COPY_RELEASED_AT: usize = 1 << 20;

/// `data` as a new `bytes` object: the one copy handing an answer to Python needs.
pub(crate) fn bytes_to_py<'py>(py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    if data.len() < COPY_RELEASED_AT {
        return Ok(PyBytes::new(py, data));
    }
    PyBytes::new_with(py, data.len(), |buffer| {
        // Nothing else can see the new object before it is returned.
        py.detach(|| buffer.copy_from_slice(data));
        Ok(())
    })
}

/// Timezone-aware datetime with the tzinfo botocore's parser gives (dateutil's
/// when installed, else `timezone.utc`).
pub(crate) fn out_timestamp<'py>(py: Python<'py>, t: DateTime) -> PyResult<Bound<'py, PyAny>> {
    let micros = t.subsec_nanos() / 1000;
    time_module(py)?
        .getattr(pyo3::intern!(py, "from_epoch"))?
        .call1((t.secs(), micros))
}

/// Document: from the raw JSON when known (keeps wire key order), else from the SDK value.
pub(crate) fn out_document<'py>(
    py: Python<'py>,
    d: Document,
    raw: Option<&Value>,
) -> PyResult<Bound<'py, PyAny>> {
    match raw {
        Some(r) => json_to_py(py, r),
        None => document_to_py(py, d),
    }
}

/// A serde_json value as json.loads would return it.
pub fn json_to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => out_bool(py, *b),
        Value::Number(_) => raw_number(py, Some(v))?.unwrap_or_else(|| py.None().into_bound(py)),
        Value::String(s) => out_str(py, s),
        Value::Array(a) => {
            let items = a
                .iter()
                .map(|x| json_to_py(py, x))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any()
        }
        Value::Object(o) => {
            let d = PyDict::new(py);
            for (k, x) in o {
                d.set_item(k, json_to_py(py, x)?)?;
            }
            d.into_any()
        }
    })
}

/// An SDK document as plain Python values.
pub fn document_to_py(py: Python<'_>, d: Document) -> PyResult<Bound<'_, PyAny>> {
    Ok(match d {
        Document::Null => py.None().into_bound(py),
        Document::Bool(b) => out_bool(py, b),
        Document::Number(Number::PosInt(u)) => u.into_pyobject(py)?.into_any(),
        Document::Number(Number::NegInt(i)) => i.into_pyobject(py)?.into_any(),
        Document::Number(Number::Float(f)) => PyFloat::new(py, f).into_any(),
        Document::String(s) => out_str(py, &s),
        Document::Array(a) => {
            let items = a
                .into_iter()
                .map(|x| document_to_py(py, x))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any()
        }
        Document::Object(o) => {
            let d = PyDict::new(py);
            for (k, x) in o {
                d.set_item(k, document_to_py(py, x)?)?;
            }
            d.into_any()
        }
    })
}

pub(crate) fn out_list<'py, T>(
    py: Python<'py>,
    v: Vec<T>,
    raw: Option<&Value>,
    mut item: impl FnMut(Python<'py>, T, Option<&Value>) -> PyResult<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let raw_items = match raw {
        Some(Value::Array(a)) if a.len() == v.len() => Some(a),
        _ => None,
    };
    let mut out = Vec::with_capacity(v.len());
    for (i, x) in v.into_iter().enumerate() {
        out.push(item(py, x, raw_items.map(|a| &a[i]))?);
    }
    Ok(PyList::new(py, out)?.into_any())
}

/// Map in wire order when the raw JSON is known (the SDK's HashMap has none).
pub(crate) fn out_map<'py, T>(
    py: Python<'py>,
    mut v: HashMap<String, T>,
    raw: Option<&Value>,
    mut value: impl FnMut(Python<'py>, T, Option<&Value>) -> PyResult<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let d = PyDict::new(py);
    if let Some(Value::Object(o)) = raw {
        for (k, rv) in o {
            if let Some(x) = v.remove(k) {
                d.set_item(k, value(py, x, Some(rv))?)?;
            }
        }
    }
    for (k, x) in v {
        d.set_item(k, value(py, x, None)?)?;
    }
    Ok(d.into_any())
}

/// botocore's answer for a union member this client does not know: `{'SDK_UNKNOWN_MEMBER':
/// {'name': tag}}`, the tag read from the raw JSON when known.
pub(crate) fn out_unknown_member<'py>(
    py: Python<'py>,
    raw: Option<&Value>,
    fallback: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let tag = match raw {
        Some(Value::Object(o)) => o
            .iter()
            .find(|(k, x)| k.as_str() != "__type" && !x.is_null())
            .map(|(k, _)| k.as_str())
            .unwrap_or(fallback),
        _ => fallback,
    };
    let inner = PyDict::new(py);
    inner.set_item(pyo3::intern!(py, "name"), tag)?;
    let d = PyDict::new(py);
    d.set_item(pyo3::intern!(py, "SDK_UNKNOWN_MEMBER"), inner)?;
    Ok(d.into_any())
}

/// Run a generated input converter at the root of a value, mapping errors to ParamErrors.
pub(crate) fn run_input<T>(
    f: impl FnOnce(&Path<'_>, &mut ParamErrors) -> PyResult<Option<T>>,
) -> PyResult<Result<T, ParamErrors>> {
    let mut e = ParamErrors::new();
    let r = f(&Path::ROOT, &mut e)?;
    match r {
        Some(x) if e.is_empty() => Ok(Ok(x)),
        _ => {
            if e.is_empty() {
                e.push("Invalid parameter input: could not be converted".to_owned());
            }
            Ok(Err(e))
        }
    }
}
