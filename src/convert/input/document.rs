//! Document members: JSON-like values, checked and converted as botocore does.

use std::collections::HashMap;

use aws_smithy_types::{Document, Number};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString};

use crate::convert::{ParamErrors, Path};

const VALID_DOC: &str =
    "<class 'str'>, <class 'int'>, <class 'bool'>, <class 'float'>, <class 'list'>, <class 'dict'>";

const MAX_DOC_DEPTH: usize = 256;

/// Document member: None (anywhere), dict, list, str, int, bool, float — as botocore allows.
pub(crate) fn in_document(
    v: &Bound<'_, PyAny>,
    p: &Path<'_>,
    e: &mut ParamErrors,
) -> PyResult<Option<Document>> {
    let n0 = e.len();
    let d = doc_in(v, p, e, &mut Vec::new())?;
    Ok(if e.len() == n0 { Some(d) } else { None })
}

fn doc_key(k: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    // json.dumps's key coercion.
    if let Ok(s) = k.cast::<PyString>() {
        return Ok(Some(s.to_cow()?.into_owned()));
    }
    if k.is_none() {
        return Ok(Some("null".into()));
    }
    if let Ok(b) = k.cast::<PyBool>() {
        return Ok(Some(if b.is_true() { "true" } else { "false" }.into()));
    }
    if k.is_instance_of::<PyInt>() || k.is_instance_of::<PyFloat>() {
        return Ok(Some(k.repr()?.to_cow()?.into_owned()));
    }
    Ok(None)
}

/// `open` holds the dicts and lists being converted around `v` (its ancestors):
/// meeting one again is a cycle, which would otherwise be walked to the depth
/// limit along every branch (2^256 visits for a dict that holds itself twice).
fn doc_in(
    v: &Bound<'_, PyAny>,
    p: &Path<'_>,
    e: &mut ParamErrors,
    open: &mut Vec<usize>,
) -> PyResult<Document> {
    let depth = open.len();
    if depth > MAX_DOC_DEPTH {
        e.push(format!(
            "Invalid document parameter {}: nested more than {} levels deep",
            p.name(),
            MAX_DOC_DEPTH
        ));
        return Ok(Document::Null);
    }
    if v.is_none() {
        return Ok(Document::Null);
    }
    if v.is_instance_of::<PyDict>() || v.is_instance_of::<PyList>() {
        let id = v.as_ptr() as usize;
        if open.contains(&id) {
            e.push(format!(
                "Invalid document parameter {}: circular reference detected",
                p.name()
            ));
            return Ok(Document::Null);
        }
        open.push(id);
        let converted = doc_container(v, p, e, open);
        open.pop();
        return converted;
    }
    doc_scalar(v, p, e)
}

fn doc_container(
    v: &Bound<'_, PyAny>,
    p: &Path<'_>,
    e: &mut ParamErrors,
    open: &mut Vec<usize>,
) -> PyResult<Document> {
    if let Ok(d) = v.cast::<PyDict>() {
        let mut out = HashMap::with_capacity(d.len());
        for (k, x) in d.iter() {
            let shown = k.str()?;
            let shown = shown.to_cow()?;
            let key = doc_key(&k)?;
            let val = doc_in(&x, &p.doc_key(&shown), e, open)?;
            match key {
                Some(k) => {
                    out.insert(k, val);
                }
                None => e.push(format!(
                    "Invalid parameter {} must be json serializable: keys must be str, int, float, bool or None, not {}",
                    p.name(),
                    k.get_type().name()?
                )),
            }
        }
        return Ok(Document::Object(out));
    }
    if let Ok(l) = v.cast::<PyList>() {
        let mut out = Vec::with_capacity(l.len());
        for (i, x) in l.iter().enumerate() {
            out.push(doc_in(&x, &p.index(i), e, open)?);
        }
        return Ok(Document::Array(out));
    }
    Ok(Document::Null)
}

fn doc_scalar(v: &Bound<'_, PyAny>, p: &Path<'_>, e: &mut ParamErrors) -> PyResult<Document> {
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Document::String(s.to_cow()?.into_owned()));
    }
    if let Ok(b) = v.cast::<PyBool>() {
        return Ok(Document::Bool(b.is_true()));
    }
    if v.is_instance_of::<PyInt>() {
        if let Ok(x) = v.extract::<u64>() {
            return Ok(Document::Number(Number::PosInt(x)));
        }
        if let Ok(x) = v.extract::<i64>() {
            return Ok(Document::Number(Number::NegInt(x)));
        }
        e.not_representable(
            p,
            v,
            "-9223372036854775808 to 18446744073709551615 (64-bit integer)",
        )?;
        return Ok(Document::Null);
    }
    if v.is_instance_of::<PyFloat>() {
        let x = v.extract::<f64>()?;
        if !x.is_finite() {
            // JSON has no infinities or NaN: botocore writes a bare `Infinity`,
            // which no JSON parser (the service's included) accepts.
            e.push(format!(
                "Invalid document parameter {}: {} is not a JSON number",
                p.name(),
                v.str()?
            ));
            return Ok(Document::Null);
        }
        return Ok(Document::Number(Number::Float(x)));
    }
    e.wrong_type("document parameter", p, v, VALID_DOC)?;
    Ok(Document::Null)
}
