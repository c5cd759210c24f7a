//! Input helpers (Python -> SDK), each mirroring one `ParamValidator._validate_<type>`.

use std::borrow::Cow;
use std::collections::HashMap;

use aws_smithy_types::{Blob, DateTime, Document, Number};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple,
};

use super::{ParamErrors, Path};

const VALID_STR: &str = "<class 'str'>";
const VALID_INT: &str = "<class 'int'>";
const VALID_FLOAT: &str = "<class 'float'>, <class 'decimal.Decimal'>, <class 'int'>";
const VALID_BOOL: &str = "<class 'bool'>";
const VALID_DICT: &str = "<class 'dict'>";
const VALID_LIST: &str = "<class 'list'>, <class 'tuple'>";
const VALID_BLOB: &str = "<class 'bytes'>, <class 'bytearray'>, file-like object";
const VALID_TIMESTAMP: &str = "<class 'datetime.datetime'>, timestamp-string";
const VALID_DOC: &str =
    "<class 'str'>, <class 'int'>, <class 'bool'>, <class 'float'>, <class 'list'>, <class 'dict'>";

/// Type-check a structure/map parameter.
pub(crate) fn as_dict<'a, 'py>(
    v: &'a Bound<'py, PyAny>,
    p: &Path<'_>,
    e: &mut ParamErrors,
) -> PyResult<Option<&'a Bound<'py, PyDict>>> {
    match v.cast::<PyDict>() {
        Ok(d) => Ok(Some(d)),
        Err(_) => {
            e.invalid_type(p, v, VALID_DICT)?;
            Ok(None)
        }
    }
}

/// Tagged-union member count check (before the required/unknown checks, as botocore does).
pub(crate) fn check_union(d: &Bound<'_, PyDict>, p: &Path<'_>, e: &mut ParamErrors, members: &str) {
    let n = d.len();
    if n == 0 {
        e.push(format!(
            "Must set one of the following keys for tagged unionstructure {}: {}.",
            p.name(),
            members
        ));
    } else if n > 1 {
        e.push(format!(
            "Invalid number of parameters set for tagged union structure {}. Can only set one of the following keys: {}.",
            p.name(),
            members
        ));
    }
}

/// Missing-required check, in the model's `required` order.
pub(crate) fn check_required(
    d: &Bound<'_, PyDict>,
    p: &Path<'_>,
    e: &mut ParamErrors,
    required: &[&'static str],
) -> PyResult<()> {
    for r in required {
        if !d.contains(*r)? {
            e.push(format!(
                "Missing required parameter in {}: \"{}\"",
                p.name(),
                r
            ));
        }
    }
    Ok(())
}

/// Unknown-key check, in the dict's order; `members` is the model-ordered list botocore prints.
pub(crate) fn check_unknown(
    d: &Bound<'_, PyDict>,
    p: &Path<'_>,
    e: &mut ParamErrors,
    known: &[&'static str],
    members: &str,
) -> PyResult<()> {
    for k in d.keys() {
        let is_known = match k.cast::<PyString>() {
            Ok(s) => known.contains(&&*s.to_cow()?),
            Err(_) => false,
        };
        if !is_known {
            e.push(format!(
                "Unknown parameter in {}: \"{}\", must be one of: {}",
                p.name(),
                k.str()?,
                members
            ));
        }
    }
    Ok(())
}

/// A dict key as a str, for dispatching on member names (non-str keys were reported unknown).
pub(crate) fn key_str<'a>(k: &'a Bound<'_, PyAny>) -> PyResult<Option<Cow<'a, str>>> {
    match k.cast::<PyString>() {
        Ok(s) => Ok(Some(s.to_cow()?)),
        Err(_) => Ok(None),
    }
}

/// Turn a fallible SDK `build()` into a report line (only reachable if the SDK requires a member
/// botocore does not).
pub(crate) fn built<T>(
    r: Result<T, aws_smithy_types::error::operation::BuildError>,
    p: &Path<'_>,
    e: &mut ParamErrors,
) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(err) => {
            e.push(format!("Invalid parameter {}: {}", p.name(), err));
            None
        }
    }
}

