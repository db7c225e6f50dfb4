//! TLS: trust what the device trusts, through the platform's certificate verifier
//! (rustls-platform-verifier) on the ring crypto provider.
//!
//! Extra roots from `additional_root_certificates` are added where the verifier supports it
//! (Apple platforms, Linux, Windows). On Android the configuration refuses them earlier: apps
//! declare extra trust anchors in their network security config, which the verifier honours.

use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::ClientConfig;
use rustls_platform_verifier::Verifier;

use crate::error::BridgeError;

/// A rustls client configuration with the platform verifier and, where given, extra roots.
pub(crate) fn client_config(
    extra_roots: Vec<CertificateDer<'static>>,
) -> Result<ClientConfig, BridgeError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = verifier(extra_roots, provider.clone())?;
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(not(target_os = "android"))]
fn verifier(
    extra_roots: Vec<CertificateDer<'static>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
) -> Result<Verifier, BridgeError> {
    if extra_roots.is_empty() {
        Verifier::new(provider).map_err(tls_error)
    } else {
        Verifier::new_with_extra_roots(extra_roots, provider).map_err(|e| {
            BridgeError::InvalidConfiguration {
                reason: format!("additional_root_certificates could not be used: {e}"),
            }
        })
    }
}

#[cfg(target_os = "android")]
fn verifier(
    _extra_roots: Vec<CertificateDer<'static>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
) -> Result<Verifier, BridgeError> {
    // Extra roots were refused by the configuration check on Android.
    Verifier::new(provider).map_err(tls_error)
}

fn tls_error(e: rustls::Error) -> BridgeError {
    BridgeError::Internal {
        detail: format!("could not set up TLS: {e}"),
    }
}
