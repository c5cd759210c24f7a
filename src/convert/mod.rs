//! Python values <-> AWS SDK for Rust types for every bedrock-runtime shape.
//!
//! `generated.rs` (written by `codegen/generate.py` from botocore's pinned service model) holds one
//! input converter (`i_<shape>`: validate like botocore's `ParamValidator` and build the SDK value)
//! and one output converter (`o_<shape>`: SDK value -> the dict/list/scalar botocore's parser
//! returns) per shape, plus the per-operation entry points. This module holds the hand-written
//! pieces they share: the error report, parameter paths, scalar/blob/timestamp/document helpers.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde_json::Value;

mod generated;
mod input;
mod lent;
mod output;
pub use generated::*;
pub(crate) use input::*;
pub use lent::LentBlobs;
pub(crate) use lent::{take_lent, Lending};
pub(crate) use output::*;
pub use output::{document_to_py, f32_to_f64, json_to_py};

/// Botocore-formatted validation failures, in botocore's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParamErrors {
    lines: Vec<String>,
}

impl ParamErrors {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The lines joined with "\n": the text after "Parameter validation failed:\n".
    pub fn report(&self) -> String {
        self.lines.join("\n")
    }

    /// One formatted line per failure.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    pub(crate) fn len(&self) -> usize {
        self.lines.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    fn push(&mut self, line: String) {
        self.lines.push(line);
    }

    /// "Invalid value for parameter <name>: <detail>".
    pub(crate) fn invalid_value(&mut self, p: &Path<'_>, detail: &str) {
        self.push(format!(
            "Invalid value for parameter {}: {detail}",
            p.name()
        ));
    }

    /// "<what> <name>, value: <v><detail>": the shape of botocore's type and value lines.
    fn value_line(
        &mut self,
        what: &str,
        p: &Path<'_>,
        v: &Bound<'_, PyAny>,
        detail: &str,
    ) -> PyResult<()> {
        let line = format!("{what} {}, value: {}{detail}", p.name(), v.str()?);
        self.push(line);
        Ok(())
    }

    fn invalid_type(&mut self, p: &Path<'_>, v: &Bound<'_, PyAny>, valid: &str) -> PyResult<()> {
        self.wrong_type("parameter", p, v, valid)
    }

    /// "Invalid type for <of> <name>, value: .., type: .., valid types: <valid>"; `of` is
    /// "parameter", or "document parameter" for a value inside a document member.
    fn wrong_type(
        &mut self,
        of: &str,
        p: &Path<'_>,
        v: &Bound<'_, PyAny>,
        valid: &str,
    ) -> PyResult<()> {
        let detail = format!(", type: {}, valid types: {valid}", v.get_type().str()?);
        self.value_line(&format!("Invalid type for {of}"), p, v, &detail)
    }

    fn min_value(&mut self, p: &Path<'_>, v: &Bound<'_, PyAny>, min: &str) -> PyResult<()> {
        self.value_line(
            "Invalid value for parameter",
            p,
            v,
            &format!(", valid min value: {min}"),
        )
    }

    fn not_representable(
        &mut self,
        p: &Path<'_>,
        v: &Bound<'_, PyAny>,
        what: &str,
    ) -> PyResult<()> {
        self.value_line(
            "Invalid value for parameter",
            p,
            v,
            &format!(", valid range: {what}"),
        )
    }

    /// A string or list shorter than the model's `min`.
    fn min_length(&mut self, p: &Path<'_>, len: usize, min: usize) {
        self.push(format!(
            "Invalid length for parameter {}, value: {len}, valid min length: {min}",
            p.name()
        ));
    }
}

// ------------------------------------------------------------------------------------------------
// Parameter paths, formatted like botocore's `name` argument (only when an error is reported).
// ------------------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
pub(crate) enum Seg<'a> {
    Root,
    Field(&'static str),
    Index(usize),
    MapKey(&'a str),
    MapVal(&'a str),
    /// Botocore restarts the name at each document object key.
    DocKey(&'a str),
}

/// A parameter's location as a linked list of segments, cheap to extend while walking the input.
#[derive(Clone, Copy)]
pub(crate) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg<'a>,
}

impl<'a> Path<'a> {
    pub(crate) const ROOT: Path<'static> = Path {
        parent: None,
        seg: Seg::Root,
    };

    pub(crate) fn field(&'a self, f: &'static str) -> Path<'a> {
        Path {
            parent: Some(self),
            seg: Seg::Field(f),
        }
    }
    fn index(&'a self, i: usize) -> Path<'a> {
        Path {
            parent: Some(self),
            seg: Seg::Index(i),
        }
    }
    fn map_key(&'a self, k: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            seg: Seg::MapKey(k),
        }
    }
    fn map_val(&'a self, k: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            seg: Seg::MapVal(k),
        }
    }
    fn doc_key(&'a self, k: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            seg: Seg::DocKey(k),
        }
    }

    /// The name as botocore's `ValidationErrors._get_name` prints it.
    fn name(&self) -> String {
        let mut segs = Vec::new();
        let mut cur = Some(self);
        while let Some(p) = cur {
            segs.push(p.seg);
            if matches!(p.seg, Seg::DocKey(_)) {
                break;
            }
            cur = p.parent;
        }
        let mut s = String::new();
        for seg in segs.iter().rev() {
            match seg {
                Seg::Root => {}
                Seg::Field(f) => {
                    s.push('.');
                    s.push_str(f);
                }
                Seg::Index(i) => s.push_str(&format!("[{i}]")),
                Seg::MapKey(k) => s.push_str(&format!(" (key: {k})")),
                Seg::MapVal(k) => {
                    s.push('.');
                    s.push_str(k);
                }
                Seg::DocKey(k) => s.push_str(k),
            }
        }
        if s.is_empty() {
            "input".to_owned()
        } else if let Some(rest) = s.strip_prefix('.') {
            rest.to_owned()
        } else {
            s
        }
    }
}

/// Test hook: Python -> SDK -> Python for any shape; `raw_json` plays the raw response body.
#[pyfunction]
#[pyo3(name = "_roundtrip", signature = (shape_name, value, raw_json = None))]
fn roundtrip_hook(
    py: Python<'_>,
    shape_name: &str,
    value: &Bound<'_, PyAny>,
    raw_json: Option<&str>,
) -> PyResult<Py<PyAny>> {
    let raw: Option<Value> = match raw_json {
        Some(t) => Some(serde_json::from_str(t).map_err(|e| PyValueError::new_err(e.to_string()))?),
        None => None,
    };
    match generated::roundtrip(py, shape_name, value, raw.as_ref())? {
        Ok(v) => Ok(v.unbind()),
        Err(e) => Err(PyValueError::new_err(e.report())),
    }
}

#[pyfunction]
#[pyo3(name = "_shape_manifest")]
fn shape_manifest_hook(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    for (shape, members) in generated::SHAPE_MANIFEST {
        d.set_item(*shape, PyList::new(py, members.iter())?)?;
    }
    Ok(d)
}

/// Adds the test hooks `_roundtrip(shape_name, value, raw_json=None)` and `_shape_manifest()`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(roundtrip_hook, m)?)?;
    m.add_function(wrap_pyfunction!(shape_manifest_hook, m)?)?;
    Ok(())
}
