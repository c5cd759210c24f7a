//! Request authentication, as Bedrock's front end does it: SigV4 signatures recomputed from the
//! received request with known test credentials, or bearer tokens (Bedrock API keys).
//!
//! A request is verified by rebuilding its canonical request from what arrived (method, the
//! path as sent URI-encoded once more, the sorted query, the headers the client listed in
//! `SignedHeaders`, the SHA-256 of the body), the string to sign for the credential scope, and
//! the HMAC with the key derived from the secret; the hex signature must equal the client's.
//! Streamed input (InvokeModelWithBidirectionalStream) carries chained `:chunk-signature`s,
//! verified by [`ChunkChain`].
//!
//! By job: `sigv4.rs` (hashes, HMAC, the signing key, the canonical request's parts),
//! `clock.rs` (`x-amz-date` to and from Unix seconds), `chunks.rs` (the `:chunk-signature`
//! chain of streamed input).

mod chunks;
mod clock;
mod sigv4;

use std::collections::BTreeMap;

use hyper::http::request::Parts;

use crate::errors::ApiError;
pub use chunks::ChunkChain;
use clock::{format_amz_date, now_unix, parse_amz_date};
use sigv4::{
    canonical_query, canonical_uri, canonical_value, hex, hmac, same, sha256_hex, signing_key,
};

/// The signing name of Bedrock Runtime (its SigV4 credential scope service).
pub const SIGNING_SERVICE: &str = "bedrock";

/// How far `x-amz-date` may be from the server's clock, as AWS allows.
pub const MAX_SKEW_SECONDS: i64 = 15 * 60;

/// What the emulator accepts. With no credentials and no tokens, every request is accepted
/// unchecked (the default, so any client works with any credentials).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthConfig {
    /// Access key id to secret access key, for SigV4.
    pub credentials: BTreeMap<String, String>,
    /// Accepted `Authorization: Bearer <token>` values (Bedrock API keys).
    pub bearer_tokens: Vec<String>,
}

impl AuthConfig {
    /// Whether requests are checked at all.
    pub fn enabled(&self) -> bool {
        !self.credentials.is_empty() || !self.bearer_tokens.is_empty()
    }
}

/// The source Region a request was signed for (`Credential=AKID/DATE/REGION/...` in its
/// SigV4 `Authorization` header); `None` for bearer-token and unsigned requests.
pub fn credential_region(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get("authorization")?
        .to_str()
        .ok()?
        .split("Credential=")
        .nth(1)?
        .split('/')
        .nth(2)
        .filter(|r| !r.is_empty() && r.len() < 32 && !r.contains([',', ' ']))
}

/// How a request was authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authenticated {
    /// Checking is off.
    Unchecked,
    Bearer,
    /// SigV4; the chain seeds the `:chunk-signature`s of streamed input.
    SigV4(ChunkChain),
}

fn error(code: &str, message: impl Into<String>) -> ApiError {
    let mut e = ApiError::new(code, message);
    e.status = 403;
    e
}

/// AWS's answer for a request without credentials.
pub fn missing_token() -> ApiError {
    error(
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    )
}

/// AWS's answer for an unknown access key id or token.
pub fn unrecognized_client() -> ApiError {
    error(
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )
}

/// AWS's answer for a signature that does not match.
pub fn signature_mismatch() -> ApiError {
    error(
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. \
         Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    )
}

fn incomplete(message: impl Into<String>) -> ApiError {
    error("IncompleteSignatureException", message)
}

fn invalid(message: impl Into<String>) -> ApiError {
    error("InvalidSignatureException", message)
}

struct Authorization<'a> {
    access_key: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Result<Authorization<'_>, ApiError> {
    let rest = value
        .strip_prefix("AWS4-HMAC-SHA256")
        .filter(|r| r.starts_with(' '))
        .ok_or_else(|| {
            incomplete(format!(
                "Authorization header requires 'AWS4-HMAC-SHA256' algorithm. Authorization={value}"
            ))
        })?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let mut missing = String::new();
    for (name, v) in [
        ("Credential", credential.is_none()),
        ("Signature", signature.is_none()),
        ("SignedHeaders", signed.is_none()),
    ] {
        if v {
            missing.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature)) = (credential, signed, signature)
    else {
        return Err(incomplete(format!("{missing}Authorization={value}")));
    };
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key, date, region, service, "aws4_request"] = parts.as_slice() else {
        return Err(incomplete(format!(
            "Credential should be scoped to a valid region. Credential={credential}"
        )));
    };
    Ok(Authorization {
        access_key,
        date,
        region,
        service,
        signed_headers,
        signature,
    })
}

/// Where a request's payload hash comes from.
pub enum Payload<'a> {
    /// The whole body, received.
    Body(&'a [u8]),
    /// Streamed input not read yet: the SDKs sign the request with an empty payload and
    /// sign each input message separately.
    Streamed,
}

