//! A local OIDC issuer for the sign-in tests: RSA (2048-bit) and EC P-256 keys made at run time,
//! `/.well-known/openid-configuration` and `/jwks` served on loopback (the keys served can be
//! changed: rotation), every JWKS fetch counted, and tokens signed with any of its keys, or
//! assembled by hand for the hostile ones (`alg: none`, HMAC with the public key, tampered).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey};
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};

/// Random numbers from ring for the `rsa` crate's key generation.
struct RingRng(ring::rand::SystemRandom);

impl rsa::rand_core::RngCore for RingRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        ring::rand::SecureRandom::fill(&self.0, dest).expect("random bytes");
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rsa::rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl rsa::rand_core::CryptoRng for RingRng {}

/// One signing key of the issuer: its id, algorithm, private key and public JWK.
pub struct SigningKey {
    pub kid: String,
    pub alg: Algorithm,
    encoding: EncodingKey,
    /// The public key as a JWK.
    pub jwk: Value,
    /// The public key's bytes (PKCS#1 DER for RSA, the SEC1 point for EC): what an attacker
    /// would use as an HMAC secret.
    pub public_bytes: Vec<u8>,
}

impl SigningKey {
    /// A new 2048-bit RSA key (RS256).
    pub fn rsa(kid: &str) -> SigningKey {
        let private = rsa::RsaPrivateKey::new(&mut RingRng(ring::rand::SystemRandom::new()), 2048)
            .expect("RSA key");
        let der = private.to_pkcs1_der().expect("PKCS#1");
        let public = private.to_public_key();
        SigningKey {
            kid: kid.to_string(),
            alg: Algorithm::RS256,
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            jwk: json!({
                "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
                "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
                "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
            }),
            public_bytes: public
                .to_pkcs1_der()
                .expect("public DER")
                .as_bytes()
                .to_vec(),
        }
    }

    /// A new EC P-256 key (ES256).
    pub fn ec(kid: &str) -> SigningKey {
        use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("EC key");
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .expect("EC key pair");
        let point = pair.public_key().as_ref().to_vec();
        SigningKey {
            kid: kid.to_string(),
            alg: Algorithm::ES256,
            encoding: EncodingKey::from_ec_der(pkcs8.as_ref()),
            jwk: json!({
                "kty": "EC", "use": "sig", "alg": "ES256", "crv": "P-256", "kid": kid,
                "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
                "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
            }),
            public_bytes: point,
        }
    }

    /// `claims` signed with this key, its `kid` in the header.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_as(claims, Some(&self.kid))
    }

    /// `claims` signed with this key, with `kid` (or none) in the header.
    pub fn sign_as(&self, claims: &Value, kid: Option<&str>) -> String {
        let mut header = Header::new(self.alg);
        header.kid = kid.map(str::to_string);
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("signed")
    }

    /// `claims` "signed" with HS256 and this key's public bytes as the secret, under its kid:
    /// the algorithm-confusion attack.
    pub fn hmac_with_public_key(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(
            &header,
            claims,
            &EncodingKey::from_secret(&self.public_bytes),
        )
        .expect("signed")
    }
}

/// An unsigned token: `{"alg":"none"}`, the claims, an empty signature.
pub fn unsigned(claims: &Value, kid: &str) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT", "kid": kid}).to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// `token` with its payload replaced by `claims` and its signature kept.
pub fn tampered(token: &str, claims: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    )
}

#[derive(Clone)]
struct IssuerState {
    issuer: String,
    keys: Arc<Mutex<Vec<Value>>>,
    jwks_fetches: Arc<AtomicU64>,
    discovery_fetches: Arc<AtomicU64>,
}

/// The issuer, served on 127.0.0.1 until dropped.
pub struct Issuer {
    /// `http://127.0.0.1:PORT`: the issuer's `iss`.
    pub url: String,
    state: IssuerState,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Issuer {
    /// Serves an issuer whose JWKS holds `keys`.
    pub async fn start(keys: &[&SigningKey]) -> Issuer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let state = IssuerState {
            issuer: url.clone(),
            keys: Arc::new(Mutex::new(keys.iter().map(|k| k.jwk.clone()).collect())),
            jwks_fetches: Arc::default(),
            discovery_fetches: Arc::default(),
        };
        let app = Router::new()
            .route(
                "/.well-known/openid-configuration",
                get(|State(s): State<IssuerState>| async move {
                    s.discovery_fetches.fetch_add(1, Ordering::SeqCst);
                    Json(json!({
                        "issuer": s.issuer,
                        "jwks_uri": format!("{}/jwks", s.issuer),
                        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
                    }))
                }),
            )
            .route(
                "/jwks",
                get(|State(s): State<IssuerState>| async move {
                    s.jwks_fetches.fetch_add(1, Ordering::SeqCst);
                    let keys = s.keys.lock().unwrap().clone();
                    Json(json!({ "keys": keys }))
                }),
            )
            .with_state(state.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
                .ok();
        });
        Issuer {
            url,
            state,
            _stop: stop,
        }
    }

    /// Serves `keys` from now on (a rotation).
    pub fn set_keys(&self, keys: &[&SigningKey]) {
        *self.state.keys.lock().unwrap() = keys.iter().map(|k| k.jwk.clone()).collect();
    }

    /// How many times the JWKS was served.
    pub fn jwks_fetches(&self) -> u64 {
        self.state.jwks_fetches.load(Ordering::SeqCst)
    }

    /// How many times the openid-configuration was served.
    pub fn discovery_fetches(&self) -> u64 {
        self.state.discovery_fetches.load(Ordering::SeqCst)
    }
}

/// Now, in seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
