//! Records the aws-sdk-bedrockruntime version this build resolved (from Cargo.lock), so
//! `python -m bedrock_cris --version` reports the SDK actually compiled in, not a hand-typed one.

use std::{env, fs, path::Path};

const SDK_CRATE: &str = "aws-sdk-bedrockruntime";

fn main() {
    let lock_path =
        Path::new(&env::var("CARGO_MANIFEST_DIR").expect("set by cargo")).join("Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock_path.display());
    let lock = fs::read_to_string(&lock_path).unwrap_or_else(|e| {
        panic!(
            "{} is needed to record the SDK version: {e}",
            lock_path.display()
        )
    });
    let version = locked_version(&lock, SDK_CRATE)
        .unwrap_or_else(|| panic!("{SDK_CRATE} is not in {}", lock_path.display()));
    println!("cargo:rustc-env=BEDROCK_CRIS_AWS_SDK_VERSION={version}");
}

/// The version of `name` in a Cargo.lock: the `version` line after its `name` line.
fn locked_version<'a>(lock: &'a str, name: &str) -> Option<&'a str> {
    let wanted = format!("name = \"{name}\"");
    let mut lines = lock.lines().map(str::trim);
    lines.find(|line| *line == wanted)?;
    let version = lines.next()?.strip_prefix("version = \"")?;
    version.strip_suffix('"')
}
