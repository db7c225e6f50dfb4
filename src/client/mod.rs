//! The client: one per app, shared between threads. Every exported call runs on the shared
//! runtime within the configured deadline.
//!
//! Here: [`BridgeClient`] and its state, the constructor, [`AccessTokenProvider`], `prewarm`,
//! `clear_prepared`, and `call`, which every exported call runs through (within its deadline,
//! with its own secrets redacted from every text: `crate::redaction::with_call_secrets`).
//! Every task the client starts (prewarms, prepares) is aborted by `clear_prepared` and when
//! the client is dropped, so none keeps the client's state, or the app's token provider, alive. Each partner area
//! exports its calls from its own module:
//! - `plaid`: Plaid Link (start, prepare, complete) and re-authentication;
//! - `mx`: MX connections and their exchange;
//! - `cards`: a debit card funding source (Checkout.com cards);
//! - `completions`: the journaled completions (keys derived from what they complete, entries
//!   written before the request leaves) and `pending_completions`, `resume_pending`;
//! - `accounts`: the customer's funding sources (an exchange's bank account attached, the
//!   list, removal);
//! - `sessions`: exchange sessions with any partner (Visa, web pages) and the partner list;
//! - `requests`: the request path they share (the partner list, creating and reading a
//!   session, created resources, the id check).

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::task::AbortHandle;
use tokio::time::Instant;

use crate::config::{BridgeConfig, ValidConfig};
use crate::error::{AccessTokenError, BridgeError};
use crate::hal::parse::RawSession;
use crate::journal::{CompletionStore, Journal};
use crate::partners::PartnerCache;
use crate::prepared::{self, Prepared};
use crate::redaction::with_call_secrets;
use crate::runtime;
use crate::session::PlaidLinkSession;
use crate::transport::Transport;

mod accounts;
mod cards;
mod completions;
pub use completions::{CompletionOutcome, PendingCompletion, ResumedCompletion};
mod mx;
mod plaid;
mod requests;
mod sessions;

/// The app's own credential for its backend (the signed-in user's session token).
/// Implement it in Kotlin (a `suspend fun`) or Swift (an `async throws` func).
///
/// The library asks for a token before each request, and once more after a `401`, so an
/// implementation should return its cached token and refresh it when it is expired.
#[uniffi::export(foreign)]
#[async_trait::async_trait]
pub trait AccessTokenProvider: Send + Sync {
    /// The current access token for the app's backend. Throw `AccessTokenError::Failed` when
    /// there is none (for example the user signed out); any other exception becomes `Failed` too.
    async fn access_token(&self) -> Result<String, AccessTokenError>;
}

/// Verifies bank accounts through the app's backend and Dwolla's exchange sessions.
/// Create one per app (per backend) and share it: it is thread-safe and keeps connections and
/// the exchange-partner list.
#[derive(uniffi::Object)]
pub struct BridgeClient {
    inner: Arc<Inner>,
}

struct Inner {
    cfg: ValidConfig,
    transport: Transport,
    partners: PartnerCache,
    /// Sessions the `201` of `create_exchange_session` carried, until `exchange_session` reads
    /// them (`sessions::PENDING_SESSIONS` at most).
    pending: Mutex<VecDeque<(String, RawSession)>>,
    /// Sessions of `prepare_plaid_link`, by customer id.
    prepared_plaid: Prepared<Arc<PlaidLinkSession>>,
    /// Sessions of `prepare_reauth`, by exchange id.
    prepared_reauth: Prepared<Arc<PlaidLinkSession>>,
    /// The `prewarm` tasks started and not known to have ended, aborted by `clear_prepared`
    /// and when the client is dropped.
    prewarms: Mutex<Vec<AbortHandle>>,
    /// The pending completions (`crate::journal`): the app's store and the copy in memory.
    journal: Journal,
}

impl Inner {
    /// Drops every prepared session and aborts every task the client started (prepares and
    /// prewarms). Returns how many were dropped or aborted.
    fn stop_background_work(&self) -> usize {
        let prewarms = std::mem::take(&mut *lock(&self.prewarms));
        let running = prewarms.iter().filter(|t| !t.is_finished()).count();
        for task in prewarms {
            task.abort();
        }
        running + self.prepared_plaid.clear() + self.prepared_reauth.clear()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Drop for BridgeClient {
    fn drop(&mut self) {
        // The tasks hold the client's state (its token provider among it): abort them with
        // the client, so nothing keeps running, or keeps a session or the provider, for a
        // client nobody has.
        let n = self.inner.stop_background_work();
        if n > 0 {
            log::debug!(target: "iav_bridge::client", "client dropped: {n} prepared session(s) or background task(s) discarded or cancelled");
        }
    }
}

impl std::fmt::Debug for BridgeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BridgeClient")
            .field("backend_url", &self.inner.cfg.base.as_str())
            .field("platform", &self.inner.cfg.platform)
            .field("environment", &self.inner.cfg.environment)
            .finish()
    }
}

#[uniffi::export]
impl BridgeClient {
    /// Checks the whole configuration (the platform's redirect value, the backend URL, the
    /// certificates) and creates the client. Does no network I/O. Its pending completions are
    /// kept in memory only: give a `CompletionStore` (`with_completion_store`) so that a Link
    /// success survives the process.
    #[uniffi::constructor]
    #[allow(clippy::needless_pass_by_value)] // uniffi hands a constructor owned values
    pub fn new(
        config: BridgeConfig,
        token_provider: Option<Arc<dyn AccessTokenProvider>>,
    ) -> Result<Arc<Self>, BridgeError> {
        Self::build(&config, token_provider, None)
    }

