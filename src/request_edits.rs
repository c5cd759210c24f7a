//! The one interceptor through which a call edits its own serialized request,
//! for what the SDK cannot say itself: members the SDK lacks
//! ([`crate::bridge`]), headers set by `client.meta.events` handlers
//! ([`crate::headers`]), botocore's missing default `Content-Type`, and the
//! large `bytes` values lent to the request instead of copied
//! ([`crate::convert::Lending`]). Calls with nothing to edit carry no
//! interceptor and pay nothing.

use aws_sdk_bedrockruntime::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_bedrockruntime::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;

use crate::bridge::Bridged;
use crate::convert::LentBlobs;
use crate::headers::CallHeaders;

/// One call's edits: the lent buffers once, before the retry loop (every
/// attempt resends that body); then, before signing (so the signature covers
/// them), bridged members, the dropped default `Content-Type`, the handlers'
/// signed headers; after signing, the handlers' unsigned headers.
#[derive(Debug, Default)]
pub struct CallEdits {
    lent: Option<LentBlobs>,
    bridged: Bridged,
    drop_default_content_type: bool,
    headers: Option<CallHeaders>,
}

impl CallEdits {
    /// The edits of a call whose converter bridged `bridged`, with the
    /// headers handed over and the buffers lent on this thread (taken, so
    /// they serve one call).
    pub fn new(bridged: Bridged) -> Self {
        Self {
            lent: crate::convert::take_lent(),
            bridged,
            drop_default_content_type: false,
            headers: crate::headers::take_pending(),
        }
    }

    /// botocore sends no `Content-Type` when the caller gives no
    /// `contentType`; the SDK would default it to application/octet-stream.
    pub fn without_default_content_type(mut self, caller_gave_one: bool) -> Self {
        self.drop_default_content_type = !caller_gave_one;
        self
    }

    /// The interceptor, if there is anything to edit.
    pub fn interceptor(self) -> Option<Self> {
        let idle = self.bridged.is_empty() && !self.drop_default_content_type;
        (!idle || self.headers.is_some() || self.lent.is_some()).then_some(self)
    }
}

impl Intercept for CallEdits {
    fn name(&self) -> &'static str {
        "bedrock_cris::CallEdits"
    }

    fn modify_before_retry_loop(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        match &self.lent {
            Some(lent) => lent.apply(context.request_mut()),
            None => Ok(()),
        }
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        self.bridged.apply(request)?;
        if self.drop_default_content_type {
            request.headers_mut().remove("content-type");
        }
        if let Some(headers) = &self.headers {
            headers.apply_signed(request);
        }
        Ok(())
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(headers) = &self.headers {
            headers.apply_unsigned(context.request_mut());
        }
        Ok(())
    }
}

/// Replaces a request's body, keeping its `Content-Length` (when it has one)
/// true to the new body.
pub fn replace_body(request: &mut HttpRequest, body: SdkBody) {
    let length = body.content_length().unwrap_or_default().to_string();
    *request.body_mut() = body;
    if request.headers().contains_key("content-length") {
        request.headers_mut().insert("content-length", length);
    }
}
