//! Request authentication, as Bedrock's front end does it: SigV4 signatures recomputed from the
//! received request with known test credentials, or bearer tokens (Bedrock API keys).
//!
//! A request is verified by rebuilding its canonical request from what arrived (method, the
//! path as sent URI-encoded once more, the sorted query, the headers the client listed in
//! `SignedHeaders`, the SHA-256 of the body), the string to sign for the credential scope, and
//! the HMAC with the key derived from the secret; the hex signature must equal the client's.
//! Streamed input (InvokeModelWithBidirectionalStream) carries chained `:chunk-signature`s,
//! verified by [`ChunkChain`].

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_smithy_eventstream::frame::write_headers_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use hmac::{Hmac, KeyInit, Mac};
use hyper::http::request::Parts;
use sha2::{Digest, Sha256};

use crate::errors::ApiError;

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

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length; the fallback is unreachable.
    match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k = hmac(&k, region.as_bytes());
    let k = hmac(&k, service.as_bytes());
    hmac(&k, b"aws4_request")
}

/// Compares in time independent of where the first difference is.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// `YYYYMMDDTHHMMSSZ` to Unix seconds.
pub(crate) fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, sec) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec)
}

/// Unix seconds to `YYYYMMDDTHHMMSSZ`.
pub(crate) fn format_amz_date(t: i64) -> String {
    let (days, secs) = (t.div_euclid(86400), t.rem_euclid(86400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

// Howard Hinnant's algorithms for the proleptic Gregorian calendar.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// SigV4's URI encoding: everything but `A-Z a-z 0-9 - _ . ~` (and `/` when `keep_slash`).
fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// The canonical URI of a non-S3 service: the path as sent, dot segments and empty segments
/// removed, then URI-encoded once more (`%3A` becomes `%253A`), as botocore and the AWS SDK
/// for Rust (`double_uri_encode`, `normalize_uri_path`) both sign it.
pub(crate) fn canonical_uri(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut normalized = format!("/{}", segments.join("/"));
    if path.ends_with('/') && !segments.is_empty() {
        normalized.push('/');
    }
    uri_encode(&normalized, true)
}

/// The canonical query: each name and value decoded, then URI-encoded, sorted.
pub(crate) fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&percent_decode(k), false),
                uri_encode(&percent_decode(v), false),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// A header value as signed: trimmed, inner runs of spaces collapsed to one.
fn canonical_value(v: &[u8]) -> String {
    String::from_utf8_lossy(v)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
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
    Ok(Authenticated::SigV4(ChunkChain {
        secret: secret.clone(),
        region: auth.region.to_string(),
        service: auth.service.to_string(),
        previous: expected,
    }))
}

/// The `:chunk-signature` chain of a SigV4-signed input event stream: each envelope signs
/// its `:date` header and payload together with the previous signature, starting from the
/// request's own signature.
#[derive(Clone, PartialEq, Eq)]
pub struct ChunkChain {
    secret: String,
    region: String,
    service: String,
    previous: String,
}

impl std::fmt::Debug for ChunkChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkChain")
            .field("region", &self.region)
            .field("previous", &self.previous)
            .finish_non_exhaustive()
    }
}

impl ChunkChain {
    /// Checks the next envelope and advances the chain.
    pub fn verify(&mut self, envelope: &Message) -> Result<(), ApiError> {
        let header = |name: &str| {
            envelope
                .headers()
                .iter()
                .find(|h| h.name().as_str() == name)
                .map(Header::value)
        };
        let Some(HeaderValue::ByteArray(given)) = header(":chunk-signature") else {
            return Err(ApiError::validation(
                "Every input message must be a signed envelope with a ':chunk-signature' byte array.",
            ));
        };
        let Some(HeaderValue::Timestamp(date)) = header(":date") else {
            return Err(ApiError::validation(
                "A signed input message needs a ':date' timestamp header.",
            ));
        };
        let seconds = date.secs();
        let amz_date = format_amz_date(seconds);
        let day = amz_date.get(..8).unwrap_or("");
        let mut date_header = Vec::new();
        let date_value = HeaderValue::Timestamp(aws_smithy_types::DateTime::from_secs(seconds));
        if write_headers_to(&[Header::new(":date", date_value)], &mut date_header).is_err() {
            return Err(ApiError::validation("Unreadable ':date' header."));
        }
        let scope = format!("{day}/{}/{}/aws4_request", self.region, self.service);
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{scope}\n{}\n{}\n{}",
            self.previous,
            sha256_hex(&date_header),
            sha256_hex(envelope.payload())
        );
        let key = signing_key(&self.secret, day, &self.region, &self.service);
        let expected = hex(&hmac(&key, string_to_sign.as_bytes()));
        if !same(&expected, &hex(given)) {
            return Err(ApiError::validation(
                "The signature of an input message does not match: the ':chunk-signature' we \
                 calculated from the previous signature, ':date' and payload differs from the one sent.",
            ));
        }
        self.previous = expected;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::Request;

    #[test]
    fn dates_round_trip() {
        for s in [
            "20150830T123600Z",
            "20000229T000000Z",
            "19700101T000000Z",
            "20991231T235959Z",
        ] {
            let t = parse_amz_date(s).expect(s);
            assert_eq!(format_amz_date(t), s);
        }
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(1440938160));
        for bad in [
            "",
            "2015083T123600Z",
            "20151330T123600Z",
            "2015-8-30T12360Z",
            "20150830T1236000",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn canonical_parts() {
        assert_eq!(
            canonical_uri("/model/anthropic.claude-v2%3A1/converse"),
            "/model/anthropic.claude-v2%253A1/converse"
        );
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/a/./b/../c//d/"), "/a/c/d/");
        assert_eq!(canonical_query("b=2&a=x%2Fy&a=1"), "a=1&a=x%2Fy&b=2");
        assert_eq!(canonical_value(b"  a   b  "), "a b");
    }

    /// The worked example of the AWS documentation's signing key derivation.
    #[test]
    fn signing_key_matches_the_documentation() {
        let key = signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20150830",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex(&key),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
    }

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
