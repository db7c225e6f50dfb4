//! An in-memory simulator of Dwolla's API for the exchange-session flow (instant bank account
//! verification through Plaid Link, MX or Checkout.com).
//!
//! The simulator answers on Dwolla's own paths with Dwolla's media type
//! (`application/vnd.dwolla.v1.hal+json`), status codes, headers and body shapes, as Dwolla's
//! `OpenAPI` document and its exchange-session documentation describe them. HAL `_links` hrefs are
//! absolute URLs on the simulator's own base URL (`http://127.0.0.1:PORT`). State lives in memory
//! behind a mutex and is safe under concurrent requests.
//!
//! # Dwolla API
//!
//! Every path but `POST /token` needs `Accept: application/vnd.dwolla.v1.hal+json` (parameters
//! such as HAL-Forms' `profile` allowed; `*/*` and `application/json` do not name the version):
//! without it, 406 `InvalidVersion` "Missing or invalid API version.", as Dwolla answers. Then
//! `Authorization: Bearer <access token>`; a missing or unknown token answers 401
//! `InvalidAccessToken`, an expired one 401 `ExpiredAccessToken`.
//!
//! | Method and path | Answer |
//! | --- | --- |
//! | `POST /token` | Basic auth (or `client_id`/`client_secret` form fields), `grant_type=client_credentials`: 200 `{"access_token","token_type":"bearer","expires_in"}`; 401 `{"error":"invalid_client"}` |
//! | `GET /exchange-partners`, `GET /exchange-partners/{id}` | the listed partners (default MX, Plaid, Checkout.com, Finicity, Flinks; Visa when `PUT /sim/account` lists it; random ids per instance) |
//! | `POST /customers`, `GET /customers/{id}` | customers of Dwolla's four types: `type` (`receive-only`, `unverified`, `personal`, `business`) is required (missing: 400 `ValidationError`, `Required` at `/type`; unknown: `Invalid` at `/type`), with `firstName`, `lastName`, `email` and what the type's schema requires (address, date of birth and SSN; business name, type, classification, controller and EIN), each missing one named by its path |
//! | `POST /customers/{id}/exchange-sessions` | 201 + `Location: <base>/exchange-sessions/<id>`, or the documented errors, word for word |
//! | `GET /exchange-sessions/{id}` | Plaid: `externalProviderSessionToken`; MX and Visa: `_links.external-provider-session`; Checkout.com: `externalProviderSessionData` |
//! | `POST /exchanges/{id}/exchange-sessions` | re-authentication session, same redirect rules |
//! | `POST /customers/{id}/exchanges`, `GET /exchanges/{id}` | exchange from a Plaid public token or an MX available-connection token |
//! | `GET /customers/{id}/available-exchange-connections` | MX connections made through completed MX sessions |
//! | `POST /customers/{id}/funding-sources` | bank funding source from an exchange; debit card funding source from a card token (`cardToken`, `name`, `cardDetails.billingAddress`) |
//! | `GET /customers/{id}/funding-sources` | the customer's funding sources, `?removed=false` leaves removed ones out |
//! | `GET /funding-sources/{id}` | a bank (`type: bank`) or card (`type: card`, `cardDetails`) funding source |
//! | `POST /funding-sources/{id}` | `{"removed": true}` removes (soft delete, 200 with the funding source); `{"name"}` renames a bank |
//!
//! Choices where Dwolla's documents say nothing (marked "simulator choice" in the code):
//! - Exchange sessions are single use: once Link was completed with a session's link token (or an
//!   MX session completed), `GET /exchange-sessions/{id}` answers 404 `notFound` "Exchange session
//!   not found." and the link token cannot be completed again.
//! - A `redirect-url` sent for MX or Checkout.com (which take none) is refused with 400
//!   "/_links/redirect-url/href is invalid".
//! - `Idempotency-Key` on a POST: the first successful (2xx) answer is stored and replayed for any
//!   later request with that key, whatever its body; while the first request is still in
//!   progress, another one with the key gets 409 `Conflict`. Error answers are not stored, so a
//!   client may retry a failed request with the same key. Keys do not expire.
//! - Visa, when listed and enabled, takes only an https `redirect-url`, and needs one.
//! - A second bank funding source of the same bank account (the same `account` given to
//!   `complete-link`/`complete-session`, same customer, the first not removed) answers Dwolla's
//!   400 `DuplicateResource` `"Bank already exists: id=<id>"` with `_links.about` on that funding
//!   source; a second one from the same exchange answers the document's `ValidationError`
//!   "Duplicate funding source or validation error. ...". Removed funding sources are no duplicates.
//! - Verified customers (`personal`, `business`) read back `verified` at once, as the sandbox
//!   verifies ordinary names; formats (dates, SSN, state codes) and the controller's fields are
//!   not checked, and SSNs and dates of birth are never read back. Messages of the customer
//!   validation errors ("Type required.", "Type invalid.") follow Dwolla's `<Field> required.`
//!   pattern.
//! - Card validation messages other than "Card token is required." and "The card data is
//!   invalid." (the document's) are the simulator's wording; cards read back without `bin`.
//! - An exchange marked for re-authentication answers `POST /customers/{id}/funding-sources` with
//!   400 `UpdateCredentials` whose `_links.about` points at `<base>/exchanges/<id>/exchange-sessions`;
//!   completing Link on a re-authentication session clears the mark.
//!
//! # Control surface (`/sim/`, no auth, JSON)
//!
//! | Method and path | Body | Answer |
//! | --- | --- | --- |
//! | `POST /sim/plaid/complete-link` | `{"linkToken", "account"?}` | 200 `{"publicToken":"public-sandbox-<uuid>"}`; 404 for an unknown or used token. `account` names the bank account linked (the same value twice: the same bank) |
//! | `POST /sim/mx/complete-session` | `{"exchangeSessionId", "account"?}` | 200 `{"availableConnectionToken"}`; 404 for an unknown or used MX session |
//! | `POST /sim/checkout/complete-payment-session` | `{"paymentSessionId"}` | 200 `{"cardToken":"src_..."}`; 404 for an unknown or used payment session |
//! | `POST /sim/exchanges/{id}/require-reauth` | - | 204; 404 for an unknown exchange |
//! | `PUT /sim/account` | `{"redirectUrls"?: [..], "partners"?: [..], "enabledPartners"?: [..], "scopes"?: {"exchangeSessions": bool}}` | 200 the current settings; 400 for an unknown partner name |
//! | `GET /sim/account` | - | 200 the current settings |
//! | `POST /sim/faults` | a [`Fault`] | 201 |
//! | `DELETE /sim/faults` | - | 204 |
//! | `POST /sim/tokens/expire` | - | 204: every access token issued so far is now expired |
//! | `GET /sim/stats` | - | 200 `{"tokenRequests": n, "exchangeSessions": n, "exchanges": n, "fundingSources": n}` (funding sources: every customer's, removed and seeded ones included) |
//!
//! [`Simulator::requests_received`] counts every request to Dwolla's paths.
//!
//! A [`Fault`] applies to the next `count` Dwolla requests whose path starts with `path` (and whose
//! method is `method`, when given). `action`:
//! - `respond`: after `delayMs`, answer `status` with `{"code","message"}` (and `Retry-After` when
//!   `retryAfter` is given). With no `status`, the delay alone is applied to the real answer.
//! - `reset`: close the connection without answering.
//! - `truncate`: send a `Content-Length` larger than the body, then close the connection.
//! - `malformed`: answer 200 (or `status`) with a body that is not JSON.
//! - `late`: carry the request out, then hold its real answer `delayMs` (Dwolla acted; a client
//!   that gives up or dies meanwhile never learns of it).
//!
//! The same operations exist as methods of [`Simulator`] for Rust tests.
//!
//! # Source files
//!
//! | Module | Holds |
//! | --- | --- |
//! | this one | the public types: `Simulator`, `SimulatorConfig`, `AccountSettings`, `RunningSimulator` |
//! | `api` | Dwolla's paths and their handlers |
//! | `accounts` | the customer's funding sources: card creation, list, read, remove |
//! | `control` | the `/sim/` control surface |
//! | `middleware` | what wraps every Dwolla path: base URL, faults, access tokens, idempotency |
//! | `faults` | `Fault` and the answers faults give |
//! | `idempotency` | `Idempotency-Key` replay and in-progress refusal |
//! | `response` | the answer helpers (HAL+JSON, Dwolla errors, 201, plain JSON) |
//! | `server` | the accept loop of `Simulator::serve` |
//! | `model` | the in-memory state |
//! | [`hal`] | [`HAL_JSON`] and the HAL+JSON answer writer (the reference backend's too) |
//! | [`cli`] | the `dwolla-simulator` binary's flags and run, shared with `sample-backend simulate` |

