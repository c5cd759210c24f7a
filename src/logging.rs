//! The SDK's `tracing` events, forwarded to Python's `logging` with secrets redacted.
//!
//! An event with target `aws_smithy_runtime::client::orchestrator` goes to the
//! logger `bedrock_cris.aws_smithy_runtime.client.orchestrator` (tracing's TRACE
//! is logging level 5, below DEBUG). Nothing costs time per call while logging
//! is off: the most verbose level any `bedrock_cris` logger enables is kept in an
//! atomic and handed to tracing as its level hint and per-callsite interest, so
//! the SDK's disabled `debug!`/`trace!` sites stay a single relaxed load. The
//! level is recomputed whenever Python's logging levels change (the logger
//! manager's cache reset, which `setLevel`, `basicConfig`, `dictConfig` and
//! `logging.disable` all go through) and when a client is built.
//!
//! Authorization headers, security tokens, bearer tokens, signatures and the
//! secret values of the clients built so far are replaced by `** redacted **`
//! before the text reaches Python.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Mutex, Once};

use crate::sync::LockUnpoisoned;
use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyString, PyTuple};
use tracing_core::field::{Field, Visit};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::subscriber::Interest;
use tracing_core::{Event, Level, LevelFilter, Metadata, Subscriber};

/// Logger names are this prefix plus the event's target, `::` as `.`.
const LOGGER_PREFIX: &str = "bedrock_cris";
/// What replaces a secret.
const REDACTED: &str = "** redacted **";
/// Python's level for tracing's TRACE (there is no named level below DEBUG).
const PY_TRACE: u8 = 5;

/// The most verbose tracing level Python currently wants, as a `LevelFilter`
/// rank: 0 off, 1 error, 2 warn, 3 info, 4 debug, 5 trace.
static THRESHOLD: AtomicU8 = AtomicU8::new(0);

/// Secret values of the clients built in this process (explicit keys, tokens).
static SECRETS: Mutex<Option<HashSet<String>>> = Mutex::new(None);

fn rank(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 1,
        Level::WARN => 2,
        Level::INFO => 3,
        Level::DEBUG => 4,
        Level::TRACE => 5,
    }
}

fn python_level(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        Level::TRACE => PY_TRACE,
    }
}

fn wanted(metadata: &Metadata<'_>) -> bool {
    metadata.is_event() && rank(metadata.level()) <= THRESHOLD.load(Ordering::Relaxed)
}

/// The subscriber installed as tracing's global default: events only (spans
/// are never enabled, so they cost nothing either).
struct PythonLogging;

impl Subscriber for PythonLogging {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if wanted(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        wanted(metadata)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(match THRESHOLD.load(Ordering::Relaxed) {
            0 => LevelFilter::OFF,
            1 => LevelFilter::ERROR,
            2 => LevelFilter::WARN,
            3 => LevelFilter::INFO,
            4 => LevelFilter::DEBUG,
            _ => LevelFilter::TRACE,
        })
    }

    fn new_span(&self, _span: &Attributes<'_>) -> Id {
        // Unreachable in practice: no span callsite is ever enabled.
        Id::from_u64(1)
    }

    fn record(&self, _span: &Id, _values: &Record<'_>) {}

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let metadata = event.metadata();
        let mut text = Message::default();
        event.record(&mut text);
        let text = redact(&text.finish());
        let logger = format!("{LOGGER_PREFIX}.{}", metadata.target().replace("::", "."));
        let level = python_level(metadata.level());
        // Never attaches during interpreter shutdown (tokio threads outlive it).
        Python::try_attach(|py| {
            if let Err(error) = emit(py, &logger, level, &text) {
                error.write_unraisable(py, None);
            }
        });
    }

    fn enter(&self, _span: &Id) {}

    fn exit(&self, _span: &Id) {}
}

fn emit(py: Python<'_>, logger: &str, level: u8, text: &str) -> PyResult<()> {
    let logger = py
        .import(pyo3::intern!(py, "logging"))?
        .call_method1(pyo3::intern!(py, "getLogger"), (logger,))?;
    if logger
        .call_method1(pyo3::intern!(py, "isEnabledFor"), (level,))?
        .is_truthy()?
    {
        logger.call_method1(pyo3::intern!(py, "log"), (level, "%s", text))?;
    }
    Ok(())
}

/// An event's message followed by its other fields as `name=value`.
#[derive(Default)]
struct Message {
    message: String,
    fields: String,
}