pub(crate) fn in_string(
    v: &Bound<'_, PyAny>,
    p: &Path<'_>,
    e: &mut ParamErrors,
    min: Option<usize>,
) -> PyResult<Option<String>> {
    let Ok(s) = v.cast::<PyString>() else {
        e.invalid_type(p, v, VALID_STR)?;
        return Ok(None);
    };
    if let Some(min) = min {
        let len = v.len()?;
        if len < min {
            e.push(format!(
                "Invalid length for parameter {}, value: {}, valid min length: {}",
                p.name(),
                len,
                min
            ));
            return Ok(None);
        }
    }
    Ok(Some(s.to_cow()?.into_owned()))
}

pub(crate) fn in_enum<T: for<'s> From<&'s str>>(
    v: &Bound<'_, PyAny>,
    p: &Path<'_>,
    e: &mut ParamErrors,
    min: Option<usize>,
) -> PyResult<Option<T>> {
    Ok(in_string(v, p, e, min)?.map(|s| T::from(s.as_str())))
}

fn in_integer(
    v: &Bound<'_, PyAny>,
    p: &Path<'_>,
    e: &mut ParamErrors,
    min: Option<i64>,
) -> PyResult<Option<i64>> {
    if !v.is_instance_of::<PyInt>() {
        e.invalid_type(p, v, VALID_INT)?;
        return Ok(None);
    }
    match v.extract::<i64>() {
        Ok(x) => {
            if let Some(m) = min {
                if x < m {
                    e.min_value(p, v, &m.to_string())?;
                    return Ok(None);
                }
            }
            Ok(Some(x))
        }
        Err(_) => {
            // Beyond i64: botocore compares the exact int with the min, then the SDK cannot hold it.
            if let Some(m) = min {
                if v.lt(0)? {
                    e.min_value(p, v, &m.to_string())?;
                    return Ok(None);
                }
            }
            e.not_representable(
                p,
                v,
                "-9223372036854775808 to 9223372036854775807 (64-bit integer)",
            )?;
            Ok(None)
        }
    }
}

pub(crate) fn in_i64(
    v: &Bound<'_, PyAny>,
    p: &Path<'_>,
    e: &mut ParamErrors,
    min: Option<i64>,
) -> PyResult<Option<i64>> {
    in_integer(v, p, e, min)
}

pub(crate) fn in_i32(
    v: &Bound<'_, PyAny>,
    p: &Path<'_>,
    e: &mut ParamErrors,
    min: Option<i64>,
) -> PyResult<Option<i32>> {
    let n0 = e.len();
    let Some(x) = in_integer(v, p, e, min)? else {
        return Ok(None);
    };
    match i32::try_from(x) {
        Ok(x) => Ok(Some(x)),
        Err(_) => {
            if e.len() == n0 {
                e.not_representable(p, v, "-2147483648 to 2147483647 (32-bit integer)")?;
            }
            Ok(None)
        }
    }
}

static DECIMAL: PyOnceLock<Py<pyo3::types::PyType>> = PyOnceLock::new();

pub(crate) fn in_f64(
    v: &Bound<'_, PyAny>,
    p: &Path<'_>,
    e: &mut ParamErrors,
    min: Option<(f64, &str)>,
) -> PyResult<Option<f64>> {
    let py = v.py();
    let ok = v.is_instance_of::<PyFloat>()
        || v.is_instance_of::<PyInt>()
        || v.is_instance(DECIMAL.import(py, "decimal", "Decimal")?)?;
    if !ok {
        e.invalid_type(p, v, VALID_FLOAT)?;
        return Ok(None);
    }
    let x = match v.extract::<f64>() {
        Ok(x) => x,
        Err(_) => {
            e.not_representable(p, v, "a 64-bit float")?;
            return Ok(None);
        }
    };
    if let Some((m, shown)) = min {
        if x < m {
            e.min_value(p, v, shown)?;
            return Ok(None);
        }
    }
    Ok(Some(x))
}

