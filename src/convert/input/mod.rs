//! Input helpers (Python -> SDK), each mirroring one `ParamValidator._validate_<type>`.
//!
//! By job: this module holds the structure, list and map checks; `scalars.rs` strings,
//! numbers, booleans and blobs; `timestamp.rs` timestamps (botocore's parser, in Python);
//! `document.rs` document members.

mod document;
mod scalars;
mod timestamp;

use std::borrow::Cow;
use std::collections::HashMap;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

use super::{ParamErrors, Path};
pub(crate) use document::*;
pub(crate) use scalars::*;
pub(crate) use timestamp::*;

const VALID_DICT: &str = "<class 'dict'>";
const VALID_LIST: &str = "<class 'list'>, <class 'tuple'>";

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
            e.min_length(p, len, min);
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
