//! The HTTPS clients calls go through, and which runtime drives their connections.
//!
//! hyper drives every pooled connection from a task on the runtime that opened
//! it, so a connection is only usable while that runtime runs. Two kinds of
//! client follow from that:
//!
//! - the client's shared HTTPS client (streams, asyncio, embeddings and the
//!   credential providers) is [`pinned`] to the shared multi-thread runtime:
//!   whatever polls a request, its connection lives there;
//! - each Python thread's blocking calls use an HTTPS client of their own
//!   (see [`crate::client::NativeClient::sdk_here`]), whose connections that
//!   thread's runtime drives while the thread waits, with no hand-off to
//!   another thread.

use std::fmt;

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use aws_smithy_http_client::{Builder as HttpClientBuilder, ConnectorBuilder};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::{
    RuntimeComponents, RuntimeComponentsBuilder,
};
use aws_smithy_runtime_api::shared::IntoShared;
use aws_smithy_types::config_bag::ConfigBag;

use crate::config::CaBundle;
use crate::runtime;

/// The HTTPS client: rustls with the system's trust store, or only the CA
/// bundle's certificates when one is configured (as botocore's `verify=path`
/// replaces certifi's), and the proxy from `HTTPS_PROXY`/`HTTP_PROXY`/
/// `ALL_PROXY`/`NO_PROXY` (either case), as the SDK's default client does.
pub fn https_client(ca_bundle: Option<CaBundle>) -> SharedHttpClient {
    let trust_store = match &ca_bundle {
        Some(bundle) => TrustStore::empty().with_pem_certificate(bundle.pem().to_vec()),
        None => TrustStore::default(),
    };
    let tls_context = TlsContext::builder()
        .with_trust_store(trust_store)
        .build()
        .unwrap_or_default();
    // The SDK's own default client is built the same way (aws-smithy-runtime's
    // `default_https_client`); `Builder::build_https` would drop the proxy.
    HttpClientBuilder::new().build_with_connector_fn(move |settings, runtime_components| {
        let mut connector = ConnectorBuilder::default()
            .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
            .tls_context(tls_context.clone());
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = runtime_components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

/// `client` with every request sent from a task on the shared runtime, so its
/// pooled connections never belong to a thread's own runtime.
pub fn pinned(client: SharedHttpClient) -> SharedHttpClient {
    Pinned(client).into_shared()
}

#[derive(Debug)]
struct Pinned(SharedHttpClient);

impl HttpClient for Pinned {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        PinnedConnector(self.0.http_connector(settings, components)).into_shared()
    }

    fn validate_base_client_config(
        &self,
        components: &RuntimeComponentsBuilder,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.validate_base_client_config(components, cfg)
    }

    fn validate_final_config(
        &self,
        components: &RuntimeComponents,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.validate_final_config(components, cfg)
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

struct PinnedConnector(SharedHttpConnector);

impl fmt::Debug for PinnedConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PinnedConnector").field(&self.0).finish()
    }
}

impl HttpConnector for PinnedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let shared = runtime::get();
        let on_shared = tokio::runtime::Handle::try_current()
            .is_ok_and(|current| current.id() == shared.handle().id());
        if on_shared {
            return self.0.call(request);
        }
        // Dropping the join handle would not cancel the task, so the request is
        // aborted explicitly when the caller gives up (Ctrl-C, a timeout).
        let task = AbortOnDrop(shared.spawn(self.0.call(request)));
        HttpConnectorFuture::new(async move {
            let mut task = task;
            match (&mut task.0).await {
                Ok(outcome) => outcome,
                Err(joined) => Err(ConnectorError::other(Box::new(joined), None)),
            }
        })
    }
}

struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
