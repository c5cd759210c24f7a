//! Building the SDK client from the boto3-style arguments Python resolved.
//!
//! Defaults deliberately differ from botocore where botocore hurts LLM calls
//! (see README, "Defaults"): long read timeout, standard retries, no pool cap.

use std::sync::Arc;
use std::time::Duration;

use aws_config::meta::region::RegionProviderChain;
use aws_config::BehaviorVersion;
use aws_sdk_bedrockruntime::config::{Credentials, Region};
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::capture::CaptureInterceptor;
use crate::logging;

/// Connect timeout when the caller sets none (botocore: 60 s).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed for the first byte of an answer (botocore: 60 s, which cuts
/// off long non-streaming generations).
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(600);
/// Total attempts per call when nothing sets them: botocore's defaults for
/// its standard (and adaptive) mode and for its legacy mode.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
const DEFAULT_LEGACY_MAX_ATTEMPTS: u32 = 5;
/// Retry mode when nothing sets one (botocore >= 1.44, like the Rust SDK).
const DEFAULT_RETRY_MODE: &str = "standard";
const RETRY_MODES: [&str; 3] = ["legacy", "standard", "adaptive"];

/// The client options, as Python's `client()` resolved them.
#[derive(Debug, Default, Clone)]
pub struct ClientOptions {
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub session_token: Option<String>,
    pub profile: Option<String>,
    pub connect_timeout: Option<f64>,
    pub read_timeout: Option<f64>,
    pub max_attempts: Option<u32>,
    pub retry_mode: Option<String>,
    /// Requests in flight at once (`max_pool_connections`; None: from the
    /// file-descriptor limit, see `crate::bound`).
    pub max_connections: Option<usize>,
    /// Certificates to trust instead of the system's (`verify="/path"`, `AWS_CA_BUNDLE`).
    pub ca_bundle: Option<CaBundle>,
    /// botocore's `user_agent` / `user_agent_extra` / `user_agent_appid`, when set.
    pub user_agent: Option<crate::headers::UserAgentInterceptor>,
    /// Requests in flight per (Region, model id) (`max_in_flight`; see `crate::limiter`).
    pub max_in_flight: Option<InFlightLimit>,
    /// Failover targets per model id (`routes`; see `crate::routes`).
    pub routes: Option<Vec<(String, Vec<String>)>>,
    /// Seconds a failing target is skipped (`route_cooldown`).
    pub route_cooldown: Option<f64>,
}

/// `max_in_flight`: a number, or found by the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InFlightLimit {
    Fixed(usize),
    Adaptive,
}

impl<'a, 'py> FromPyObject<'a, 'py> for InFlightLimit {
    type Error = PyErr;

    fn extract(value: pyo3::Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(n) = value.extract::<usize>() {
            if n >= 1 {
                return Ok(InFlightLimit::Fixed(n));
            }
        }
        match value.extract::<String>() {
            Ok(text) if text == "adaptive" => Ok(InFlightLimit::Adaptive),
            _ => Err(pyo3::exceptions::PyValueError::new_err(
                "max_in_flight must be an integer >= 1 or 'adaptive'",
            )),
        }
    }
}

/// The PEM certificates of a CA bundle file, read and checked when the
/// client is built so a bad file is reported then, by name.
#[derive(Clone)]
pub struct CaBundle {
    path: String,
    pem: Arc<[u8]>,
    certificates: usize,
}

impl std::fmt::Debug for CaBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CaBundle({:?}, {} certificates)",
            self.path, self.certificates
        )
    }
}

impl CaBundle {
    /// The bundle's PEM text.
    pub fn pem(&self) -> &[u8] {
        &self.pem
    }