    /// `new`, with the store that keeps the client's pending completions across restarts (the
    /// app's own: keep its entries encrypted, on this device only). Then call `resume_pending`
    /// when the screen that links accounts opens.
    #[uniffi::constructor]
    #[allow(clippy::needless_pass_by_value)] // uniffi hands a constructor owned values
    pub fn with_completion_store(
        config: BridgeConfig,
        token_provider: Option<Arc<dyn AccessTokenProvider>>,
        completion_store: Arc<dyn CompletionStore>,
    ) -> Result<Arc<Self>, BridgeError> {
        Self::build(&config, token_provider, Some(completion_store))
    }
}

impl BridgeClient {
    fn build(
        config: &BridgeConfig,
        token_provider: Option<Arc<dyn AccessTokenProvider>>,
        completion_store: Option<Arc<dyn CompletionStore>>,
    ) -> Result<Arc<Self>, BridgeError> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let cfg = config.validate()?;
            let max_age = |default: std::time::Duration| {
                cfg.prepared_max_age.map_or(default, |d| d.min(default))
            };
            let prepared_plaid = Prepared::new(max_age(prepared::PLAID_MAX_AGE), prepared::system_clock());
            let prepared_reauth = Prepared::new(max_age(prepared::REAUTH_MAX_AGE), prepared::system_clock());
            let transport = Transport::new(&cfg, token_provider)?;
            log::debug!(target: "iav_bridge::client", "client created for {} ({:?}, {:?})", cfg.base, cfg.platform, cfg.environment);
            Ok(Arc::new(BridgeClient {
                inner: Arc::new(Inner {
                    cfg,
                    transport,
                    partners: PartnerCache::default(),
                    pending: Mutex::new(VecDeque::new()),
                    prepared_plaid,
                    prepared_reauth,
                    prewarms: Mutex::new(Vec::new()),
                    journal: Journal::new(completion_store),
                }),
            }))
        }))
        .unwrap_or_else(|p| {
            Err(BridgeError::Internal {
                detail: format!("creating the client panicked: {}", runtime::panic_text(&*p)),
            })
        })
    }
}

#[uniffi::export]
impl BridgeClient {
    /// Drops every prepared session and cancels the prepares and prewarms in flight. Call it
    /// when the user signs out. A prepared session belongs to the access token it was made
    /// with (and an alias such as `me` names whoever is signed in): a start whose token
    /// provider hands out another token drops it and creates its own, so a forgotten call
    /// costs the next user a request, never a session of the previous user's.
    pub fn clear_prepared(&self) {
        let n = self.inner.stop_background_work();
        log::debug!(target: "iav_bridge::client", "clear_prepared: {n} prepared session(s) or background task(s) discarded or cancelled");
    }

    /// Starts, in the background, what a first call would wait for (the partner list and a
    /// connection to the backend), so the tap that starts Link pays as little as possible.
    /// Errors are logged, not thrown: the next call reports them. `clear_prepared` and
    /// dropping the client cancel it.
    pub fn prewarm(&self) {
        let inner = self.inner.clone();
        let deadline = Instant::now() + inner.cfg.timeout;
        let task = with_call_secrets(async move {
            match tokio::time::timeout_at(deadline, inner.partner_list(deadline)).await {
                Ok(Ok(list)) => {
                    log::debug!(target: "iav_bridge::client", "prewarm: {} exchange partners cached", list.len());
                }
                Ok(Err(e)) => {
                    let e = e.without_call_secrets();
                    log::info!(target: "iav_bridge::client", "prewarm failed: {e}");
                }
                Err(_) => log::info!(target: "iav_bridge::client", "prewarm timed out"),
            }
        });
        // Spawned and recorded under the lock, so that a clear_prepared on another thread
        // either finds the task or comes before it: none escapes it.
        let mut prewarms = lock(&self.inner.prewarms);
        prewarms.retain(|t| !t.is_finished());
        match runtime::spawn_abortable(task) {
            Ok(abort) => prewarms.push(abort),
            Err(e) => log::warn!(target: "iav_bridge::client", "prewarm could not start: {e}"),
        }
    }
}

impl BridgeClient {
    /// Runs one exported call on the shared runtime within the configured deadline.
    async fn call<T, F, Fut>(&self, name: &'static str, f: F) -> Result<T, BridgeError>
    where
        F: FnOnce(Arc<Inner>, Instant) -> Fut,
        Fut: Future<Output = Result<T, BridgeError>> + Send + 'static,
        T: Send + 'static,
    {
        let inner = self.inner.clone();
        let timeout = inner.cfg.timeout;
        let deadline = Instant::now() + timeout;
        let work = f(inner, deadline);
        let started = std::time::Instant::now();
        // The call's secrets (the bearer tokens it sent, its bodies' secrets) are redacted
        // from every text in it, and once more from its error as it leaves.
        let result = runtime::run(with_call_secrets(async move {
            match tokio::time::timeout_at(deadline, work).await {
                Ok(result) => result.map_err(BridgeError::without_call_secrets),
                Err(_) => Err(BridgeError::Timeout {
                    after_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
                }),
            }
        }))
        .await;
        let ms = started.elapsed().as_millis();
        match &result {
            Ok(_) => log::info!(target: "iav_bridge::client", "{name} succeeded in {ms} ms"),
            Err(e) => log::warn!(target: "iav_bridge::client", "{name} failed after {ms} ms: {e}"),
        }
        result
    }
}
