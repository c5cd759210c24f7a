//! Scalar members: strings and enums, integers, floats, booleans, blobs.

use aws_smithy_types::Blob;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyFloat, PyInt, PyString};

use crate::convert::{lent, ParamErrors, Path};

const VALID_STR: &str = "<class 'str'>";
const VALID_INT: &str = "<class 'int'>";
const VALID_FLOAT: &str = "<class 'float'>, <class 'decimal.Decimal'>, <class 'int'>";
const VALID_BOOL: &str = "<class 'bool'>";
const VALID_BLOB: &str = "<class 'bytes'>, <class 'bytearray'>, file-like object";

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
            e.min_length(p, len, min);
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
        return Ok(Some(lent::blob_of(b)));
    }
    if let Some(b) = bytes_of(v)? {
        return Ok(Some(Blob::new(b)));
    }
    if v.hasattr(pyo3::intern!(v.py(), "read"))? {
        let data = v.call_method0(pyo3::intern!(v.py(), "read"))?;
        if let Ok(b) = data.cast::<PyBytes>() {
            return Ok(Some(lent::blob_of(b)));
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