    /// Reads `path` and checks that every certificate in it can be a trust anchor.
    pub fn load(path: &str) -> PyResult<Self> {
        use pyo3::exceptions::{PyFileNotFoundError, PyValueError};
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::CertificateDer;

        if path.trim().is_empty() {
            return Err(PyValueError::new_err(
                "Invalid CA bundle: the configured value (AWS_CA_BUNDLE, REQUESTS_CA_BUNDLE, \
                 or verify) resolved to an empty or whitespace-only string. Provide a valid \
                 path to a CA bundle file.",
            ));
        }
        let pem = std::fs::read(path).map_err(|e| {
            PyFileNotFoundError::new_err(format!(
                "Could not find a suitable TLS CA certificate bundle, invalid path: {path} ({e})"
            ))
        })?;
        let invalid = |why: String| {
            PyValueError::new_err(format!("Invalid TLS CA certificate bundle {path}: {why}"))
        };
        let certificates = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid(format!("not a PEM file ({e})")))?;
        if certificates.is_empty() {
            return Err(invalid("it holds no PEM certificate".into()));
        }
        let mut roots = rustls::RootCertStore::empty();
        for (index, certificate) in certificates.iter().enumerate() {
            roots
                .add(certificate.clone())
                .map_err(|e| invalid(format!("certificate {} is not usable ({e})", index + 1)))?;
        }
        Ok(Self {
            path: path.to_owned(),
            pem: pem.into(),
            certificates: certificates.len(),
        })
    }
}

/// The options dict `bedrock_cris._client` builds, key for key: a key it
/// leaves out is an error, and so is one this struct does not know.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct PassedOptions {
    region_name: Option<String>,
    endpoint_url: Option<String>,
    aws_access_key_id: Option<String>,
    aws_secret_access_key: Option<String>,
    aws_session_token: Option<String>,
    profile_name: Option<String>,
    ca_bundle: Option<String>,
    connect_timeout: Option<f64>,
    read_timeout: Option<f64>,
    total_max_attempts: Option<u32>,
    retry_mode: Option<String>,
    max_pool_connections: Option<usize>,
    user_agent: Option<String>,
    user_agent_suffix: Option<String>,
    max_in_flight: Option<InFlightLimit>,
    routes: Option<std::collections::HashMap<String, Vec<String>>>,
    route_cooldown: Option<f64>,
}

impl PassedOptions {
    const KEYS: [&'static str; 17] = [
        "region_name",
        "endpoint_url",
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "profile_name",
        "ca_bundle",
        "connect_timeout",
        "read_timeout",
        "total_max_attempts",
        "retry_mode",
        "max_pool_connections",
        "user_agent",
        "user_agent_suffix",
        "max_in_flight",
        "routes",
        "route_cooldown",
    ];
}