/// Checks a request against `config`. `Ok(Unchecked)` when checking is off.
pub fn verify(
    config: &AuthConfig,
    parts: &Parts,
    payload: Payload<'_>,
) -> Result<Authenticated, ApiError> {
    if !config.enabled() {
        return Ok(Authenticated::Unchecked);
    }
    let Some(value) = parts.headers.get("authorization") else {
        return Err(missing_token());
    };
    let value = value
        .to_str()
        .map_err(|_| incomplete("The Authorization header is not valid text."))?;
    if let Some(token) = value.strip_prefix("Bearer ") {
        let token = token.trim();
        return if config.bearer_tokens.iter().any(|t| same(t, token)) {
            Ok(Authenticated::Bearer)
        } else {
            Err(unrecognized_client())
        };
    }
    let auth = parse_authorization(value)?;
    let Some(secret) = config.credentials.get(auth.access_key) else {
        return Err(unrecognized_client());
    };
    if auth.service != SIGNING_SERVICE {
        return Err(invalid(format!(
            "Credential should be scoped to correct service: '{SIGNING_SERVICE}'. "
        )));
    }
    let amz_date = parts
        .headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            incomplete(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
            )
        })?;
    let Some(signed_at) = parse_amz_date(amz_date) else {
        return Err(incomplete(format!(
            "Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"
        )));
    };
    let now = now_unix();
    if signed_at < now - MAX_SKEW_SECONDS {
        return Err(invalid(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - 15 min.)",
            format_amz_date(now - MAX_SKEW_SECONDS),
            format_amz_date(now)
        )));
    }
    if signed_at > now + MAX_SKEW_SECONDS {
        return Err(invalid(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + 15 min.)",
            format_amz_date(now + MAX_SKEW_SECONDS),
            format_amz_date(now)
        )));
    }
    if amz_date.get(..8) != Some(auth.date) {
        return Err(invalid(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{amz_date}'.",
            auth.date,
            amz_date.get(..8).unwrap_or("")
        )));
    }
    let signed: Vec<&str> = auth.signed_headers.split(';').collect();
    if !signed.contains(&"host") {
        return Err(invalid(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    let declared = parts
        .headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok());
    let payload_hash = match (payload, declared) {
        (_, Some(d)) if d == "UNSIGNED-PAYLOAD" || d.starts_with("STREAMING-") => d.to_string(),
        (Payload::Body(body), declared) => {
            let actual = sha256_hex(body);
            if declared.is_some_and(|d| d != actual) {
                return Err(invalid(
                    "The provided 'x-amz-content-sha256' header does not match what was computed.",
                ));
            }
            actual
        }
        (Payload::Streamed, Some(d)) => d.to_string(),
        (Payload::Streamed, None) => sha256_hex(b""),
    };
    let mut canonical = String::new();
    canonical.push_str(parts.method.as_str());
    canonical.push('\n');
    canonical.push_str(&canonical_uri(parts.uri.path()));
    canonical.push('\n');
    canonical.push_str(&canonical_query(parts.uri.query().unwrap_or("")));
    canonical.push('\n');
    for name in &signed {
        let values: Vec<String> = parts
            .headers
            .get_all(*name)
            .iter()
            .map(|v| canonical_value(v.as_bytes()))
            .collect();
        let value = if values.is_empty() && *name == "host" {
            // HTTP/2 carries the host as `:authority`, which hyper puts in the URI.
            parts
                .uri
                .authority()
                .map(|a| a.as_str().to_string())
                .unwrap_or_default()
        } else if values.is_empty() {
            return Err(signature_mismatch());
        } else {
            values.join(",")
        };
        canonical.push_str(&format!("{name}:{value}\n"));
    }
    canonical.push('\n');
    canonical.push_str(auth.signed_headers);
    canonical.push('\n');
    canonical.push_str(&payload_hash);
    let scope = format!(
        "{}/{}/{}/aws4_request",
        auth.date, auth.region, auth.service
    );
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical.as_bytes())
    );
    let key = signing_key(secret, auth.date, auth.region, auth.service);
    let expected = hex(&hmac(&key, string_to_sign.as_bytes()));
    if !same(&expected, auth.signature) {
        return Err(signature_mismatch());
    }
    Ok(Authenticated::SigV4(ChunkChain::new(
        secret.clone(),
        auth.region.to_string(),
        auth.service.to_string(),
        expected,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::Request;

    #[test]
    fn region_from_the_credential_scope() {
        let parts = |auth: Option<&str>| {
            let mut b = Request::post("/model/m/converse");
            if let Some(a) = auth {
                b = b.header("authorization", a);
            }
            b.body(()).expect("request").into_parts().0
        };
        let signed = parts(Some("AWS4-HMAC-SHA256 Credential=AKID/20250101/ap-south-1/bedrock/aws4_request, SignedHeaders=host"));
        assert_eq!(credential_region(&signed), Some("ap-south-1"));
        assert_eq!(credential_region(&parts(Some("Bearer token"))), None);
        assert_eq!(credential_region(&parts(None)), None);
    }

    #[test]
    fn missing_and_malformed_authorization() {
        let mut config = AuthConfig::default();
        let (parts, ()) = Request::post("/model/m/converse")
            .body(())
            .expect("request")
            .into_parts();
        assert!(matches!(
            verify(&config, &parts, Payload::Body(b"")),
            Ok(Authenticated::Unchecked)
        ));
        config.credentials.insert("AKID".into(), "secret".into());
        let code = |auth: Option<&str>| {
            let mut b = Request::post("/model/m/converse").header("x-amz-date", "20150830T123600Z");
            if let Some(a) = auth {
                b = b.header("authorization", a);
            }
            let (parts, ()) = b.body(()).expect("request").into_parts();
            verify(&config, &parts, Payload::Body(b""))
                .err()
                .map(|e| e.code)
        };
        assert_eq!(
            code(None).as_deref(),
            Some("MissingAuthenticationTokenException")
        );
        assert_eq!(
            code(Some("Bearer nope")).as_deref(),
            Some("UnrecognizedClientException")
        );
        assert_eq!(
            code(Some("AWS4-HMAC-SHA256 x")).as_deref(),
            Some("IncompleteSignatureException")
        );
        assert_eq!(
            code(Some("AWS4-HMAC-SHA256 Credential=OTHER/20150830/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00")).as_deref(),
            Some("UnrecognizedClientException")
        );
        // Signed in 2015: far outside the allowed skew.
        assert_eq!(
            code(Some("AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00")).as_deref(),
            Some("InvalidSignatureException")
        );
    }
}
