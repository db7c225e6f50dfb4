//! HTTP to the app's backend: paths under `backend_url`, the origin rule for hrefs, bearer
//! tokens (and the one refresh after a `401`), `Idempotency-Key`, and a response size cap.
//!
//! What it delegates: when to retry and how long to wait is [`crate::retry`]; the typed error
//! for an error status is [`crate::status`]; cleaning server and provider texts is
//! [`crate::redaction`].
//!
//! The app's bearer token is only ever sent to `backend_url`'s origin: hrefs on another origin
//! are refused (Dwolla-origin hrefs are rebased onto the backend by their resource path) and
//! HTTP redirects are never followed. Each token sent, and each secret of a body, is noted as
//! a secret of the call ([`crate::redaction::note_call_secret`]), so that no text of the call
//! shows it; and each successful answer records whose token it came with ([`answered_as`]: an
//! HMAC fingerprint, the [`Owner`] of a prepared session).

use std::cell::RefCell;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use reqwest::Method;
use tokio::time::Instant;
use url::Url;

use crate::client::AccessTokenProvider;
use crate::config::ValidConfig;
use crate::error::{AccessTokenError, BridgeError};
use crate::hal::HAL_JSON;
use crate::prepared::Owner;
use crate::quote::Quoted;
use crate::redaction::{clean_detail, href_for_display, note_call_secret, redact};
use crate::retry::{parse_retry_after, Next, RetryPolicy};
use crate::status::error_from_status;

/// The largest response body the client reads (1 MiB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

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

/// A successful (2xx) answer. Its `Debug` shows the body's length, never the body (which may
/// hold a link token or a payment session secret), and its `Location` the way a refused href
/// is shown.
pub(crate) struct Response {
    pub status: u16,
    pub location: Option<String>,
    pub body: Vec<u8>,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("location", &self.location.as_deref().map(href_for_display))
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

pub(crate) struct Transport {
    http: reqwest::Client,
    base: Url,
    tokens: Option<Arc<dyn AccessTokenProvider>>,
    retry: RetryPolicy,
    /// The key of the HMAC that fingerprints an access token ([`Owner`]): random, per client,
    /// in memory only.
    owner_key: ring::hmac::Key,
}

tokio::task_local! {
    /// Whose tokens the successful answers in this task were sent with ([`answered_as`]).
    static ANSWERED_AS: RefCell<Vec<Owner>>;
}

/// Runs `fut` and says whose access tokens its successful (2xx) requests carried: one
/// [`Owner`] per distinct token, in order. A prepare keeps its session for that owner only.
pub(crate) async fn answered_as<F: Future>(fut: F) -> (F::Output, Vec<Owner>) {
    ANSWERED_AS
        .scope(RefCell::new(Vec::new()), async {
            let out = fut.await;
            let owners = ANSWERED_AS.with(RefCell::take);
            (out, owners)
        })
        .await
}

/// Who handed the library an href: the answer to a refused one differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HrefSupplier {
    /// The backend, in a body or a `Location` header.
    Backend,
    /// The app, as the named argument of an exported call.
    Argument(&'static str),
}

/// An href the app's token may not be sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HrefError {
    /// Who handed it over.
    pub supplier: HrefSupplier,
    /// The href as it may be shown ([`href_for_display`]: no user info, query or token); the
    /// href as given is never kept.
    pub href: String,
    /// Why it is refused.
    pub problem: HrefProblem,
}

/// Why an href is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HrefProblem {
    /// It does not parse, even relative to `backend_url`.
    NotAUrl(url::ParseError),
    /// A Dwolla resource path that does not join onto `backend_url`.
    NotRebasable(url::ParseError),
    /// It has user info (`user:password@`), which HTTP clients send as an extra
    /// `Authorization: Basic` header: refused even on `backend_url`'s origin.
    UserInfo,
    /// It is on another origin than `backend_url`.
    OtherOrigin {
        /// The href's origin.
        origin: String,
        /// `backend_url`'s origin.
        allowed: String,
    },
}

impl std::fmt::Display for HrefError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let href = Quoted::long(&self.href);
        match &self.problem {
            HrefProblem::NotAUrl(e) => write!(f, "{href} is not a URL ({e})"),
            HrefProblem::NotRebasable(e) => write!(f, "could not rebase {href} ({e})"),
            HrefProblem::UserInfo => write!(
                f,
                "{href} has user info (a name or password before '@'); the library refuses it so that no credential but the app's token is ever sent: the backend must not put credentials in hrefs"
            ),
            HrefProblem::OtherOrigin { origin, allowed } => write!(
                f,
                "{href} is on another origin ({origin}); the library only follows links on backend_url's origin ({allowed}) so the app's token cannot leak: the backend must rewrite hrefs onto its public URL"
            ),
        }
    }
}