impl ClientOptions {
    /// Reads the options dict built by `bedrock_cris._client` (None = unset).
    pub fn from_dict(options: &Bound<'_, PyDict>) -> PyResult<Self> {
        for key in options.keys() {
            let key: String = key.extract()?;
            if !PassedOptions::KEYS.contains(&key.as_str()) {
                return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                    "NativeClient: unknown option {key:?}"
                )));
            }
        }
        let passed: PassedOptions = options.extract()?;
        let ca_bundle = passed
            .ca_bundle
            .map(|path| CaBundle::load(&path))
            .transpose()?;
        Ok(Self {
            region: passed.region_name,
            endpoint_url: passed.endpoint_url,
            access_key: passed.aws_access_key_id,
            secret_key: passed.aws_secret_access_key,
            session_token: passed.aws_session_token,
            profile: passed.profile_name,
            connect_timeout: passed.connect_timeout,
            read_timeout: passed.read_timeout,
            max_attempts: passed.total_max_attempts,
            retry_mode: passed.retry_mode,
            max_connections: passed.max_pool_connections,
            ca_bundle,
            user_agent: crate::headers::UserAgentInterceptor::new(
                passed.user_agent,
                passed.user_agent_suffix,
            )?,
            max_in_flight: passed.max_in_flight,
            routes: passed.routes.map(|table| table.into_iter().collect()),
            route_cooldown: passed.route_cooldown,
        })
    }

    /// Registers this client's secrets (and those the SDK may read from the
    /// environment) for redaction from forwarded log messages.
    pub fn protect_secrets(&self) {
        let from_env: Vec<String> = [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_BEARER_TOKEN_BEDROCK",
        ]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .collect();
        let explicit = [&self.access_key, &self.secret_key, &self.session_token];
        logging::add_secrets(
            explicit
                .into_iter()
                .flatten()
                .map(String::as_str)
                .chain(from_env.iter().map(String::as_str)),
        );
    }

    /// Fills in the retry mode and attempts the caller's `Config` left unset,
    /// as botocore resolves them: `AWS_RETRY_MODE` / `AWS_MAX_ATTEMPTS`, then
    /// the profile's `retry_mode` / `max_attempts` in the shared config file,
    /// then standard mode with 3 attempts (5 in legacy mode). Done once, so a
    /// rebuild after fork does not read the environment again.
    pub async fn resolve_retries(&mut self) -> PyResult<()> {
        if self.retry_mode.is_some() && self.max_attempts.is_some() {
            return Ok(());
        }
        let profile = self.profile_setting_reader().await;
        let setting = |env: &str, key: &str| -> Option<(String, String)> {
            match std::env::var(env) {
                Ok(value) if !value.is_empty() => Some((env.to_owned(), value)),
                _ => profile(key).map(|value| (format!("{key} (shared config file)"), value)),
            }
        };
        if self.retry_mode.is_none() {
            let mode = match setting("AWS_RETRY_MODE", "retry_mode") {
                Some((source, mode)) if !RETRY_MODES.contains(&mode.as_str()) => {
                    return Err(pyo3::exceptions::PyValueError::new_err(format!(
                        "Invalid value for {source}: {mode:?}; valid values are {}",
                        RETRY_MODES.join(", ")
                    )))
                }
                Some((_, mode)) => mode,
                None => DEFAULT_RETRY_MODE.to_owned(),
            };
            self.retry_mode = Some(mode);
        }
        if self.max_attempts.is_none() {
            let attempts = match setting("AWS_MAX_ATTEMPTS", "max_attempts") {
                Some((source, value)) => value.trim().parse::<u32>().map_err(|_| {
                    pyo3::exceptions::PyValueError::new_err(format!(
                        "Invalid value for {source}: {value:?}; must be an integer >= 1"
                    ))
                })?,
                None if self.retry_mode.as_deref() == Some("legacy") => DEFAULT_LEGACY_MAX_ATTEMPTS,
                None => DEFAULT_MAX_ATTEMPTS,
            };
            self.max_attempts = Some(attempts);
        }
        Ok(())
    }

    /// Reads settings of the selected profile in the shared config file
    /// (none when there is no such file or profile).
    async fn profile_setting_reader(&self) -> impl Fn(&str) -> Option<String> {
        use aws_types::os_shim_internal::{Env, Fs};
        let selected = self.profile.clone().map(std::borrow::Cow::Owned);
        let profiles =
            aws_config::profile::load(&Fs::real(), &Env::real(), &Default::default(), selected)
                .await
                .ok();
        move |key: &str| {
            let profiles = profiles.as_ref()?;
            let profile = profiles.get_profile(profiles.selected_profile())?;
            profile.get(key).map(str::to_owned)
        }
    }

    /// Whether botocore would flag `MaxAttemptsReached` on the last allowed
    /// attempt whatever its answer: it does in its standard and adaptive
    /// modes, not in legacy mode.
    pub fn flags_last_attempt(&self) -> bool {
        matches!(self.retry_mode.as_deref(), Some("standard" | "adaptive"))
    }

    /// The client's `max_in_flight` and `routes`, if either is configured.
    pub fn throughput(&self) -> Option<crate::ops::routed::Throughput> {
        use crate::limiter::{Limiter, Mode};
        let limiter = self.max_in_flight.map(|limit| {
            Limiter::new(match limit {
                InFlightLimit::Fixed(n) => Mode::Fixed(n),
                InFlightLimit::Adaptive => Mode::Adaptive {
                    max: self
                        .max_connections
                        .unwrap_or_else(crate::bound::default_limit),
                },
            })
        });
        let routes = self.routes.clone().map(|table| {
            let cooldown = self
                .route_cooldown
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(Duration::from_secs_f64);
            crate::routes::Routes::new(table, cooldown)
        });
        crate::ops::routed::Throughput::new(limiter, routes)
    }

    /// Total attempts per call.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS).max(1)
    }

    /// Longest wait for the next event of a stream: the read timeout, as a
    /// socket read timeout bounds botocore's wait for the next chunk.
    pub fn stream_idle(&self) -> Duration {
        seconds(self.read_timeout, DEFAULT_READ_TIMEOUT)
    }

    fn retry_config(&self) -> RetryConfig {
        // botocore's "legacy" has no SDK equivalent; standard is its successor.
        let adaptive = self.retry_mode.as_deref() == Some("adaptive");
        let base = if adaptive {
            RetryConfig::adaptive()
        } else {
            RetryConfig::standard()
        };
        // Retry Behavior 2.1, as botocore >= 1.44 always uses it: a 50 ms base
        // backoff for errors other than throttling (1 s for throttling), and
        // an adaptive rate limiter that does not stall on a cold start.
        base.with_max_attempts(self.max_attempts())
            .with_retry_spec(aws_smithy_types::retry::RetrySpec::v2_1())
    }

    fn timeout_config(&self) -> TimeoutConfig {
        let read = seconds(self.read_timeout, DEFAULT_READ_TIMEOUT);
        TimeoutConfig::builder()
            .connect_timeout(seconds(self.connect_timeout, DEFAULT_CONNECT_TIMEOUT))
            // Time to the first byte of the answer...
            .read_timeout(read)
            // ...and to the whole answer of a non-streaming call (a stream's
            // events are bounded by `stream_idle` instead).
            .operation_attempt_timeout(read)
            .build()
    }
}