// Handlers return an early `Response` as the error of their checks, axum's usual idiom; these are
// cold paths, so the size of `Response` does not matter.
#![allow(clippy::result_large_err)]

mod accounts;
mod api;
pub mod cli;
mod control;
mod faults;
pub mod hal;
mod idempotency;
mod middleware;
mod model;
mod response;
mod server;

pub use faults::{Fault, FaultAction};
pub use hal::HAL_JSON;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use model::State;

/// Which Dwolla environment the simulator imitates; it decides the prefixes of Plaid tokens.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SimEnvironment {
    /// Sandbox: link tokens `link-sandbox-...`, public tokens `public-sandbox-...`.
    #[default]
    Sandbox,
    /// Production: link tokens `link-production-...`, public tokens `public-production-...`.
    Production,
}

impl SimEnvironment {
    /// The word Plaid uses in its token prefixes (`sandbox` or `production`).
    pub fn plaid_word(self) -> &'static str {
        match self {
            SimEnvironment::Sandbox => "sandbox",
            SimEnvironment::Production => "production",
        }
    }
}

/// Settings of a [`Simulator`]. The default has the fixed credentials `sim-key`/`sim-secret`;
/// [`SimulatorConfig::with_random_credentials`] draws them.
#[derive(Clone)]
pub struct SimulatorConfig {
    /// The Dwolla client key `POST /token` accepts.
    pub client_key: String,
    /// The Dwolla client secret `POST /token` accepts.
    pub client_secret: String,
    /// Lifetime of the access tokens it issues (Dwolla: 3600 s).
    pub token_ttl: Duration,
    /// Sandbox or production token prefixes.
    pub environment: SimEnvironment,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        SimulatorConfig {
            client_key: "sim-key".to_string(),
            client_secret: "sim-secret".to_string(),
            token_ttl: Duration::from_secs(3600),
            environment: SimEnvironment::Sandbox,
        }
    }
}