impl Message {
    fn finish(self) -> String {
        match (self.message.is_empty(), self.fields.is_empty()) {
            (_, true) => self.message,
            (true, false) => self.fields,
            (false, false) => format!("{} {}", self.message, self.fields),
        }
    }
}

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            if !self.fields.is_empty() {
                self.fields.push(' ');
            }
            let _ = write!(self.fields, "{}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            self.record_debug(field, &value);
        }
    }
}

/// Names whose value is a secret, matched case-insensitively; the value runs
/// from after the separator to the end of the quoted string or the word.
const SECRET_NAMES: &[&str] = &[
    "authorization",
    "x-amz-security-token",
    "x-amz-signature",
    "signature=",
    "credential=",
    "bearer ",
    "session_token",
    "secret_access_key",
    "secret_key",
    "access_token",
    "aws_bearer_token_bedrock",
];

/// `text` with every secret replaced by [`REDACTED`].
pub fn redact(text: &str) -> String {
    let mut out = redact_named(text);
    let secrets = SECRETS.lock_unpoisoned();
    for secret in secrets.iter().flatten() {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), REDACTED);
        }
    }
    out
}

fn redact_named(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let bytes = text.as_bytes();
    // Byte ranges of secret values, found after each name.
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for name in SECRET_NAMES {
        let mut from = 0;
        while let Some(found) = lower[from..].find(name) {
            let mut start = from + found + name.len();
            from = start;
            // Separators between a name and its value: `: `, `=`, `":"`, `: "`.
            while start < bytes.len() && matches!(bytes[start], b':' | b'=' | b' ' | b'"' | b'\'') {
                start += 1;
            }
            let quoted = start > 0 && matches!(bytes[start - 1], b'"' | b'\'');
            let mut end = start;
            while end < bytes.len() {
                let b = bytes[end];
                let stop = if quoted {
                    b == b'"' || b == b'\''
                } else {
                    b.is_ascii_whitespace() || matches!(b, b',' | b'"' | b'\'' | b')' | b'}' | b']')
                };
                if stop {
                    break;
                }
                end += 1;
            }
            // A non-ASCII byte inside a value ends it at a character boundary.
            while end > start && !text.is_char_boundary(end) {
                end -= 1;
            }
            if end > start && !text[start..end].starts_with("** redacted") {
                ranges.push((start, end));
            }
        }
    }
    if ranges.is_empty() {
        return text.to_owned();
    }
    ranges.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in ranges {
        if end <= at {
            continue;
        }
        let start = start.max(at);
        out.push_str(&text[at..start]);
        out.push_str(REDACTED);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

/// Remembers secret values to redact wherever they appear (values shorter than
/// 8 characters are too likely to match ordinary text and are left to the
/// name-based rules).
pub fn add_secrets<'a>(values: impl IntoIterator<Item = &'a str>) {
    let mut secrets = SECRETS.lock_unpoisoned();
    let set = secrets.get_or_insert_with(HashSet::new);
    for value in values {
        if value.len() >= 8 {
            set.insert(value.to_owned());
        }
    }
}

/// Recomputes the most verbose level any `bedrock_cris` logger enables and,
/// when it changed, has tracing re-ask every callsite.
pub fn refresh(py: Python<'_>) -> PyResult<()> {
    // Not imported yet: nothing can have enabled a level.
    let modules = py
        .import(pyo3::intern!(py, "sys"))?
        .getattr(pyo3::intern!(py, "modules"))?;
    let Some(logging) = modules
        .cast::<PyDict>()?
        .get_item(pyo3::intern!(py, "logging"))?
    else {
        return Ok(());
    };
    let mut loggers = vec![logging.call_method1(pyo3::intern!(py, "getLogger"), (LOGGER_PREFIX,))?];
    let manager = logging
        .getattr(pyo3::intern!(py, "Logger"))?
        .getattr(pyo3::intern!(py, "manager"))?;
    let existing = manager.getattr(pyo3::intern!(py, "loggerDict"))?;
    let existing = existing.cast::<PyDict>()?;
    let children = format!("{LOGGER_PREFIX}.");
    for (name, logger) in existing.iter() {
        let is_child = name
            .cast::<PyString>()
            .map(|n| n.to_cow().is_ok_and(|n| n.starts_with(&children)))
            .unwrap_or(false);
        // Placeholders (parents of loggers not yet created) have no level.
        if is_child && logger.hasattr(pyo3::intern!(py, "isEnabledFor"))? {
            loggers.push(logger);
        }
    }
    let mut threshold = 0;
    for (rank, level) in [(5u8, PY_TRACE), (4, 10), (3, 20), (2, 30), (1, 40)] {
        let mut enabled = false;
        for logger in &loggers {
            if logger
                .call_method1(pyo3::intern!(py, "isEnabledFor"), (level,))?
                .is_truthy()?
            {
                enabled = true;
                break;
            }
        }
        if enabled {
            threshold = rank;
            break;
        }
    }
    if THRESHOLD.swap(threshold, Ordering::Relaxed) != threshold {
        tracing_core::callsite::rebuild_interest_cache();
    }
    Ok(())
}

fn silence() {
    if THRESHOLD.swap(0, Ordering::Relaxed) != 0 {
        tracing_core::callsite::rebuild_interest_cache();
    }
}

/// Installs the global tracing subscriber (once per process). The hooks into
/// Python's logging come from [`bridge`], which the package calls once
/// `logging` is imported: importing it here would cost every
/// `import bedrock_cris` several milliseconds, and until it is imported no
/// level can have been set.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        // Another tracing subscriber already installed (an embedding Rust
        // program) keeps the events; the bridge then stays out of the way.
        if tracing_core::dispatcher::set_global_default(tracing_core::Dispatch::new(PythonLogging))
            .is_ok()
        {
            OURS.store(true, Ordering::Relaxed);
        }
    });
    m.add_function(wrap_pyfunction!(bridge, m)?)
}

