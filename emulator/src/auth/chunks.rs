//! The `:chunk-signature` chain of streamed input (InvokeModelWithBidirectionalStream).

use aws_smithy_eventstream::frame::write_headers_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};

use super::clock::format_amz_date;
use super::sigv4::{hex, hmac, same, sha256_hex, signing_key};
use crate::errors::ApiError;

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
    /// The chain of a request signed with `secret` for `region` and `service`, seeded with
    /// the request's own signature.
    pub(super) fn new(secret: String, region: String, service: String, signature: String) -> Self {
        Self {
            secret,
            region,
            service,
            previous: signature,
        }
    }

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