impl std::error::Error for HrefError {}

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
        let owner_key =
            ring::hmac::Key::generate(ring::hmac::HMAC_SHA256, &ring::rand::SystemRandom::new())
                .map_err(|_| BridgeError::Internal {
                    detail: "the system's random number generator failed".into(),
                })?;
        Ok(Transport {
            http,
            base: cfg.base.clone(),
            tokens,
            retry: RetryPolicy {
                max_retries: cfg.max_retries,
            },
            owner_key,
        })
    }

    /// Whose `token` is: its fingerprint (HMAC-SHA256 with the client's key), or the owner
    /// without a token when the client has no token provider.
    fn owner_of(&self, token: Option<&str>) -> Owner {
        match token {
            Some(t) => {
                Owner::of_fingerprint(ring::hmac::sign(&self.owner_key, t.as_bytes()).as_ref())
            }
            None => Owner::without_token(),
        }
    }

    /// Who is signed in now: the owner of the token the provider hands out (no request), or
    /// `None` when it fails.
    pub(crate) async fn current_owner(&self) -> Option<Owner> {
        match self.token().await {
            Ok(token) => Some(self.owner_of(token.as_deref())),
            Err(e) => {
                log::debug!(target: "iav_bridge::transport", "the token provider gave no token to compare: {}", e.without_call_secrets());
                None
            }
        }
    }

    /// The mark of whoever is signed in now for a journal entry salted with `salt`: an
    /// HMAC-SHA256 of the provider's token under the salt (never the token), or `None` for a
    /// client without a token provider. Asks the provider (no request).
    pub(crate) async fn owner_mark(&self, salt: &[u8]) -> Result<Option<Vec<u8>>, BridgeError> {
        Ok(self.token().await?.map(|t| {
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, salt);
            ring::hmac::sign(&key, t.as_bytes()).as_ref().to_vec()
        }))
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
    pub(crate) fn resolve_href(
        &self,
        href: &str,
        supplier: HrefSupplier,
    ) -> Result<Url, HrefError> {
        let refused = |problem| HrefError {
            supplier,
            href: href_for_display(href),
            problem,
        };
        let url = self
            .base
            .join(href)
            .map_err(|e| refused(HrefProblem::NotAUrl(e)))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refused(HrefProblem::UserInfo));
        }
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
                    .map_err(|e| refused(HrefProblem::NotRebasable(e)))?;
                rebased.set_query(url.query());
                log::debug!(target: "iav_bridge::transport", "rebased a Dwolla href onto the backend: {}", redact(path, &[]));
                return Ok(rebased);
            }
        }
        Err(refused(HrefProblem::OtherOrigin {
            origin: url.origin().ascii_serialization(),
            allowed: self.base.origin().ascii_serialization(),
        }))
    }

    /// [`Transport::resolve_href`] for an href the backend returned.
    pub(crate) fn resolve_backend_href(&self, href: &str) -> Result<Url, HrefError> {
        self.resolve_href(href, HrefSupplier::Backend)
            .inspect_err(|_| {
                log::warn!(target: "iav_bridge::transport", "refused an href from the backend");
            })
    }

    pub(crate) async fn get(&self, url: &Url, deadline: Instant) -> Result<Response, BridgeError> {
        self.execute(Method::GET, url, None, None, &[], deadline)
            .await
    }

    /// POSTs a JSON body with a fresh `Idempotency-Key`, kept across retries.
    pub(crate) async fn post(
        &self,
        url: &Url,
        body: &serde_json::Value,
        deadline: Instant,
    ) -> Result<Response, BridgeError> {
        self.post_with_secrets(url, body, &[], deadline).await
    }

    /// [`Transport::post`] of a body that carries `secrets` (a card token, an MX connection
    /// token): they are redacted, like the bearer tokens, from every text of the answer before
    /// it is cut to length, logged or put in an error.
    pub(crate) async fn post_with_secrets(
        &self,
        url: &Url,
        body: &serde_json::Value,
        secrets: &[&str],
        deadline: Instant,
    ) -> Result<Response, BridgeError> {
        let key = uuid::Uuid::new_v4().to_string();
        self.post_keyed(url, body, secrets, &key, deadline).await
    }

    /// [`Transport::post_with_secrets`] with the caller's `Idempotency-Key`: a completion's
    /// key, derived from what it completes, so that every attempt replays the first answer.
    pub(crate) async fn post_keyed(
        &self,
        url: &Url,
        body: &serde_json::Value,
        secrets: &[&str],
        key: &str,
        deadline: Instant,
    ) -> Result<Response, BridgeError> {
        let bytes = serde_json::to_vec(body).map_err(|e| BridgeError::Internal {
            detail: format!("could not encode the request body: {e}"),
        })?;
        self.execute(Method::POST, url, Some(bytes), Some(key), secrets, deadline)
            .await
    }

    async fn execute(
        &self,
        method: Method,
        url: &Url,
        body: Option<Vec<u8>>,
        idempotency_key: Option<&str>,
        body_secrets: &[&str],
        deadline: Instant,
    ) -> Result<Response, BridgeError> {
        let path = url.path().to_string();
        let mut attempt: u32 = 0;
        let mut refreshed_token = false;
        // The secrets of the body and the bearer tokens sent in this call (a stale one and the
        // fresh one after a 401): redacted from every text of the answer. Kept only for the
        // call, never logged.
        let mut sent_tokens: Vec<String> = body_secrets
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| (*s).to_string())
            .collect();
        for secret in &sent_tokens {
            note_call_secret(secret);
        }
        loop {
            let token = self.token().await?;
            if let Some(t) = &token {
                note_call_secret(t);
                if !sent_tokens.contains(t) {
                    sent_tokens.push(t.clone());
                }
            }
            let secrets: Vec<&str> = sent_tokens.iter().map(String::as_str).collect();
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
                    let owner = self.owner_of(token.as_deref());
                    let _ = ANSWERED_AS.try_with(|owners| {
                        let mut owners = owners.borrow_mut();
                        if !owners.contains(&owner) {
                            owners.push(owner);
                        }
                    });
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
                    (self.status_error(&resp, retry_after, &secrets), retry_after)
                }
                Err(error) => {
                    let error = secrets.iter().fold(error, |e, s| e.without(s));
                    log::info!(target: "iav_bridge::transport", "{method} {path} failed after {elapsed_ms} ms: {error}");
                    (error, None)
                }
            };
            let wait = match self.retry.next(attempt, &error, retry_after, deadline) {
                Next::RetryAfter(wait) => wait,
                Next::GiveUp => return Err(error),
                Next::PastDeadline(wait) => {
                    log::warn!(target: "iav_bridge::transport", "{method} {path}: not retrying, a wait of {} ms would pass the deadline", wait.as_millis());
                    return Err(error);
                }
            };
            attempt += 1;
            log::warn!(target: "iav_bridge::transport", "{method} {path}: retry {attempt} of {} in {} ms ({error})", self.retry.max_retries, wait.as_millis());
            tokio::time::sleep(wait).await;
        }
    }

    /// Asks the app for its token (once per request).
    async fn token(&self) -> Result<Option<String>, BridgeError> {
        let Some(provider) = &self.tokens else {
            return Ok(None);
        };
        let token =
            provider
                .access_token()
                .await
                .map_err(
                    |AccessTokenError::Failed { reason }| BridgeError::TokenProvider {
                        detail: clean_detail(&reason, &[]),
                    },
                )?;
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
                .map_or_else(
                    || "an unnamed location".into(),
                    |u| u.origin().ascii_serialization(),
                );
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

    fn status_error(
        &self,
        resp: &Response,
        retry_after_ms: Option<u64>,
        secrets: &[&str],
    ) -> BridgeError {
        let rebase = |href: &str| {
            self.resolve_href(href, HrefSupplier::Backend)
                .ok()
                .map(|u| u.to_string())
        };
        error_from_status(resp.status, &resp.body, retry_after_ms, &rebase, secrets)
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
    clean_detail(&parts.join(": "), &[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{BridgeConfig, Environment, Platform};

    const BACKEND: HrefSupplier = HrefSupplier::Backend;

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
            t.resolve_href(
                "https://api.example.com/dwolla/exchange-sessions/1",
                BACKEND
            )
            .unwrap()
            .as_str(),
            "https://api.example.com/dwolla/exchange-sessions/1"
        );
        assert_eq!(
            t.resolve_href(
                "https://api-sandbox.dwolla.com/exchange-sessions/1",
                BACKEND
            )
            .unwrap()
            .as_str(),
            "https://api.example.com/dwolla/exchange-sessions/1"
        );
        assert!(t
            .resolve_href("https://api.dwolla.com/token", BACKEND)
            .is_err());
        assert!(t
            .resolve_href("http://api.dwolla.com/exchanges/1", BACKEND)
            .is_err());
        let e = t
            .resolve_href("https://evil.example.net/exchange-sessions/1", BACKEND)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("another origin (https://evil.example.net)"),
            "{e}"
        );
        assert!(t
            .resolve_href("https://api.example.com:444/x", BACKEND)
            .is_err());
        assert!(t.resolve_href("http://api.example.com/x", BACKEND).is_err());
    }

    #[test]
    fn hrefs_with_user_info_are_refused() {
        let t = transport("https://api.example.com/dwolla/");
        for href in [
            "https://user:pw-123@api.example.com/dwolla/exchange-sessions/1",
            "https://user@api.example.com/dwolla/exchange-sessions/1",
            "https://:pw-123@api.example.com/dwolla/exchange-sessions/1",
            "//user:pw-123@api.example.com/dwolla/exchange-sessions/1",
            "https://user:pw-123@api-sandbox.dwolla.com/exchange-sessions/1",
        ] {
            let e = t.resolve_href(href, BACKEND).unwrap_err();
            let text = format!("{e} {e:?}");
            assert!(text.contains("user info"), "{text}");
            assert!(!text.contains("pw-123"), "{text}");
        }
    }

    #[test]
    fn a_response_prints_no_body() {
        let resp = Response {
            status: 200,
            location: None,
            body: br#"{"externalProviderSessionToken":"link-sandbox-1"}"#.to_vec(),
        };
        let printed = format!("{resp:?} {resp:#?}");
        assert!(!printed.contains("body: ["), "{printed}");
        assert!(!printed.contains(&format!("{:?}", resp.body)), "{printed}");
        assert!(printed.contains("200"), "{printed}");
    }
}
