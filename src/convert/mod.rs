//! Python values <-> AWS SDK types (placeholder until the generator lands).
use pyo3::prelude::*;

pub fn register(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
