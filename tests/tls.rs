//! Real TLS on loopback: a server with a freshly generated certificate, trusted through
//! `additional_root_certificates`, and refused without it.

use std::sync::Arc;

use iav_bridge::{BridgeClient, BridgeConfig, BridgeError, Environment, Platform, HAL_JSON};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const PARTNERS: &str = r#"{"_embedded":{"exchange-partners":[{"id":"p1","name":"Plaid","status":"active","_links":{"self":{"href":"/exchange-partners/p1"}}}]}}"#;

struct Pki {
    ca_pem: String,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "iav-bridge test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca, ca_key);

    let key = KeyPair::generate().unwrap();
    let params =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    Pki {
        ca_pem: ca_cert.pem(),
        chain: vec![cert.der().clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    }
}

/// An https server answering every request with the partner list; returns its URL.
async fn https_server(pki: &Pki) -> String {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(pki.chain.clone(), pki.key.clone_key())
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://127.0.0.1:{}/",
        listener.local_addr().unwrap().port()
    );
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = vec![0u8; 4096];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {HAL_JSON}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{PARTNERS}",
                    PARTNERS.len()
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    url
}

fn config(url: &str) -> BridgeConfig {
    let mut c = BridgeConfig::new(url, Platform::Web, Environment::Sandbox);
    c.timeout_ms = 5_000;
    c.max_retries = 0;
    c
}

#[tokio::test]
async fn a_root_added_through_the_config_is_trusted() {
    let pki = pki();
    let url = https_server(&pki).await;
    let mut cfg = config(&url);
    cfg.additional_root_certificates = vec![pki.ca_pem.clone()];
    let partners = BridgeClient::new(cfg, None)
        .unwrap()
        .exchange_partners()
        .await
        .unwrap();
    assert_eq!(partners.len(), 1);
    assert_eq!(partners[0].name, "Plaid");
}

#[tokio::test]
async fn an_unknown_root_is_refused() {
    let pki = pki();
    let url = https_server(&pki).await;
    let err = BridgeClient::new(config(&url), None)
        .unwrap()
        .exchange_partners()
        .await
        .unwrap_err();
    match err {
        BridgeError::Network { detail } => {
            assert!(detail.to_lowercase().contains("certificate"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn another_ca_does_not_help() {
    let pki_a = pki();
    let pki_b = pki();
    let url = https_server(&pki_a).await;
    let mut cfg = config(&url);
    cfg.additional_root_certificates = vec![pki_b.ca_pem];
    let err = BridgeClient::new(cfg, None)
        .unwrap()
        .exchange_partners()
        .await
        .unwrap_err();
    assert!(matches!(err, BridgeError::Network { .. }), "{err:?}");
}

#[test]
fn plain_http_needs_the_opt_in() {
    let err = BridgeClient::new(config("http://127.0.0.1:1/"), None).unwrap_err();
    assert!(
        matches!(err, BridgeError::InvalidConfiguration { reason } if reason.contains("allow_insecure_http"))
    );
}