/// Seconds from Python as a Duration, `default` when unset or not positive.
fn seconds(value: Option<f64>, default: Duration) -> Duration {
    value
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(default)
}

/// Why a client could not be built, for Python to raise botocore's error.
pub enum BuildError {
    NoRegion,
}

/// Resolves region, credentials and endpoint like boto3 and builds the client.
///
/// The region comes from the argument, then `AWS_REGION`/`AWS_DEFAULT_REGION`,
/// then the profile; like boto3 (and unlike aws-config's default chain) it never
/// asks the instance metadata service, which would stall off EC2.
pub async fn build_client(
    options: &ClientOptions,
) -> Result<aws_sdk_bedrockruntime::Client, BuildError> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    let region = match &options.region {
        Some(region) => Some(Region::new(region.clone())),
        None => {
            let mut profile_region = aws_config::profile::ProfileFileRegionProvider::builder();
            if let Some(profile) = &options.profile {
                profile_region = profile_region.profile_name(profile);
            }
            RegionProviderChain::first_try(
                aws_config::environment::EnvironmentVariableRegionProvider::new(),
            )
            .or_else(profile_region.build())
            .region()
            .await
        }
    };
    let Some(region) = region else {
        return Err(BuildError::NoRegion);
    };
    loader = loader
        .region(region)
        .retry_config(options.retry_config())
        .timeout_config(options.timeout_config());
    if let Some(url) = &options.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let (Some(access), Some(secret)) = (&options.access_key, &options.secret_key) {
        loader = loader.credentials_provider(Credentials::new(
            access,
            secret,
            options.session_token.clone(),
            None,
            "bedrock-cris-explicit",
        ));
    }
    // Credential providers share this client; pinning its connections to the
    // shared runtime keeps them usable from every thread's calls.
    loader = loader.http_client(crate::http::pinned(crate::http::https_client(
        options.ca_bundle.clone(),
    )));
    let shared = loader.load().await;
    let mut config = aws_sdk_bedrockruntime::config::Builder::from(&shared)
        .interceptor(CaptureInterceptor)
        .retry_classifier(crate::transport::BotocoreRetries)
        .retry_classifier(crate::limiter::LaneRetries);
    if let Some(user_agent) = &options.user_agent {
        config = config.interceptor(user_agent.clone());
    }
    let config = config.build();
    Ok(aws_sdk_bedrockruntime::Client::from_conf(config))
}
