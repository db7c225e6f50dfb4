//! Plaid Link: the session the customer opens Link with (`start_plaid_link`, made ahead of the
//! tap by `prepare_plaid_link`), the exchange of the public token Link returns
//! (`complete_plaid_link`), and re-authentication of an exchange in update mode
//! (`start_reauth`, `prepare_reauth`).

use std::sync::Arc;

use serde_json::json;
use tokio::time::Instant;
use url::Url;

use super::requests::check_id;
use super::{BridgeClient, Inner};
use crate::error::BridgeError;
use crate::hal::parse::RawSession;
use crate::hal::Exchange;
use crate::journal::CompletionKind;
use crate::partners;
use crate::prepared::{Owner, Prepared, Taken};
use crate::redaction::with_call_secrets;
use crate::redirect::policy::redirect_value;
use crate::runtime;
use crate::session::{ExchangeSession, PlaidLinkSession};
use crate::transport::answered_as;

/// Which prepared sessions: Plaid Link (by customer id) or re-authentication (by exchange id).
#[derive(Clone, Copy, Debug)]
enum Kind {
    Plaid,
    Reauth,
}

impl Kind {
    fn prepare_name(self) -> &'static str {
        match self {
            Kind::Plaid => "prepare_plaid_link",
            Kind::Reauth => "prepare_reauth",
        }
    }
}

#[uniffi::export]
impl BridgeClient {
    /// The main job: creates a Plaid exchange session for the customer with the platform's
    /// redirect value (Android: the package name; iOS: the universal link; web: none), reads it,
    /// and returns the Plaid Link token to open Plaid's Link SDK with.
    ///
    /// After `prepare_plaid_link` for the same `customer_id`, it returns the prepared session
    /// without a request (once: sessions are single-use), waits for it if it is still being
    /// created, and creates one as above if it failed, was handed out already, is older than
    /// the freshness limit (3 hours by default, `BridgeConfig::prepared_max_age_ms`; the time
    /// the device slept counts), or was made with another access token than the one the
    /// `AccessTokenProvider` hands out now (another user's: it is dropped).
    ///
    /// `customer_id` is the Dwolla customer's id, or an alias the backend accepts (`me`).
    pub async fn start_plaid_link(
        &self,
        customer_id: String,
    ) -> Result<Arc<PlaidLinkSession>, BridgeError> {
        self.call("start_plaid_link", move |inner, deadline| async move {
            check_id("customer_id", &customer_id)?;
            if let Some(session) = inner.take_prepared(Kind::Plaid, &customer_id).await {
                return Ok(session);
            }
            inner.new_plaid_session(&customer_id, deadline).await
        })
        .await
    }

    /// Creates, in the background, the session `start_plaid_link(customer_id)` will return, so
    /// that the tap makes no request: call it when the screen that offers bank verification
    /// appears, then `start_plaid_link` and hand its token to Plaid's
    /// `createPlaidLinkSession` at once, enabling the button on Link's `onLoad`.
    ///
    /// Returns at once. One session per customer id is kept, in memory only; a second call while
    /// one is being created or a fresh one is kept does nothing. Errors are logged, not thrown:
    /// the next `start_plaid_link` then creates its own session and reports its own error.
    /// The session belongs to the access token its requests carried. `clear_prepared` and
    /// dropping the client cancel it.
    pub fn prepare_plaid_link(&self, customer_id: String) {
        self.inner.prepare(Kind::Plaid, customer_id);
    }

    /// Starts re-authentication of an exchange whose bank connection needs it
    /// (`BridgeError::ReauthRequired`): a new Plaid Link session in update mode.
    ///
    /// After `prepare_reauth` for the same `exchange_id`, it returns the prepared session as
    /// `start_plaid_link` does (update-mode tokens live 30 minutes: prepared ones are kept 20
    /// minutes by default).
    pub async fn start_reauth(
        &self,
        exchange_id: String,
    ) -> Result<Arc<PlaidLinkSession>, BridgeError> {
        self.call("start_reauth", move |inner, deadline| async move {
            check_id("exchange_id", &exchange_id)?;
            if let Some(session) = inner.take_prepared(Kind::Reauth, &exchange_id).await {
                return Ok(session);
            }
            inner.new_reauth_session(&exchange_id, deadline).await
        })
        .await
    }

