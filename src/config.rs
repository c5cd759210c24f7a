//! Building the SDK client from the boto3-style arguments Python resolved.
//!
//! Defaults deliberately differ from botocore where botocore hurts LLM calls
//! (see README, "Defaults"): long read timeout, standard retries, no pool cap.

use std::time::Duration;

use aws_config::meta::region::RegionProviderChain;
use aws_config::BehaviorVersion;
use aws_sdk_bedrockruntime::config::{Credentials, Region};
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::capture::CaptureInterceptor;

/// Connect timeout when the caller sets none (botocore: 60 s).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed for the first byte of an answer (botocore: 60 s, which cuts
/// off long non-streaming generations).
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(600);
/// Total attempts per call (botocore's legacy default is 5 too, so scripts
/// see the same "reached max retries: 4"), with standard jittered backoff.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

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
}

impl ClientOptions {
    /// Reads the options dict built by `bedrock_cris._client` (None = unset).
    pub fn from_dict(options: &Bound<'_, PyDict>) -> PyResult<Self> {
        fn get<'py, T>(options: &Bound<'py, PyDict>, key: &str) -> PyResult<Option<T>>
        where
            T: for<'a> FromPyObject<'a, 'py>,
            for<'a> <T as FromPyObject<'a, 'py>>::Error: Into<PyErr>,
        {
            match options.get_item(key)? {
                Some(value) if !value.is_none() => {
                    let extracted =
                        value
                            .extract::<T>()
                            .map_err(Into::into)
                            .map_err(|e: PyErr| {
                                pyo3::exceptions::PyTypeError::new_err(format!("{key}: {e}"))
                            })?;
                    Ok(Some(extracted))
                }
                _ => Ok(None),
            }
        }
        Ok(Self {
            region: get(options, "region_name")?,
            endpoint_url: get(options, "endpoint_url")?,
            access_key: get(options, "aws_access_key_id")?,
            secret_key: get(options, "aws_secret_access_key")?,
            session_token: get(options, "aws_session_token")?,
            profile: get(options, "profile_name")?,
            connect_timeout: get(options, "connect_timeout")?,
            read_timeout: get(options, "read_timeout")?,
            max_attempts: get(options, "total_max_attempts")?,
            retry_mode: get(options, "retry_mode")?,
        })
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
        let base = match self.retry_mode.as_deref() {
            Some("adaptive") => RetryConfig::adaptive(),
            _ => RetryConfig::standard(),
        };
        base.with_max_attempts(self.max_attempts())
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
    let shared = loader.load().await;
    let config = aws_sdk_bedrockruntime::config::Builder::from(&shared)
        .interceptor(CaptureInterceptor)
        .build();
    Ok(aws_sdk_bedrockruntime::Client::from_conf(config))
}
