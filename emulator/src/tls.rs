//! TLS for `EmulatorConfig::tls`: a self-signed certificate made at each start for the loopback
//! names, and ALPN offering `h2` then `http/1.1`, as the real endpoint does. Clients trust the
//! certificate through a CA bundle (`EmulatorHandle::certificate_pem`), so verification stays on.

use std::io;
use std::sync::Arc;

use tokio_rustls::rustls::crypto::aws_lc_rs;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

/// The names the certificate is valid for: where the emulator listens by default.
const NAMES: [&str; 3] = ["127.0.0.1", "localhost", "::1"];

/// A TLS acceptor with a fresh self-signed certificate, and that certificate in PEM.
pub(crate) fn acceptor() -> io::Result<(TlsAcceptor, String)> {
    let names: Vec<String> = NAMES.iter().map(|n| n.to_string()).collect();
    let certified = rcgen::generate_simple_self_signed(names).map_err(invalid)?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der()));
    let mut config = ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(invalid)?
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .map_err(invalid)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok((TlsAcceptor::from(Arc::new(config)), certified.cert.pem()))
}

fn invalid(error: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("emulator TLS set-up failed: {error}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn makes_a_pem_certificate() {
        let (_, pem) = super::acceptor().expect("acceptor");
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    }
}