pub(crate) fn in_f32(
    v: &Bound<'_, PyAny>,
    p: &Path<'_>,
    e: &mut ParamErrors,
    min: Option<(f64, &str)>,
) -> PyResult<Option<f32>> {
    Ok(in_f64(v, p, e, min)?.map(|x| x as f32))
}

pub(crate) fn in_bool(
    v: &Bound<'_, PyAny>,
    p: &Path<'_>,
    e: &mut ParamErrors,
) -> PyResult<Option<bool>> {
    match v.cast::<PyBool>() {
        Ok(b) => Ok(Some(b.is_true())),
        Err(_) => {
            e.invalid_type(p, v, VALID_BOOL)?;
            Ok(None)
        }
    }
}

fn bytes_of(v: &Bound<'_, PyAny>) -> PyResult<Option<Vec<u8>>> {
    if let Ok(b) = v.cast::<PyBytes>() {
        return Ok(Some(b.as_bytes().to_vec()));
    }
    if let Ok(b) = v.cast::<PyByteArray>() {
        return Ok(Some(b.to_vec()));
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Some(s.to_cow()?.as_bytes().to_vec()));
    }
    Ok(None)
}

/// Blob: bytes, bytearray, str (UTF-8 encoded) or a file-like object (read to the end).
pub(crate) fn in_blob(
    v: &Bound<'_, PyAny>,
    p: &Path<'_>,
    e: &mut ParamErrors,
) -> PyResult<Option<Blob>> {
    if let Ok(b) = v.cast::<PyBytes>() {
        return Ok(Some(super::lent::blob_of(b)));
    }
    if let Some(b) = bytes_of(v)? {
        return Ok(Some(Blob::new(b)));
    }
    if v.hasattr(pyo3::intern!(v.py(), "read"))? {
        let data = v.call_method0(pyo3::intern!(v.py(), "read"))?;
        if let Ok(b) = data.cast::<PyBytes>() {
            return Ok(Some(super::lent::blob_of(b)));
        }
        return match bytes_of(&data)? {
            Some(b) => Ok(Some(Blob::new(b))),
            None => {
                e.push(format!(
                    "Invalid type for parameter {}, read() returned type: {}, expected bytes or str",
                    p.name(),
                    data.get_type().str()?
                ));
                Ok(None)
            }
        };
    }
    e.invalid_type(p, v, VALID_BLOB)?;
    Ok(None)
}

const TIME_HELPERS: &std::ffi::CStr = c"
import datetime as _dt
try:
    from dateutil.tz import tzutc as _tzutc
    UTC = _tzutc()
except ImportError:
    UTC = _dt.timezone.utc
try:
    from dateutil.parser import parse as _parse
except ImportError:
    _parse = None
EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)

def to_epoch(value):
    # botocore.utils.parse_to_aware_datetime, returning (seconds, microseconds) or None.
    try:
        if isinstance(value, _dt.datetime):
            dt = value
        elif isinstance(value, (int, float)):
            dt = _dt.datetime.fromtimestamp(value, _dt.timezone.utc)
        else:
            try:
                dt = _dt.datetime.fromtimestamp(float(value), _dt.timezone.utc)
            except (TypeError, ValueError):
                if _parse is not None:
                    dt = _parse(value, tzinfos={'GMT': _dt.timezone.utc})
                elif isinstance(value, str):
                    dt = _dt.datetime.fromisoformat(value.replace('Z', '+00:00'))
                else:
                    return None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=_dt.timezone.utc)
        d = dt - EPOCH
        return (d.days * 86400 + d.seconds, d.microseconds)
    except (TypeError, ValueError, AttributeError, OverflowError, OSError):
        return None

