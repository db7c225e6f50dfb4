//! The OIDC issuer's signing keys (`--auth jwt`): the issuer URL rule (https, or http on
//! loopback), discovery (`/.well-known/openid-configuration`), the JWKS fetched and cached, and
//! its refresh: when a token names a key id the cache lacks (key rotation) or the keys are older
//! than their maximum age, at most once per minimum interval, one fetch at a time, so a flood of
//! tokens with made-up key ids costs the issuer at most one fetch per interval.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;

/// The largest discovery document or JWKS read, in bytes.
const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// Why the issuer's configuration or keys could not be used. Messages name URLs (never a
/// token); a URL with user info is refused before it is used, so none is ever printed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwksError {
    /// The URL is not https (or http on loopback), has user info, a query or a fragment.
    #[error(
        "{0} must be an https URL (http only on 127.0.0.1, ::1 or localhost) without user info, \
         query or fragment"
    )]
    BadUrl(&'static str),
    /// The issuer's discovery document or JWKS could not be fetched.
    #[error("cannot fetch {what} from {url}: {why}")]
    Fetch {
        /// What was fetched.
        what: &'static str,
        /// Where from.
        url: String,
        /// Why not (status, connection, size).
        why: String,
    },
    /// The discovery document is not usable.
    #[error("the issuer's openid-configuration at {0} is not usable: {1}")]
    Discovery(String, &'static str),
    /// The JWKS has no RS256 or ES256 (P-256) signing key.
    #[error("the JWKS at {0} has no RS256 or ES256 signing key")]
    NoKeys(String),
}

/// Checks an issuer or JWKS URL: https, or http on a loopback host (127.0.0.1, ::1,
/// localhost) for development and tests; no user info, query or fragment. `what` names the
/// option in the error.
pub fn check_url(what: &'static str, value: &str) -> Result<url::Url, JwksError> {
    let url = url::Url::parse(value).map_err(|_| JwksError::BadUrl(what))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && loopback);
    if !scheme_ok
        || !url.has_host()
        || !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(JwksError::BadUrl(what));
    }
    Ok(url)
}

/// One signing key of the JWKS: the algorithm it verifies and the key.
struct Key {
    alg: Algorithm,
    key: DecodingKey,
}

/// The keys of one fetch, by key id (keys without one under `None`... kept apart).
struct KeySet {
    by_kid: HashMap<String, Arc<Key>>,
    without_kid: Vec<Arc<Key>>,
    fetched: Instant,
}

impl KeySet {
    /// The key for a token's `kid` and `alg`: the one with that id; with no id, the only key
    /// of that algorithm.
    fn find(&self, kid: Option<&str>, alg: Algorithm) -> Option<Arc<Key>> {
        match kid {
            Some(kid) => self.by_kid.get(kid).filter(|k| k.alg == alg).cloned(),
            None => {
                let mut all = self
                    .by_kid
                    .values()
                    .chain(self.without_kid.iter())
                    .filter(|k| k.alg == alg);
                match (all.next(), all.next()) {
                    (Some(k), None) => Some(k.clone()),
                    _ => None,
                }
            }
        }
    }
}

/// What [`Jwks::key`] found.
pub(crate) enum Lookup {
    /// The key (and its algorithm matches the token's).
    Found(DecodingKey),
    /// No key of the issuer has this id (after a refresh, or with a refresh not allowed yet).
    Unknown,
    /// The issuer's keys have never been fetched (the issuer is unreachable).
    Unavailable,
}

/// The issuer's keys, cached and refreshed.
pub(crate) struct Jwks {
    http: reqwest::Client,
    issuer: String,
    /// The JWKS URL given (`--jwks-url`); otherwise found by discovery on first fetch.
    configured_url: Option<String>,
    discovered_url: RwLock<Option<String>>,
    keys: RwLock<Option<Arc<KeySet>>>,
    /// The last fetch attempt (one at a time: the lock is held while fetching).
    last_attempt: tokio::sync::Mutex<Option<Instant>>,
    min_refresh_interval: Duration,
    max_age: Duration,
    fetches: AtomicU64,
}