impl SimulatorConfig {
    /// The default settings with client credentials drawn at random for this run (a key
    /// `sim-key-` + 16 letters and digits, a 40-character secret), so that nobody else on the
    /// machine can guess them: what the `dwolla-simulator` binary (and `sample-backend`) uses
    /// unless `--key`/`--secret` are given. [`SimulatorConfig::default`] keeps the fixed `sim-key`/`sim-secret` for tests.
    pub fn with_random_credentials() -> Self {
        SimulatorConfig {
            client_key: format!("sim-key-{}", model::random_alnum(16)),
            client_secret: model::random_alnum(40),
            ..SimulatorConfig::default()
        }
    }
}

impl fmt::Debug for SimulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimulatorConfig")
            .field("client_key", &"<redacted>")
            .field("client_secret", &"<redacted>")
            .field("token_ttl", &self.token_ttl)
            .field("environment", &self.environment)
            .finish()
    }
}

/// The account settings the control surface changes (`PUT /sim/account`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountSettings {
    /// Redirect URLs (and Android package names) configured for the account, matched byte for byte.
    pub redirect_urls: Vec<String>,
    /// Names of the exchange partners `GET /exchange-partners` lists (default: all but Visa); an
    /// unlisted partner is unknown everywhere.
    pub partners: Vec<String>,
    /// Names of the exchange partners whose sessions are enabled for the account.
    pub enabled_partners: Vec<String>,
    /// OAuth scopes granted to the application.
    pub scopes: Scopes,
}