def from_epoch(secs, micros):
    utc = EPOCH + _dt.timedelta(seconds=secs, microseconds=micros)
    if _parse is None:
        return utc
    # botocore parses the wire's ISO-8601 text with dateutil, whose choice of
    # tzinfo (tzlocal() where local time is UTC, else tzutc()) shows in repr.
    return _parse(utc.strftime('%Y-%m-%dT%H:%M:%S.%fZ'), tzinfos={'GMT': UTC})
";

static TIME_MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

pub(super) fn time_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    TIME_MODULE
        .get_or_try_init(py, || {
            PyModule::from_code(
                py,
                TIME_HELPERS,
                c"bedrock_cris/_time.py",
                c"bedrock_cris._time",
            )
            .map(Bound::unbind)
        })
        .map(|m| m.bind(py))
}

/// Timestamp: a datetime (naive means UTC), epoch seconds, or a string botocore can parse.
pub(crate) fn in_timestamp(
    v: &Bound<'_, PyAny>,
    p: &Path<'_>,
    e: &mut ParamErrors,
) -> PyResult<Option<DateTime>> {
    let r = time_module(v.py())?
        .getattr(pyo3::intern!(v.py(), "to_epoch"))?
        .call1((v,))?;
    if r.is_none() {
        e.invalid_type(p, v, VALID_TIMESTAMP)?;
        return Ok(None);
    }
    let (secs, micros): (i64, u32) = r.extract()?;
    Ok(Some(DateTime::from_secs_and_nanos(secs, micros * 1000)))
}

/// Items of a list/tuple parameter, with botocore's length check.
pub(crate) fn in_list<T>(
    v: &Bound<'_, PyAny>,
    p: &Path<'_>,
    e: &mut ParamErrors,
    min: Option<usize>,
    mut item: impl FnMut(&Bound<'_, PyAny>, &Path<'_>, &mut ParamErrors) -> PyResult<Option<T>>,
) -> PyResult<Option<Vec<T>>> {
    if !(v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>()) {
        e.invalid_type(p, v, VALID_LIST)?;
        return Ok(None);
    }
    let n0 = e.len();
    let len = v.len()?;
    if let Some(min) = min {
        if len < min {
            e.push(format!(
                "Invalid length for parameter {}, value: {}, valid min length: {}",
                p.name(),
                len,
                min
            ));
        }
    }
    let mut out = Vec::with_capacity(len);
    for (i, x) in v.try_iter()?.enumerate() {
        let x = x?;
        if let Some(y) = item(&x, &p.index(i), e)? {
            out.push(y);
        }
    }
    Ok(if e.len() == n0 { Some(out) } else { None })
}

/// Entries of a map parameter: keys validated as `key` (name "x (key: k)"), values as "x.k".
pub(crate) fn in_map<T>(
    v: &Bound<'_, PyAny>,
    p: &Path<'_>,
    e: &mut ParamErrors,
    min: Option<usize>,
    key_min: Option<usize>,
    mut value: impl FnMut(&Bound<'_, PyAny>, &Path<'_>, &mut ParamErrors) -> PyResult<Option<T>>,
) -> PyResult<Option<HashMap<String, T>>> {
    // botocore's _validate_map has no length check even when the map has a min.
    let _ = min;
    let Some(d) = as_dict(v, p, e)? else {
        return Ok(None);
    };
    let n0 = e.len();
    let mut out = HashMap::with_capacity(d.len());
    for (k, x) in d.iter() {
        let shown = k.str()?;
        let shown = shown.to_cow()?;
        let key = in_string(&k, &p.map_key(&shown), e, key_min)?;
        let val = value(&x, &p.map_val(&shown), e)?;
        if let (Some(k), Some(x)) = (key, val) {
            out.insert(k, x);
        }
    }
    Ok(if e.len() == n0 { Some(out) } else { None })
}

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
    let line = format!(
        "Invalid type for document parameter {}, value: {}, type: {}, valid types: {}",
        p.name(),
        v.str()?,
        v.get_type().str()?,
        VALID_DOC
    );
    e.push(line);
    Ok(Document::Null)
}
