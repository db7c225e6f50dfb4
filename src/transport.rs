//! HTTP to the app's backend: paths under `backend_url`, the origin rule for hrefs, bearer
//! tokens, `Idempotency-Key`, retries with jittered backoff and `Retry-After`, a response size
//! cap, and the mapping of statuses to typed errors.
//!
//! The app's bearer token is only ever sent to `backend_url`'s origin: hrefs on another origin
//! are refused (Dwolla-origin hrefs are rebased onto the backend by their resource path) and
//! HTTP redirects are never followed.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use reqwest::Method;
use tokio::time::Instant;
use url::Url;

use crate::client::AccessTokenProvider;
use crate::config::{shorten, ValidConfig};
use crate::error::BridgeError;
use crate::hal::{clean_detail, error_from_status, HAL_JSON};

/// The largest response body the client reads (1 MiB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// The first retry waits about this long; each next one twice as long.
const BACKOFF_BASE: Duration = Duration::from_millis(200);
/// No backoff waits longer than this (a `Retry-After` may, within the deadline).
const BACKOFF_CAP: Duration = Duration::from_secs(4);

/// Hosts of Dwolla's API, whose hrefs a backend may pass through without rewriting.
const DWOLLA_HOSTS: &[&str] = &["api.dwolla.com", "api-sandbox.dwolla.com"];
/// Resource paths that may be rebased from Dwolla's origin onto the backend.
const REBASABLE: &[&str] = &[
    "exchange-partners/",
    "exchange-sessions/",
    "exchanges/",
    "customers/",
    "funding-sources/",
];

/// A successful (2xx) answer.
#[derive(Debug)]
pub(crate) struct Response {
    pub status: u16,
    pub location: Option<String>,
    pub body: Vec<u8>,
}

pub(crate) struct Transport {
    http: reqwest::Client,
    base: Url,
    tokens: Option<Arc<dyn AccessTokenProvider>>,
    max_retries: u32,
}

impl Transport {
    pub(crate) fn new(
        cfg: &ValidConfig,
        tokens: Option<Arc<dyn AccessTokenProvider>>,
    ) -> Result<Self, BridgeError> {
        let tls = crate::tls::client_config(cfg.extra_roots.clone(), cfg.base.scheme() == "http")?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .https_only(!cfg.allow_http)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(cfg.user_agent.clone())
            .connect_timeout(cfg.timeout.min(Duration::from_secs(10)))
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(8)
            .tcp_nodelay(true)
            .build()
            .map_err(|e| BridgeError::Internal {
                detail: format!("could not build the HTTP client: {}", error_chain(&e)),
            })?;
        Ok(Transport {
            http,
            base: cfg.base.clone(),
            tokens,
            max_retries: cfg.max_retries,
        })
    }

    /// `backend_url` joined with path segments, each percent-encoded.
    pub(crate) fn path_url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// An href or `Location` from the backend (or a session URL from the app) as a URL the
    /// app's token may be sent to: on the backend's origin, or a Dwolla resource rebased onto
    /// `backend_url` by its path. Anything else is refused.
    pub(crate) fn resolve_href(&self, href: &str) -> Result<Url, String> {
        let url = self
            .base
            .join(href)
            .map_err(|e| format!("'{}' is not a URL ({e})", shorten(href)))?;
        if url.origin() == self.base.origin() {
            return Ok(url);
        }
        let host = url.host_str().unwrap_or("");
        if url.scheme() == "https" && DWOLLA_HOSTS.contains(&host) {
            let path = url.path().trim_start_matches('/');
            if REBASABLE.iter().any(|r| path.starts_with(r)) {
                let mut rebased = self
                    .base
                    .join(path)
                    .map_err(|e| format!("could not rebase '{}' ({e})", shorten(href)))?;
                rebased.set_query(url.query());
                log::debug!(target: "iav_bridge::transport", "rebased a Dwolla href onto the backend: {path}");
                return Ok(rebased);
            }
        }
        Err(format!(
            "'{}' is on another origin ({}); the library only follows links on backend_url's origin ({}) so the app's token cannot leak: the backend must rewrite hrefs onto its public URL",
            shorten(href),
            url.origin().ascii_serialization(),
            self.base.origin().ascii_serialization()
        ))
    }

    /// Like [`Transport::resolve_href`] for an href the backend returned.
    pub(crate) fn resolve_backend_href(&self, href: &str) -> Result<Url, BridgeError> {
        self.resolve_href(href).map_err(|detail| {
            log::warn!(target: "iav_bridge::transport", "refused an href from the backend");
            BridgeError::InvalidResponse { detail }
        })
    }

    pub(crate) async fn get(&self, url: &Url, deadline: Instant) -> Result<Response, BridgeError> {
        self.execute(Method::GET, url, None, None, deadline).await
    }