    /// Creates, in the background, the session `start_reauth(exchange_id)` will return, as
    /// `prepare_plaid_link` does for `start_plaid_link`: call it when the screen that asks the
    /// user to reconnect the bank appears. Returns at once; errors are logged, not thrown.
    pub fn prepare_reauth(&self, exchange_id: String) {
        self.inner.prepare(Kind::Reauth, exchange_id);
    }

    /// Exchanges the `public_token` that Plaid Link returned on success for a Dwolla exchange
    /// (a verified connection to the bank account).
    ///
    /// The completion is written to the journal (the client's `CompletionStore`) before its
    /// request leaves, under an `Idempotency-Key` derived from the customer and the token: the
    /// same call repeated (after a `Timeout`, a `Network` error, a kill) replays the first
    /// answer, the exchange, never `InvalidExchangeToken`. It stays pending until
    /// `create_funding_source` of its exchange; `resume_pending` finishes it after a restart.
    pub async fn complete_plaid_link(
        &self,
        customer_id: String,
        public_token: String,
    ) -> Result<Exchange, BridgeError> {
        self.call("complete_plaid_link", move |inner, deadline| async move {
            check_id("customer_id", &customer_id)?;
            if public_token.is_empty() || public_token.chars().any(char::is_whitespace) {
                return Err(BridgeError::InvalidArgument {
                    reason: "public_token must be the non-empty token Plaid Link returned, without whitespace".into(),
                });
            }
            // The public token is a secret of the request, as an MX or card token is: a backend
            // that echoes it (with Plaid's `public-` prefix or without) has it redacted.
            inner
                .complete_exchange(CompletionKind::Plaid, &customer_id, &public_token, deadline)
                .await
                .map_err(|e| e.without(&public_token))
        })
        .await
    }
}

impl Inner {
    fn prepared(&self, kind: Kind) -> &Prepared<Arc<PlaidLinkSession>> {
        match kind {
            Kind::Plaid => &self.prepared_plaid,
            Kind::Reauth => &self.prepared_reauth,
        }
    }

    /// Starts a prepare in the background unless one is in flight or a fresh one is kept.
    fn prepare(self: &Arc<Self>, kind: Kind, key: String) {
        let name = kind.prepare_name();
        let what = match kind {
            Kind::Plaid => "customer_id",
            Kind::Reauth => "exchange_id",
        };
        if let Err(e) = check_id(what, &key) {
            log::warn!(target: "iav_bridge::client", "{name}: {e}");
            return;
        }
        let slots = self.prepared(kind);
        let Some(ticket) = slots.begin(&key) else {
            log::debug!(target: "iav_bridge::client", "{name}: a session is already prepared or being prepared");
            return;
        };
        let (ticket_key, ticket_id) = (ticket.key().to_string(), ticket.id());
        let inner = self.clone();
        let timeout = self.cfg.timeout;
        let deadline = Instant::now() + timeout;
        let started = std::time::Instant::now();
        let task = with_call_secrets(async move {
            let work = async {
                match kind {
                    Kind::Plaid => inner.new_plaid_session(&key, deadline).await,
                    Kind::Reauth => inner.new_reauth_session(&key, deadline).await,
                }
            };
            // Whose tokens the prepare's answers came with: the session is that user's.
            let (made, owners) = answered_as(tokio::time::timeout_at(deadline, work)).await;
            let made = match made {
                Ok(made) => made.map_err(BridgeError::without_call_secrets),
                Err(_) => Err(BridgeError::Timeout {
                    after_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
                }),
            };
            let ms = started.elapsed().as_millis();
            match (made, <[Owner; 1]>::try_from(owners)) {
                (Ok(session), Ok([owner])) => {
                    if inner.prepared(kind).finish(ticket, session, owner) {
                        log::info!(target: "iav_bridge::client", "{name}: session ready in {ms} ms");
                    } else {
                        log::debug!(target: "iav_bridge::client", "{name}: session dropped, the prepared sessions were cleared meanwhile");
                    }
                }
                (Ok(_), Err(owners)) => {
                    drop(ticket);
                    log::warn!(target: "iav_bridge::client", "{name}: session dropped, its requests carried {} different access tokens; the next start creates its own session", owners.len());
                }
                (Err(e), _) => {
                    drop(ticket);
                    log::warn!(target: "iav_bridge::client", "{name} failed after {ms} ms: {e}; the next start creates its own session");
                }
            }
        });
        match runtime::spawn_abortable(task) {
            Ok(abort) => slots.attach(&ticket_key, ticket_id, abort),
            Err(e) => log::warn!(target: "iav_bridge::client", "{name} could not start: {e}"),
        }
    }

