//! Python bindings for the emulator crate (placeholder until the emulator lands).
use pyo3::prelude::*;

pub fn register(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
