//! Native core of bedrock-cris: Amazon Bedrock Runtime through the AWS SDK for Rust.
//!
//! This file only registers things; each concern lives in its own module.

use pyo3::prelude::*;

mod aio;
mod bound;
pub mod bridge;
mod capture;
mod client;
mod config;
pub mod convert;
mod embed;
mod emulator;
mod errors;
mod frames;
mod headers;
mod http;
mod limiter;
mod logging;
mod ops;
mod request_edits;
mod routes;
mod runtime;
mod stream;
mod sync;
mod transport;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // Resolved from Cargo.lock by build.rs.
    m.add("aws_sdk_version", env!("BEDROCK_CRIS_AWS_SDK_VERSION"))?;
    m.add(
        "build_profile",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
    )?;
    client::register(m)?;
    m.add_function(wrap_pyfunction!(runtime::quiesce, m)?)?;
    convert::register(m)?;
    embed::register(m)?;
    emulator::register(m)?;
    stream::register(m)?;
    logging::register(m)?;
    Ok(())
}
