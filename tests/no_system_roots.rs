//! A system with no trusted root certificates (a bare container): an https backend is refused
//! up front with what to do, and a plain http development backend still works.
//! (Its own test binary: it points rustls-native-certs at empty locations for the process.)

mod support;

use iav_bridge::{BridgeClient, BridgeConfig, BridgeError, Environment, Platform};
use support::{FakeServer, Reply};

fn without_system_roots() {
    let empty = std::env::temp_dir().join("iav-bridge-no-roots");
    std::fs::create_dir_all(&empty).unwrap();
    std::env::set_var("SSL_CERT_FILE", empty.join("none.pem"));
    std::env::set_var("SSL_CERT_DIR", &empty);
}

#[tokio::test]
async fn https_is_refused_with_advice_and_http_still_works() {
    without_system_roots();
    let cfg = BridgeConfig::new(
        "https://api.example.com/",
        Platform::Web,
        Environment::Sandbox,
    );
    match BridgeClient::new(cfg, None) {
        Err(BridgeError::InvalidConfiguration { reason }) => {
            assert!(reason.contains("no trusted root certificates"), "{reason}");
            assert!(reason.contains("additional_root_certificates"), "{reason}");
        }
        other => panic!("{other:?}"),
    }

    let server = FakeServer::sequence(vec![Reply::json(
        200,
        r#"{"_embedded":{"exchange-partners":[]}}"#,
    )])
    .await;
    let mut cfg = BridgeConfig::new(&server.url, Platform::Web, Environment::Sandbox);
    cfg.allow_insecure_http = true;
    let client = BridgeClient::new(cfg, None).unwrap();
    assert!(client.exchange_partners().await.unwrap().is_empty());
}