impl Jwks {
    /// Keys of `issuer` (checked with [`check_url`] by the caller), from `jwks_url` or
    /// discovery; refreshed for an unknown key id at most once per `min_refresh_interval`, and
    /// when older than `max_age`.
    pub(crate) fn new(
        issuer: &str,
        jwks_url: Option<&str>,
        min_refresh_interval: Duration,
        max_age: Duration,
        timeout: Duration,
    ) -> Result<Jwks, JwksError> {
        crate::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| JwksError::Fetch {
                what: "keys",
                url: issuer.to_string(),
                why: "no HTTP client".into(),
            })?;
        Ok(Jwks {
            http,
            issuer: issuer.to_string(),
            configured_url: jwks_url.map(str::to_string),
            discovered_url: RwLock::new(None),
            keys: RwLock::new(None),
            last_attempt: tokio::sync::Mutex::new(None),
            min_refresh_interval,
            max_age,
            fetches: AtomicU64::new(0),
        })
    }

    /// How many times the JWKS was fetched.
    pub(crate) fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    fn cached(&self) -> Option<Arc<KeySet>> {
        self.keys.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The key for a token's `kid` and `alg`, refreshing the keys when the id is unknown (or
    /// the keys are old) and the minimum interval since the last fetch has passed.
    pub(crate) async fn key(&self, kid: Option<&str>, alg: Algorithm) -> Lookup {
        if let Some(set) = self.cached() {
            if let Some(k) = set.find(kid, alg) {
                if set.fetched.elapsed() < self.max_age {
                    return Lookup::Found(k.key.clone());
                }
                // Old keys: refresh if allowed; the key found stays usable if that fails.
                let _ = self.refresh(false).await;
                let set = self.cached().unwrap_or(set);
                return match set.find(kid, alg) {
                    Some(k) => Lookup::Found(k.key.clone()),
                    None => Lookup::Unknown,
                };
            }
        }
        let had_keys = self.cached().is_some();
        if let Err(e) = self.refresh(false).await {
            log::warn!("{e}");
        }
        match self.cached() {
            Some(set) => match set.find(kid, alg) {
                Some(k) => Lookup::Found(k.key.clone()),
                None => Lookup::Unknown,
            },
            None if had_keys => Lookup::Unknown,
            None => Lookup::Unavailable,
        }
    }

    /// Fetches the keys unless the last attempt was less than the minimum interval ago (or
    /// `force`). Waits for a fetch in flight instead of starting another.
    pub(crate) async fn refresh(&self, force: bool) -> Result<(), JwksError> {
        let started = Instant::now();
        let mut last = self.last_attempt.lock().await;
        if let Some(at) = *last {
            // A fetch finished while this one waited for the lock: use its keys.
            if at >= started || (!force && at.elapsed() < self.min_refresh_interval) {
                return Ok(());
            }
        }
        *last = Some(Instant::now());
        let set = self.fetch().await?;
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(set));
        Ok(())
    }

    /// The JWKS URL: the configured one, or the discovery document's `jwks_uri` (whose
    /// `issuer` must be the configured issuer).
    async fn jwks_url(&self) -> Result<String, JwksError> {
        if let Some(url) = &self.configured_url {
            return Ok(url.clone());
        }
        if let Some(url) = self
            .discovered_url
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        {
            return Ok(url);
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.issuer.trim_end_matches('/')
        );
        let doc = self.get_json("the openid-configuration", &url).await?;
        if doc.get("issuer").and_then(Value::as_str) != Some(self.issuer.as_str()) {
            return Err(JwksError::Discovery(url, "its issuer is not --jwt-issuer"));
        }
        let jwks = doc
            .get("jwks_uri")
            .and_then(Value::as_str)
            .ok_or_else(|| JwksError::Discovery(url.clone(), "it has no jwks_uri"))?;
        check_url("the issuer's jwks_uri", jwks)?;
        *self
            .discovered_url
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(jwks.to_string());
        Ok(jwks.to_string())
    }

    async fn get_json(&self, what: &'static str, url: &str) -> Result<Value, JwksError> {
        let fail = |why: String| JwksError::Fetch {
            what,
            url: url.to_string(),
            why,
        };
        let mut resp = self
            .http
            .get(url)
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(|e| {
                fail(if e.is_timeout() {
                    "timed out".into()
                } else {
                    "no connection".into()
                })
            })?;
        if !resp.status().is_success() {
            return Err(fail(format!("status {}", resp.status().as_u16())));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|_| fail("the answer was cut off".into()))?
        {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                return Err(fail(format!("larger than {MAX_DOCUMENT_BYTES} bytes")));
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&body).map_err(|_| fail("not JSON".into()))
    }

    async fn fetch(&self) -> Result<KeySet, JwksError> {
        let url = self.jwks_url().await?;
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let doc = self.get_json("the JWKS", &url).await?;
        let set: JwkSet = serde_json::from_value(doc).map_err(|_| JwksError::Fetch {
            what: "the JWKS",
            url: url.clone(),
            why: "not a JWK set".into(),
        })?;
        let mut by_kid = HashMap::new();
        let mut without_kid = Vec::new();
        for jwk in &set.keys {
            if matches!(jwk.common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature) {
                continue;
            }
            // The algorithm follows from the key type; a JWK's own `alg` must agree with it.
            let alg = match &jwk.algorithm {
                AlgorithmParameters::RSA(_) => Algorithm::RS256,
                AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => {
                    Algorithm::ES256
                }
                _ => continue,
            };
            let agrees = match jwk.common.key_algorithm {
                None => true,
                Some(KeyAlgorithm::RS256) => alg == Algorithm::RS256,
                Some(KeyAlgorithm::ES256) => alg == Algorithm::ES256,
                Some(_) => false,
            };
            let Ok(key) = DecodingKey::from_jwk(jwk) else {
                continue;
            };
            if !agrees {
                continue;
            }
            let key = Arc::new(Key { alg, key });
            match &jwk.common.key_id {
                Some(kid) => {
                    by_kid.insert(kid.clone(), key);
                }
                None => without_kid.push(key),
            }
        }
        if by_kid.is_empty() && without_kid.is_empty() {
            return Err(JwksError::NoKeys(url));
        }
        log::info!(
            "fetched {} signing keys of the issuer from {url}",
            by_kid.len() + without_kid.len()
        );
        Ok(KeySet {
            by_kid,
            without_kid,
            fetched: Instant::now(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_urls_are_https_or_loopback() {
        for ok in [
            "https://id.example.com",
            "https://id.example.com/realms/app/",
            "http://127.0.0.1:8080",
            "http://[::1]:9/",
            "http://localhost:3000/issuer",
        ] {
            assert!(check_url("--jwt-issuer", ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://id.example.com",
            "http://10.0.0.1",
            "ftp://127.0.0.1",
            "https://user:secret@id.example.com",
            "https://id.example.com/?a=b",
            "https://id.example.com/#x",
            "http://localhost.example.com",
            "not a url",
        ] {
            let e = check_url("--jwt-issuer", bad).unwrap_err();
            assert!(!e.to_string().contains("secret"), "{e}");
        }
    }
}
