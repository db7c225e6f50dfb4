//! The backend's Dwolla client: client-credentials token cache and HAL requests, with a size cap
//! on Dwolla's answers and failures told apart by whether Dwolla may have acted: nothing sent
//! ([`DwollaError::Unreachable`]), or a POST sent whose answer did not arrive
//! ([`DwollaError::Unconfirmed`]).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::http::{HeaderValue, StatusCode};
use serde_json::Value;

use super::error::ApiError;
use dwolla_simulator::HAL_JSON;

/// Dwolla client credentials (key and secret). `Debug` never shows them.
#[derive(Clone)]
pub struct DwollaCredentials {
    /// The client key.
    pub key: String,
    /// The client secret.
    pub secret: String,
}

impl fmt::Debug for DwollaCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DwollaCredentials { key: <redacted>, secret: <redacted> }")
    }
}

/// Why a call to Dwolla did not produce an HTTP answer the app can be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DwollaError {
    /// Dwolla could not be reached: no connection was made (refused, DNS, TLS), so nothing was
    /// sent.
    #[error("Dwolla could not be reached")]
    Unreachable,
    /// A GET was sent but its answer did not arrive whole (connection reset or closed).
    #[error("Dwolla's answer was cut off")]
    Interrupted,
    /// Dwolla did not answer a GET within the configured timeout.
    #[error("Dwolla did not answer in time")]
    Timeout,
    /// A POST was sent but its answer did not arrive (timeout, reset, cut off): Dwolla may have
    /// carried it out. Sending it again with the same `Idempotency-Key` is safe.
    #[error("Dwolla's answer to a POST did not arrive; Dwolla may have acted on it")]
    Unconfirmed,
    /// Dwolla's answer was larger than [`super::Limits::max_dwolla_answer_bytes`].
    #[error("Dwolla's answer was larger than {0} bytes")]
    TooLarge(usize),
    /// Dwolla refused the client credentials (status of the token answer).
    #[error("Dwolla refused the backend's client credentials (status {0})")]
    Credentials(u16),
    /// Dwolla answered something the backend cannot use.
    #[error("Dwolla answered unexpectedly: {0}")]
    Protocol(&'static str),
}

impl From<DwollaError> for ApiError {
    fn from(e: DwollaError) -> Self {
        match e {
            DwollaError::Timeout => ApiError::gateway_timeout(),
            DwollaError::Unconfirmed => ApiError::unconfirmed(),
            DwollaError::Unreachable => ApiError::bad_gateway("Dwolla could not be reached."),
            DwollaError::Interrupted => ApiError::bad_gateway("Dwolla's answer was cut off."),
            DwollaError::TooLarge(limit) => ApiError::bad_gateway(&format!(
                "Dwolla's answer was larger than the {limit} bytes the backend reads."
            )),
            DwollaError::Credentials(_) => {
                ApiError::bad_gateway("The backend could not authenticate with Dwolla.")
            }
            DwollaError::Protocol(_) => ApiError::bad_gateway("Dwolla answered unexpectedly."),
        }
    }
}

/// What a failed request to Dwolla means. `sent_post`: the request was a POST (not `/token`),
/// for which any failure after the connection was made leaves Dwolla's outcome unknown.
fn classify(e: &reqwest::Error, sent_post: bool) -> DwollaError {
    if e.is_connect() {
        DwollaError::Unreachable
    } else if sent_post {
        DwollaError::Unconfirmed
    } else if e.is_timeout() {
        DwollaError::Timeout
    } else if e.is_decode() || e.is_body() {
        DwollaError::Protocol("unreadable body")
    } else {
        DwollaError::Interrupted
    }
}

/// The body of `resp`, at most `limit` bytes; `Ok(None)` when it is longer.
async fn read_capped(
    mut resp: reqwest::Response,
    limit: usize,
    sent_post: bool,
) -> Result<Option<Vec<u8>>, DwollaError> {
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Ok(None);
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| classify(&e, sent_post))? {
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// The longest token lifetime the backend believes (Dwolla's tokens live an hour); a longer
/// `expires_in` is cut to it.
const MAX_TOKEN_LIFE: Duration = Duration::from_secs(24 * 3600);

/// When to replace a token that lives `expires_in` seconds from `now`: `margin` early, or at half
/// its life when it is shorter than twice the margin. Never overflows, whatever `expires_in`.
fn refresh_time(now: Instant, expires_in: u64, margin: Duration) -> Instant {
    let life = Duration::from_secs(expires_in).min(MAX_TOKEN_LIFE);
    let early = match margin.checked_mul(2) {
        Some(twice) if life > twice => life - margin,
        _ => life / 2,
    };
    now.checked_add(early).unwrap_or(now)
}

/// An answer of Dwolla to one request. `Debug` shows the body's size class, never the body.
#[derive(Clone)]
pub struct DwollaResponse {
    /// The status.
    pub status: StatusCode,
    /// The `Location` header, if any.
    pub location: Option<String>,
    /// The `Retry-After` header, if any.
    pub retry_after: Option<HeaderValue>,
    /// The body as JSON; `None` when empty or not JSON.
    pub body: Option<Value>,
}

impl fmt::Debug for DwollaResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Bodies hold link tokens, public tokens and session data: never printed.
        f.debug_struct("DwollaResponse")
            .field("status", &self.status)
            .field("location", &self.location)
            .field("retry_after", &self.retry_after)
            .field("body", &self.body.as_ref().map(|_| "<JSON, not shown>"))
            .finish()
    }
}