    /// POSTs a JSON body with a fresh `Idempotency-Key`, kept across retries.
    pub(crate) async fn post(
        &self,
        url: &Url,
        body: &serde_json::Value,
        deadline: Instant,
    ) -> Result<Response, BridgeError> {
        let bytes = serde_json::to_vec(body).map_err(|e| BridgeError::Internal {
            detail: format!("could not encode the request body: {e}"),
        })?;
        let key = uuid::Uuid::new_v4().to_string();
        self.execute(Method::POST, url, Some(bytes), Some(&key), deadline)
            .await
    }

    async fn execute(
        &self,
        method: Method,
        url: &Url,
        body: Option<Vec<u8>>,
        idempotency_key: Option<&str>,
        deadline: Instant,
    ) -> Result<Response, BridgeError> {
        let path = url.path().to_string();
        let mut attempt: u32 = 0;
        let mut refreshed_token = false;
        loop {
            let token = self.token().await?;
            let started = std::time::Instant::now();
            let outcome = self
                .send_once(
                    &method,
                    url,
                    body.as_deref(),
                    idempotency_key,
                    token.as_deref(),
                )
                .await;
            let elapsed_ms = started.elapsed().as_millis();
            let (error, retry_after) = match outcome {
                Ok((resp, _)) if (200..300).contains(&resp.status) => {
                    log::info!(target: "iav_bridge::transport", "{method} {path} -> {} in {elapsed_ms} ms", resp.status);
                    return Ok(resp);
                }
                Ok((resp, _))
                    if resp.status == 401 && self.tokens.is_some() && !refreshed_token =>
                {
                    log::info!(target: "iav_bridge::transport", "{method} {path} -> 401; asking the token provider for a fresh token once");
                    refreshed_token = true;
                    continue;
                }
                Ok((resp, retry_after)) => {
                    log::info!(target: "iav_bridge::transport", "{method} {path} -> {} in {elapsed_ms} ms", resp.status);
                    let error = self.status_error(&resp, retry_after);
                    if !retryable_status(resp.status) {
                        return Err(error);
                    }
                    (error, retry_after)
                }
                Err(error) => {
                    log::info!(target: "iav_bridge::transport", "{method} {path} failed after {elapsed_ms} ms: {error}");
                    if !matches!(error, BridgeError::Network { .. }) {
                        return Err(error);
                    }
                    (error, None)
                }
            };
            if attempt >= self.max_retries {
                return Err(error);
            }
            let wait = retry_after
                .map(Duration::from_millis)
                .unwrap_or_else(|| backoff(attempt));
            if Instant::now() + wait >= deadline {
                log::warn!(target: "iav_bridge::transport", "{method} {path}: not retrying, a wait of {} ms would pass the deadline", wait.as_millis());
                return Err(error);
            }
            attempt += 1;
            log::warn!(target: "iav_bridge::transport", "{method} {path}: retry {attempt} of {} in {} ms ({error})", self.max_retries, wait.as_millis());
            tokio::time::sleep(wait).await;
        }
    }

    /// Asks the app for its token (once per request).
    async fn token(&self) -> Result<Option<String>, BridgeError> {
        let Some(provider) = &self.tokens else {
            return Ok(None);
        };
        let token = provider
            .access_token()
            .await
            .map_err(|e| BridgeError::TokenProvider {
                detail: match e {
                    crate::error::AccessTokenError::Failed { reason } => clean_detail(&reason),
                },
            })?;
        if token.is_empty() {
            return Err(BridgeError::TokenProvider {
                detail: "the provider returned an empty token".into(),
            });
        }
        Ok(Some(token))
    }

    /// One request; the body read up to the size cap. Returns the answer and its
    /// `Retry-After` in milliseconds.
    async fn send_once(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&[u8]>,
        idempotency_key: Option<&str>,
        token: Option<&str>,
    ) -> Result<(Response, Option<u64>), BridgeError> {
        let mut req = self
            .http
            .request(method.clone(), url.clone())
            .header(ACCEPT, HAL_JSON);
        if let Some(body) = body {
            req = req.header(CONTENT_TYPE, HAL_JSON).body(body.to_vec());
        }
        if let Some(key) = idempotency_key {
            req = req.header("Idempotency-Key", key);
        }
        if let Some(token) = token {
            let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                BridgeError::TokenProvider {
                    detail: "the token contains characters that are not allowed in an HTTP header"
                        .into(),
                }
            })?;
            value.set_sensitive(true);
            req = req.header(AUTHORIZATION, value);
        }
        let mut resp = req.send().await.map_err(|e| transport_error(&e))?;
        let status = resp.status().as_u16();
        let header = |name| {
            resp.headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let location = header(LOCATION);
        let retry_after = header(RETRY_AFTER).and_then(|v| parse_retry_after(&v));
        if (300..400).contains(&status) {
            let target = location
                .as_deref()
                .and_then(|l| url.join(l).ok())
                .map(|u| u.origin().ascii_serialization())
                .unwrap_or_else(|| "an unnamed location".into());
            return Err(BridgeError::InvalidResponse {
                detail: format!(
                    "the backend answered {status} (a redirect to {target}); redirects are not followed so the app's token cannot leak: set backend_url to the final URL"
                ),
            });
        }
        if resp
            .content_length()
            .is_some_and(|n| n > MAX_BODY_BYTES as u64)
        {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| transport_error(&e))? {
            if bytes.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok((
            Response {
                status,
                location,
                body: bytes,
            },
            retry_after,
        ))
    }

    fn status_error(&self, resp: &Response, retry_after_ms: Option<u64>) -> BridgeError {
        let rebase = |href: &str| self.resolve_href(href).ok().map(|u| u.to_string());
        error_from_status(resp.status, &resp.body, retry_after_ms, &rebase)
    }
}

