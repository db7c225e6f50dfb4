//! The backend's Dwolla client: client-credentials token cache and HAL requests.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::http::{HeaderValue, StatusCode};
use serde_json::Value;

use super::error::ApiError;
use crate::HAL_JSON;

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
    /// Dwolla could not be reached (connection refused, DNS, TLS, reset).
    #[error("Dwolla could not be reached")]
    Unreachable,
    /// Dwolla did not answer within the configured timeout.
    #[error("Dwolla did not answer in time")]
    Timeout,
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
            DwollaError::Unreachable => ApiError::bad_gateway("Dwolla could not be reached."),
            DwollaError::Credentials(_) => {
                ApiError::bad_gateway("The backend could not authenticate with Dwolla.")
            }
            DwollaError::Protocol(_) => ApiError::bad_gateway("Dwolla answered unexpectedly."),
        }
    }
}

fn classify(e: &reqwest::Error) -> DwollaError {
    if e.is_timeout() {
        DwollaError::Timeout
    } else if e.is_decode() || e.is_body() {
        DwollaError::Protocol("unreadable body")
    } else {
        DwollaError::Unreachable
    }
}

/// An answer of Dwolla to one request.
#[derive(Debug, Clone)]
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
            token: RwLock::new(None),
            refresh: tokio::sync::Mutex::new(()),
            serial: AtomicU64::new(0),
            fetches: AtomicU64::new(0),
        })
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
            .map_err(|e| classify(&e))?;
        let status = resp.status();
        log::info!(
            "dwolla POST /token -> {} in {} ms",
            status.as_u16(),
            started.elapsed().as_millis()
        );
        if !status.is_success() {
            return Err(DwollaError::Credentials(status.as_u16()));
        }
        let body: Value = resp.json().await.map_err(|e| classify(&e))?;
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
        let life = Duration::from_secs(expires_in);
        // Replace the token `margin` early, or at half its life when it is shorter than that.
        let early = if life > self.margin * 2 {
            life - self.margin
        } else {
            life / 2
        };
        Ok(Token {
            secret,
            serial: self.serial.fetch_add(1, Ordering::Relaxed) + 1,
            refresh_at: Instant::now() + early,
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
            let resp = req.send().await.map_err(|e| {
                let kind = classify(&e);
                log::warn!("dwolla {method} {log_path} failed: {kind}");
                kind
            })?;
            let status = resp.status();
            let location = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let retry_after = resp.headers().get(reqwest::header::RETRY_AFTER).cloned();
            let bytes = resp.bytes().await.map_err(|e| classify(&e))?;
            log::info!(
                "dwolla {method} {log_path} -> {} in {} ms",
                status.as_u16(),
                started.elapsed().as_millis()
            );
            let parsed = if bytes.is_empty() {
                None
            } else {
                serde_json::from_slice::<Value>(&bytes).ok()
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