impl DwollaResponse {
    /// The Dwolla error `code` of the body, if any.
    pub fn code(&self) -> Option<&str> {
        self.body.as_ref()?.get("code")?.as_str()
    }
}

struct Token {
    secret: String,
    serial: u64,
    refresh_at: Instant,
}

/// A Dwolla API client holding one cached access token.
///
/// The token is fetched on first use, replaced once `margin` before it expires, fetched by one
/// caller at a time (the others wait and reuse it) and replaced once when Dwolla answers 401
/// `ExpiredAccessToken`, after which the request is sent again.
pub struct DwollaClient {
    http: reqwest::Client,
    base: String,
    creds: DwollaCredentials,
    margin: Duration,
    answer_limit: usize,
    token: RwLock<Option<Arc<Token>>>,
    refresh: tokio::sync::Mutex<()>,
    serial: AtomicU64,
    fetches: AtomicU64,
}

impl fmt::Debug for DwollaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DwollaClient")
            .field("base", &self.base)
            .field("credentials", &self.creds)
            .field("token_fetches", &self.token_fetches())
            .finish()
    }
}

impl DwollaClient {
    /// A client for Dwolla at `base` (`https://api-sandbox.dwolla.com`, or a simulator's URL).
    /// `timeout` bounds each request; `margin` is how early a token is replaced.
    pub fn new(
        base: &str,
        creds: DwollaCredentials,
        timeout: Duration,
        margin: Duration,
    ) -> Result<Self, DwollaError> {
        crate::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| DwollaError::Protocol("HTTP client could not be built"))?;
        Ok(DwollaClient {
            http,
            base: base.trim_end_matches('/').to_string(),
            creds,
            margin,
            answer_limit: super::Limits::default().max_dwolla_answer_bytes,
            token: RwLock::new(None),
            refresh: tokio::sync::Mutex::new(()),
            serial: AtomicU64::new(0),
            fetches: AtomicU64::new(0),
        })
    }

    /// This client, reading at most `bytes` of any answer of Dwolla (default 1 MiB).
    pub fn with_answer_limit(mut self, bytes: usize) -> Self {
        self.answer_limit = bytes;
        self
    }

    /// Dwolla's base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// How many tokens this client has requested from Dwolla.
    pub fn token_fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    fn cached(&self) -> Option<Arc<Token>> {
        let guard = self.token.read().unwrap_or_else(|p| p.into_inner());
        guard
            .as_ref()
            .filter(|t| Instant::now() < t.refresh_at)
            .cloned()
    }

    async fn token(&self) -> Result<Arc<Token>, DwollaError> {
        if let Some(t) = self.cached() {
            return Ok(t);
        }
        let _one_at_a_time = self.refresh.lock().await;
        if let Some(t) = self.cached() {
            return Ok(t);
        }
        let t = Arc::new(self.fetch_token().await?);
        *self.token.write().unwrap_or_else(|p| p.into_inner()) = Some(t.clone());
        Ok(t)
    }

    fn forget(&self, stale: &Token) {
        let mut guard = self.token.write().unwrap_or_else(|p| p.into_inner());
        if guard.as_ref().map(|t| t.serial) == Some(stale.serial) {
            *guard = None;
        }
    }

    async fn fetch_token(&self) -> Result<Token, DwollaError> {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let resp = self
            .http
            .post(format!("{}/token", self.base))
            .basic_auth(&self.creds.key, Some(&self.creds.secret))
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .map_err(|e| classify(&e, false))?;
        let status = resp.status();
        log::info!(
            "dwolla POST /token -> {} in {} ms",
            status.as_u16(),
            started.elapsed().as_millis()
        );
        if !status.is_success() {
            return Err(DwollaError::Credentials(status.as_u16()));
        }
        let bytes = read_capped(resp, self.answer_limit, false)
            .await?
            .ok_or(DwollaError::TooLarge(self.answer_limit))?;
        let body: Value = serde_json::from_slice(&bytes)
            .map_err(|_| DwollaError::Protocol("token answer is not JSON"))?;
        let secret = body
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or(DwollaError::Protocol("token answer without access_token"))?
            .to_string();
        let expires_in = body
            .get("expires_in")
            .and_then(Value::as_u64)
            .unwrap_or(3600);
        Ok(Token {
            secret,
            serial: self.serial.fetch_add(1, Ordering::Relaxed) + 1,
            refresh_at: refresh_time(Instant::now(), expires_in, self.margin),
        })
    }

    /// The absolute URL for `path_or_url`: a path is put on Dwolla's base; an absolute URL must
    /// already be on it (the access token is never sent anywhere else).
    fn url(&self, path_or_url: &str) -> Result<String, DwollaError> {
        if path_or_url.starts_with('/') {
            return Ok(format!("{}{}", self.base, path_or_url));
        }
        match path_or_url.strip_prefix(&self.base) {
            Some(rest) if rest.starts_with('/') => Ok(path_or_url.to_string()),
            _ => Err(DwollaError::Protocol("URL outside Dwolla's base")),
        }
    }

    /// `GET` a Dwolla resource by path or by an absolute URL on Dwolla's base.
    pub async fn get(&self, path_or_url: &str) -> Result<DwollaResponse, DwollaError> {
        self.send(reqwest::Method::GET, path_or_url, None, None)
            .await
    }

    /// `POST` a HAL body to Dwolla with an `Idempotency-Key`.
    pub async fn post(
        &self,
        path: &str,
        body: &Value,
        idempotency_key: &HeaderValue,
    ) -> Result<DwollaResponse, DwollaError> {
        self.send(
            reqwest::Method::POST,
            path,
            Some(body),
            Some(idempotency_key),
        )
        .await
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path_or_url: &str,
        body: Option<&Value>,
        idempotency_key: Option<&HeaderValue>,
    ) -> Result<DwollaResponse, DwollaError> {
        let url = self.url(path_or_url)?;
        let log_path = url[self.base.len()..].to_string();
        let post = method == reqwest::Method::POST;
        let mut refreshed = false;
        loop {
            let token = self.token().await?;
            let started = Instant::now();
            let mut req = self
                .http
                .request(method.clone(), &url)
                .bearer_auth(&token.secret)
                .header(reqwest::header::ACCEPT, HAL_JSON);
            if let Some(b) = body {
                req = req
                    .header(reqwest::header::CONTENT_TYPE, HAL_JSON)
                    .body(b.to_string());
            }
            if let Some(k) = idempotency_key {
                req = req.header("Idempotency-Key", k.clone());
            }
            let failed = |e: reqwest::Error| {
                let kind = classify(&e, post);
                log::warn!("dwolla {method} {log_path} failed: {kind}");
                kind
            };
            let resp = req.send().await.map_err(failed)?;
            let status = resp.status();
            let location = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let retry_after = resp.headers().get(reqwest::header::RETRY_AFTER).cloned();
            let bytes = match read_capped(resp, self.answer_limit, post).await {
                Ok(bytes) => bytes,
                Err(kind) => {
                    log::warn!("dwolla {method} {log_path} failed: {kind}");
                    return Err(kind);
                }
            };
            log::info!(
                "dwolla {method} {log_path} -> {} in {} ms",
                status.as_u16(),
                started.elapsed().as_millis()
            );
            let parsed = match bytes {
                Some(b) if b.is_empty() => None,
                Some(b) => serde_json::from_slice::<Value>(&b).ok(),
                // A created resource's answer needs only its status and Location: Dwolla acted,
                // so an oversized body is dropped rather than failing the request.
                None if post && status.is_success() => None,
                None => {
                    log::warn!(
                        "dwolla {method} {log_path} answered more than {} bytes",
                        self.answer_limit
                    );
                    return Err(DwollaError::TooLarge(self.answer_limit));
                }
            };
            let answer = DwollaResponse {
                status,
                location,
                retry_after,
                body: parsed,
            };
            if status == StatusCode::UNAUTHORIZED
                && answer.code() == Some("ExpiredAccessToken")
                && !refreshed
            {
                refreshed = true;
                self.forget(&token);
                continue;
            }
            return Ok(answer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_lifetimes_never_overflow() {
        let now = Instant::now();
        let margin = Duration::from_secs(60);
        for expires_in in [0, 1, 119, 121, 3600, u64::MAX / 2, u64::MAX] {
            let at = refresh_time(now, expires_in, margin);
            assert!(at >= now && at <= now + MAX_TOKEN_LIFE, "{expires_in}");
        }
        assert_eq!(
            refresh_time(now, 3600, margin),
            now + Duration::from_secs(3540)
        );
        assert_eq!(refresh_time(now, 4, margin), now + Duration::from_secs(2));
        // A huge margin does not overflow either.
        assert_eq!(
            refresh_time(now, 3600, Duration::MAX),
            now + Duration::from_secs(1800)
        );
    }

    #[test]
    fn debug_of_an_answer_shows_no_body() {
        let r = DwollaResponse {
            status: StatusCode::OK,
            location: None,
            retry_after: None,
            body: Some(serde_json::json!({"externalProviderSessionToken": "link-sandbox-SECRET"})),
        };
        let dbg = format!("{r:?}");
        assert!(!dbg.contains("link-sandbox-SECRET"), "{dbg}");
        assert!(dbg.contains("200"), "{dbg}");
    }
}
