//! TLS: trust what the device trusts, through the platform's certificate verifier
//! (rustls-platform-verifier) on the ring crypto provider.
//!
//! Extra roots from `additional_root_certificates` are added where the verifier supports it
//! (Apple platforms, Linux, Windows). On Android the configuration refuses them earlier: apps
//! declare extra trust anchors in their network security config, which the verifier honours.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use rustls_platform_verifier::Verifier;

use crate::error::BridgeError;

/// A rustls client configuration with the platform verifier and, where given, extra roots.
///
/// `plain_http_backend`: the backend is reached over http (a development backend), so a system
/// without any trusted root (a bare container) still gets a client; https is then refused.
pub(crate) fn client_config(
    extra_roots: Vec<CertificateDer<'static>>,
    plain_http_backend: bool,
) -> Result<ClientConfig, BridgeError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier: Arc<dyn ServerCertVerifier> = match verifier(extra_roots, provider.clone()) {
        Ok(v) => Arc::new(v),
        Err(e) if plain_http_backend => {
            log::warn!(target: "iav_bridge::tls", "no trusted root certificates ({e}); https is refused, the http backend is unaffected");
            Arc::new(NoTrust(provider.clone()))
        }
        Err(e) => {
            return Err(BridgeError::InvalidConfiguration {
                reason: format!(
                    "no trusted root certificates could be loaded ({e}): install the system's CA certificates, or add roots with additional_root_certificates"
                ),
            })
        }
    };
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error(&e))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(not(target_os = "android"))]
fn verifier(
    extra_roots: Vec<CertificateDer<'static>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
) -> Result<Verifier, rustls::Error> {
    if extra_roots.is_empty() {
        Verifier::new(provider)
    } else {
        Verifier::new_with_extra_roots(extra_roots, provider)
    }
}

#[cfg(target_os = "android")]
fn verifier(
    _extra_roots: Vec<CertificateDer<'static>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
) -> Result<Verifier, rustls::Error> {
    // Extra roots were refused by the configuration check on Android.
    Verifier::new(provider)
}

/// Refuses every certificate: for an http backend on a system with no trusted roots.
#[derive(Debug)]
struct NoTrust(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoTrust {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Err(rustls::Error::General(
            "no trusted root certificates are available on this system".into(),
        ))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn tls_error(e: &rustls::Error) -> BridgeError {
    BridgeError::Internal {
        detail: format!("could not set up TLS: {e}"),
    }
}