    /// The prepared session for `key`, if a fresh one was kept (waiting for one in flight) for
    /// the access token the provider hands out now. One made with another token (another
    /// user's: the app did not call `clear_prepared` at sign-out) is dropped with every other
    /// session of that token, and the start creates its own.
    async fn take_prepared(&self, kind: Kind, key: &str) -> Option<Arc<PlaidLinkSession>> {
        let slots = self.prepared(kind);
        if !slots.holds(key) {
            return None;
        }
        // Who is signed in now: the provider's token, fingerprinted (no request).
        let owner = self.transport.current_owner().await;
        match slots.take(key, owner.as_ref()).await {
            Taken::Fresh(session) => {
                log::debug!(target: "iav_bridge::client", "{}: the prepared session, no request", kind.prepare_name());
                Some(session)
            }
            Taken::Stale => {
                log::info!(target: "iav_bridge::client", "{}: the prepared session is older than {} s, replaced by a new one", kind.prepare_name(), slots.max_age().as_secs());
                None
            }
            Taken::OtherOwner => {
                let dropped = self.prepared_plaid.retain_owner(owner.as_ref())
                    + self.prepared_reauth.retain_owner(owner.as_ref());
                log::info!(target: "iav_bridge::client", "{}: the prepared session was made with another access token (another user's?); dropped with {dropped} other(s), a new one is created", kind.prepare_name());
                None
            }
            Taken::Missing => None,
        }
    }

    /// `POST customers/{id}/exchange-sessions` for Plaid, then the session read.
    async fn new_plaid_session(
        &self,
        customer_id: &str,
        deadline: Instant,
    ) -> Result<Arc<PlaidLinkSession>, BridgeError> {
        let (url, body) = self
            .create_session(customer_id, partners::PLAID, deadline)
            .await?;
        let raw = self.read_session(&url, body, deadline).await?;
        self.plaid_session(&url, raw)
    }

    /// `POST exchanges/{id}/exchange-sessions` (update mode), then the session read.
    async fn new_reauth_session(
        &self,
        exchange_id: &str,
        deadline: Instant,
    ) -> Result<Arc<PlaidLinkSession>, BridgeError> {
        let redirect = redirect_value(partners::PLAID, &self.cfg.platform)?;
        let body = match redirect {
            Some(r) => json!({"_links": {"redirect-url": {"href": r}}}),
            None => json!({}),
        };
        let url = self
            .transport
            .path_url(&["exchanges", exchange_id, "exchange-sessions"]);
        let resp = self.transport.post(&url, &body, deadline).await?;
        let (url, body) = self.created_session(&resp)?;
        let raw = self.read_session(&url, body, deadline).await?;
        self.plaid_session(&url, raw)
    }

    fn plaid_session(
        &self,
        url: &Url,
        raw: RawSession,
    ) -> Result<Arc<PlaidLinkSession>, BridgeError> {
        match self.to_exchange_session(url, raw)? {
            ExchangeSession::PlaidLink { session } => Ok(session),
            _ => Err(BridgeError::InvalidResponse {
                detail: "the exchange session has no externalProviderSessionToken (is the partner Plaid?)".into(),
            }),
        }
    }
}
