//! Timestamps: botocore's own parsing and formatting, run as a small Python module.

use aws_smithy_types::DateTime;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use crate::convert::{ParamErrors, Path};

const VALID_TIMESTAMP: &str = "<class 'datetime.datetime'>, timestamp-string";

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

pub(crate) fn time_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
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