/// Scopes granted to the simulated application.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Scopes {
    /// Whether the application may create exchange sessions.
    pub exchange_sessions: bool,
}

pub(crate) struct Inner {
    config: SimulatorConfig,
    base_url: RwLock<Option<String>>,
    state: Mutex<State>,
    token_requests: AtomicU64,
    requests: AtomicU64,
}

/// A Dwolla API simulator; clones share the same state.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

impl fmt::Debug for Simulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulator")
            .field("config", &self.inner.config)
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

impl Simulator {
    /// Creates a simulator with its exchange partners (random ids) and one demo customer.
    pub fn new(config: SimulatorConfig) -> Self {
        Simulator {
            inner: Arc::new(Inner {
                config,
                base_url: RwLock::new(None),
                state: Mutex::new(State::new()),
                token_requests: AtomicU64::new(0),
                requests: AtomicU64::new(0),
            }),
        }
    }

    /// The axum router: Dwolla's paths plus the `/sim/` control surface.
    ///
    /// Served through [`Simulator::serve`], the `reset` fault closes the connection without an
    /// answer; served otherwise it aborts the answer after its head at the latest.
    pub fn router(&self) -> axum::Router {
        api::router(self.clone()).merge(control::router(self.clone()))
    }

    /// Serves the simulator on `listener` until the returned handle is shut down or dropped.
    // Async from the start, so that awaiting in it later does not change its callers.
    #[allow(clippy::unused_async)]
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
    ) -> std::io::Result<RunningSimulator> {
        let mut addr = listener.local_addr()?;
        // Bound to every interface: name the loopback one in hrefs, which clients can reach.
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr.ip() {
                std::net::IpAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                std::net::IpAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        let url = format!("http://{addr}");
        *self
            .inner
            .base_url
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(url.clone());
        let (tx, rx) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(server::accept_loop(listener, self.router(), rx));
        Ok(RunningSimulator {
            url,
            simulator: self,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// The base URL set by [`Simulator::serve`], if it was served.
    pub fn base_url(&self) -> Option<String> {
        self.inner
            .base_url
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The id of the demo customer created with the simulator.
    pub fn demo_customer_id(&self) -> String {
        self.state().demo_customer_id.clone()
    }

    /// Creates an unverified customer and returns its id. If a customer already has this email,
    /// returns that customer's id (Dwolla refuses a second customer with the same email).
    pub fn create_customer(&self, first_name: &str, last_name: &str, email: &str) -> String {
        let mut state = self.state();
        if let Some(existing) = state.customer_by_email(email) {
            return existing;
        }
        state.add_customer(first_name, last_name, email)
    }

    /// The simulator's settings.
    pub fn config(&self) -> &SimulatorConfig {
        &self.inner.config
    }

    /// Completes Plaid Link for the session holding `link_token`; returns the public token, or
    /// `None` when the link token is unknown or was already used.
    pub fn complete_plaid_link(&self, link_token: &str) -> Option<String> {
        self.complete_plaid_link_with_account(link_token, None)
    }

    /// Like [`Simulator::complete_plaid_link`], naming the bank account the user picked: two
    /// links of the same `account` by one customer are the same bank account, so the second
    /// funding source is Dwolla's duplicate (`DuplicateResource`). `None`: a new account.
    pub fn complete_plaid_link_with_account(
        &self,
        link_token: &str,
        account: Option<&str>,
    ) -> Option<String> {
        let env = self.inner.config.environment;
        self.state().complete_plaid_link(link_token, env, account)
    }

    /// Completes an MX session; returns its available-connection token, or `None` when the
    /// session is unknown, not an MX session, or already used.
    pub fn complete_mx_session(&self, exchange_session_id: &str) -> Option<String> {
        self.complete_mx_session_with_account(exchange_session_id, None)
    }

    /// Like [`Simulator::complete_mx_session`], naming the bank account (see
    /// [`Simulator::complete_plaid_link_with_account`]).
    pub fn complete_mx_session_with_account(
        &self,
        exchange_session_id: &str,
        account: Option<&str>,
    ) -> Option<String> {
        self.state()
            .complete_mx_session(exchange_session_id, account)
    }

    /// Completes a Checkout.com payment session (its `externalProviderSessionData.id`, `ps_...`),
    /// as the Flow component does in the app; returns the card token (`src_...`) for
    /// `POST /customers/{id}/funding-sources`, or `None` when the payment session is unknown or
    /// already used.
    pub fn complete_checkout_payment(&self, payment_session_id: &str) -> Option<String> {
        self.state().complete_checkout_payment(payment_session_id)
    }

    /// Marks an exchange as needing re-authentication; `false` when the exchange is unknown.
    pub fn require_reauth(&self, exchange_id: &str) -> bool {
        self.state().require_reauth(exchange_id)
    }

    /// Replaces the account's configured redirect URLs (matched byte for byte).
    pub fn set_allowed_redirect_urls(&self, urls: Vec<String>) {
        self.state().account.redirect_urls = urls;
    }

    /// Replaces the names of the partners `GET /exchange-partners` lists (names the simulator
    /// does not know are ignored).
    pub fn set_partners(&self, names: Vec<String>) {
        self.state().account.partners = names
            .into_iter()
            .filter(|n| model::PARTNER_NAMES.contains(&n.as_str()))
            .collect();
    }

    /// Replaces the names of the partners whose exchange sessions are enabled.
    pub fn set_enabled_partners(&self, names: Vec<String>) {
        self.state().account.enabled_partners = names;
    }

    /// Grants or revokes the scope for creating exchange sessions.
    pub fn set_exchange_sessions_scope(&self, granted: bool) {
        self.state().account.scopes.exchange_sessions = granted;
    }

    /// The account's current settings.
    pub fn account_settings(&self) -> AccountSettings {
        self.state().account.clone()
    }

    /// Adds a fault (see the module documentation).
    pub fn add_fault(&self, fault: Fault) {
        self.state().add_fault(fault);
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.state().faults.clear();
    }

    /// How many requests `POST /token` has received (including refused and faulted ones).
    pub fn token_requests(&self) -> u64 {
        self.inner.token_requests.load(Ordering::SeqCst)
    }

    /// How many requests Dwolla's paths have received (`POST /token` included, the `/sim/`
    /// control surface not): lets a test see that a backend sent nothing.
    pub fn requests_received(&self) -> u64 {
        self.inner.requests.load(Ordering::SeqCst)
    }

    /// How many exchange sessions exist (every customer's, re-authentication ones included).
    pub fn exchange_session_count(&self) -> usize {
        self.state().sessions.len()
    }

    /// How many exchanges exist (every customer's): lets a test see that a retried completion
    /// created one.
    pub fn exchange_count(&self) -> usize {
        self.state().exchanges.len()
    }

    /// How many funding sources exist (every customer's, removed ones and the seeded balance
    /// ones included).
    pub fn funding_source_count(&self) -> usize {
        self.state().funding_sources.len()
    }

    /// Makes every access token issued so far expired.
    pub fn expire_tokens(&self) {
        let now = Instant::now();
        for expiry in self.state().tokens.values_mut() {
            *expiry = now;
        }
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn count_request(&self) {
        self.inner.requests.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn count_token_request(&self) {
        self.inner.token_requests.fetch_add(1, Ordering::SeqCst);
    }
}

/// A simulator serving on a loopback port; shuts down when dropped or on [`RunningSimulator::shutdown`].
pub struct RunningSimulator {
    /// Base URL, `http://127.0.0.1:PORT`, without a trailing slash.
    pub url: String,
    /// The simulator being served (for its programmatic controls).
    pub simulator: Simulator,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl fmt::Debug for RunningSimulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningSimulator")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl RunningSimulator {
    /// Stops accepting connections, closes the open ones and waits for the server task to end.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