/// Whether the global subscriber is [`PythonLogging`].
static OURS: AtomicBool = AtomicBool::new(false);

/// Hooks Python's logging level changes and interpreter exit (once), then
/// reads the current levels. Called by the package when `logging` is imported.
#[pyfunction]
#[pyo3(name = "_bridge_logging")]
fn bridge(py: Python<'_>) -> PyResult<()> {
    static HOOKED: Once = Once::new();
    if !OURS.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut result = Ok(());
    HOOKED.call_once(|| result = install_hooks(py));
    result.and_then(|()| refresh(py))
}

fn install_hooks(py: Python<'_>) -> PyResult<()> {
    let logging = py.import("logging")?;
    let manager = logging.getattr("Logger")?.getattr("manager")?;
    // `Manager._clear_cache` runs on every level change (CPython 3.7+).
    if let Ok(original) = manager.getattr("_clear_cache") {
        let original = original.unbind();
        let hook = PyCFunction::new_closure(
            py,
            Some(c"_clear_cache"),
            Some(c"Clears the logger level caches, then updates bedrock_cris's log forwarding."),
            move |args: &Bound<'_, PyTuple>,
                  kwargs: Option<&Bound<'_, PyDict>>|
                  -> PyResult<Py<PyAny>> {
                let py = args.py();
                let out = original.bind(py).call(args, kwargs)?;
                refresh(py)?;
                Ok(out.unbind())
            },
        )?;
        manager.setattr("_clear_cache", hook)?;
    }
    let atexit_hook = PyCFunction::new_closure(
        py,
        Some(c"_silence_logging"),
        Some(c"Stops forwarding SDK log events while the interpreter shuts down."),
        |_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>| -> PyResult<()> {
            silence();
            Ok(())
        },
    )?;
    py.import("atexit")?
        .call_method1("register", (atexit_hook,))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_header_values_are_redacted() {
        let text = r#"headers: {"authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=abcdef0123", "host": "x"}"#;
        let out = redact(text);
        assert!(!out.contains("AKID"), "{out}");
        assert!(!out.contains("abcdef0123"), "{out}");
        assert!(out.contains(r#""host": "x""#), "{out}");
    }

    #[test]
    fn tokens_and_bearer_values_are_redacted() {
        let out = redact(
            "x-amz-security-token: FQoGZXIvYXdzEXAMPLE\nAuthorization: Bearer ABSKsecret123 next",
        );
        assert!(!out.contains("FQoGZXIvYXdzEXAMPLE"), "{out}");
        assert!(!out.contains("ABSKsecret123"), "{out}");
        assert!(out.ends_with(" next"), "{out}");
    }

    #[test]
    fn known_secrets_are_redacted_anywhere() {
        add_secrets(["wJalrXUtnFEMI/K7MDENG+bPxRfiCYTESTKEY", "short"]);
        let out = redact("signing with wJalrXUtnFEMI/K7MDENG+bPxRfiCYTESTKEY and short");
        assert_eq!(out, format!("signing with {REDACTED} and short"));
    }

    #[test]
    fn text_without_secrets_is_unchanged_and_unicode_is_safe() {
        let text = "beginning attempt #2 — délai 0.5s";
        assert_eq!(redact(text), text);
        let out = redact("authorization=é€abc def");
        assert!(out.ends_with(" def"), "{out}");
    }
}