fn too_large() -> BridgeError {
    BridgeError::InvalidResponse {
        detail: format!(
            "the response body is larger than the {} KiB limit",
            MAX_BODY_BYTES / 1024
        ),
    }
}

/// 429 and the 5xx statuses that a retry may cure.
fn retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

/// `Retry-After` in delta-seconds, in milliseconds (HTTP dates fall back to the backoff).
pub(crate) fn parse_retry_after(value: &str) -> Option<u64> {
    let secs: u64 = value.trim().parse().ok()?;
    Some(secs.min(24 * 3600) * 1000)
}

/// Exponential backoff with jitter: 50-100% of `BACKOFF_BASE * 2^attempt`, capped.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let full = BACKOFF_BASE
        .saturating_mul(1u32 << attempt.min(16))
        .min(BACKOFF_CAP);
    let jitter = (uuid::Uuid::new_v4().as_u128() % 1000) as u32; // 0..999 per mille
    full / 2 + full / 2 * jitter / 1000
}

/// A reqwest error as a typed error, without the URL's query or any header.
fn transport_error(e: &reqwest::Error) -> BridgeError {
    if e.is_timeout() {
        return BridgeError::Network {
            detail: format!("the request timed out ({})", error_chain(e)),
        };
    }
    let what = if e.is_connect() {
        "could not connect to the backend"
    } else if e.is_body() || e.is_decode() {
        "the connection failed while reading the response"
    } else {
        "the request failed"
    };
    BridgeError::Network {
        detail: format!("{what}: {}", error_chain(e)),
    }
}

/// The error and its sources on one line, without the request URL.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let text = err.to_string();
        let text = match text.find(" for url (") {
            Some(i) => text[..i].to_string(),
            None => text,
        };
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = err.source();
    }
    clean_detail(&parts.join(": "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{BridgeConfig, Environment, Platform};

    fn transport(base: &str) -> Transport {
        let mut cfg = BridgeConfig::new(base, Platform::Web, Environment::Sandbox);
        cfg.allow_insecure_http = true;
        Transport::new(&cfg.validate().unwrap(), None).unwrap()
    }

    #[test]
    fn paths_join_under_the_base_with_or_without_slash_and_encode_ids() {
        for base in ["https://api.example.com/v1", "https://api.example.com/v1/"] {
            let t = transport(base);
            assert_eq!(
                t.path_url(&["customers", "a b/c?d", "exchange-sessions"])
                    .as_str(),
                "https://api.example.com/v1/customers/a%20b%2Fc%3Fd/exchange-sessions"
            );
        }
        let t = transport("https://api.example.com");
        assert_eq!(
            t.path_url(&["exchange-partners"]).as_str(),
            "https://api.example.com/exchange-partners"
        );
    }

    #[test]
    fn hrefs_follow_the_origin_rule() {
        let t = transport("https://api.example.com/dwolla/");
        assert_eq!(
            t.resolve_href("https://api.example.com/dwolla/exchange-sessions/1")
                .unwrap()
                .as_str(),
            "https://api.example.com/dwolla/exchange-sessions/1"
        );
        assert_eq!(
            t.resolve_href("https://api-sandbox.dwolla.com/exchange-sessions/1")
                .unwrap()
                .as_str(),
            "https://api.example.com/dwolla/exchange-sessions/1"
        );
        assert!(t.resolve_href("https://api.dwolla.com/token").is_err());
        assert!(t.resolve_href("http://api.dwolla.com/exchanges/1").is_err());
        let e = t
            .resolve_href("https://evil.example.net/exchange-sessions/1")
            .unwrap_err();
        assert!(
            e.contains("another origin (https://evil.example.net)"),
            "{e}"
        );
        assert!(t.resolve_href("https://api.example.com:444/x").is_err());
        assert!(t.resolve_href("http://api.example.com/x").is_err());
    }

    #[test]
    fn retry_after_and_backoff() {
        assert_eq!(parse_retry_after("2"), Some(2000));
        assert_eq!(parse_retry_after(" 0 "), Some(0));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        for attempt in 0..20 {
            let d = backoff(attempt);
            assert!(d <= BACKOFF_CAP, "{d:?}");
            assert!(d >= BACKOFF_BASE / 2, "{d:?}");
        }
    }
}
