//! Completions that are never lost: the journal's flow (`crate::journal`) for the Plaid and MX
//! exchanges, their funding sources and debit cards, and the calls that resume what a kill, a
//! crash or a dead network left pending (`pending_completions`, `resume_pending`).
//!
//! A completion opens its entry (written before its request leaves, under the key derived from
//! what it completes), then moves it on as far as it goes ([`Inner::advance`]): the exchange
//! (the secret is dropped from the entry once it is known), then the funding source when its
//! details are known; the entry is crossed out with the funding source or a final refusal
//! ([`is_final`]). A timeout, a network failure, a 5xx or a cancelled call leaves it pending,
//! and the next attempt, by the app or by `resume_pending`, sends the same keys: the backend
//! replays its first answer.

use serde_json::json;
use tokio::time::Instant;

use super::requests::check_id;
use super::{BridgeClient, Inner};
use crate::card;
use crate::error::BridgeError;
use crate::hal::{BankAccountType, Exchange, FundingSource};
use crate::journal::{
    self, hex, new_salt, CardPlan, CompletionKind, Entry, FundingPlan, Listed, OwnerMark,
};
use crate::partners;
use crate::redaction::with_call_secrets;
use crate::runtime;

/// A completion the journal holds for the signed-in user: what it completes and how far it got.
/// It holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PendingCompletion {
    /// The completion's id (its `Idempotency-Key`).
    pub id: String,
    /// A Plaid or MX exchange, or a debit card.
    pub kind: CompletionKind,
    /// The customer id (or alias) it was called with.
    pub customer_id: String,
    /// The exchange, once the backend answered it; it then waits for `create_funding_source`
    /// (or for `resume_pending`, when `create_funding_source` had been called).
    pub exchange: Option<Exchange>,
    /// When it was written, in milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    /// When it expires (the partner's token lifetime while the token is needed, 24 hours once
    /// the exchange exists), in milliseconds since the Unix epoch.
    pub expires_at_ms: u64,
}

/// How one pending completion ended in `resume_pending`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum CompletionOutcome {
    /// Done: the funding source (the bank account or card is linked). The entry is removed.
    Completed {
        /// The funding source created (or the one the first attempt created, replayed).
        funding_source: FundingSource,
    },
    /// The exchange exists; it becomes a funding source with `create_funding_source` (the
    /// account's type and name were never given). The entry is kept until then.
    Exchanged {
        /// The exchange (the verified bank connection).
        exchange: Exchange,
    },
    /// Past the partner's token lifetime (Plaid's public token lives 30 minutes): it can no
    /// longer be completed; the user links the account again. The entry is removed.
    Expired,
    /// The backend refused it for good (the token was used or is invalid, a duplicate, a
    /// customer not found). The entry is removed.
    Refused {
        /// The refusal.
        error: BridgeError,
    },
    /// It could not finish now (no network, a timeout, a server error, no access token): the
    /// entry is kept; resume again later (for example when the network returns).
    Retry {
        /// What failed.
        error: BridgeError,
    },
    /// Written while another user was signed in: kept for that user, never resumed by this one.
    OtherUser,
    /// The store's bytes under this id are not an entry (corrupted, or of another version):
    /// nothing in it can be completed; the entry is removed.
    Unreadable,
}

/// One entry of `resume_pending`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ResumedCompletion {
    /// The completion's id.
    pub id: String,
    /// What it completes (`None` for an unreadable entry).
    pub kind: Option<CompletionKind>,
    /// The customer id (or alias) it was called with (`None` for an unreadable or another
    /// user's entry).
    pub customer_id: Option<String>,
    /// How it ended.
    pub outcome: CompletionOutcome,
}

/// How far [`Inner::advance`] moved an entry.
pub(super) enum Step {
    Exchanged(Exchange),
    Funded(FundingSource),
}

/// Whether an error is the backend's final answer to a completion (the entry is then removed):
/// a refusal of the request's content or of the resource. Network failures, timeouts, 401,
/// 429 and 5xx are not: the completion stays pending.
pub(super) fn is_final(e: &BridgeError) -> bool {
    match e {
        BridgeError::Validation { .. }
        | BridgeError::DuplicateFundingSource { .. }
        | BridgeError::RedirectUrlNotAllowed { .. }
        | BridgeError::Forbidden { .. }
        | BridgeError::NotFound { .. }
        | BridgeError::InvalidArgument { .. } => true,
        BridgeError::Server { status, .. } => {
            (400..500).contains(status) && *status != 408 && *status != 429
        }
        _ => false,
    }
}

#[uniffi::export]
impl BridgeClient {
    /// The completions the journal holds for the signed-in user (written by this process or,
    /// through the `CompletionStore`, by an earlier one): Link successes whose exchange or
    /// funding source has not come back yet. Another user's entries are left out. Asks the
    /// token provider, makes no request.
    pub async fn pending_completions(&self) -> Result<Vec<PendingCompletion>, BridgeError> {
        self.call("pending_completions", move |inner, _| async move {
            let mut out = Vec::new();
            for listed in inner.journal.list() {
                let Listed::Entry(e) = listed else { continue };
                if inner.owns(&e).await? {
                    out.push(PendingCompletion {
                        id: e.id.clone(),
                        kind: e.kind,
                        customer_id: e.customer_id.clone(),
                        exchange: e.exchange.as_ref().map(Exchange::from),
                        created_at_ms: e.created_ms,
                        expires_at_ms: e.expires_ms(),
                    });
                }
            }
            Ok(out)
        })
        .await
    }

    /// Finishes what is pending: call it when the screen that links accounts opens and when
    /// the network returns. Each of the signed-in user's entries is moved on with the keys its
    /// first attempt used (the backend replays what it already did: one exchange and one
    /// funding source whatever happened), each within its own `timeout_ms`, and reported:
    /// the funding source, the exchange waiting for `create_funding_source`, or why it cannot
    /// complete (expired and dropped, refused and dropped, to retry later, another user's).
    ///
    /// Fails only when the token provider cannot say who is signed in.
    pub async fn resume_pending(&self) -> Result<Vec<ResumedCompletion>, BridgeError> {
        let inner = self.inner.clone();
        let started = std::time::Instant::now();
        let result = runtime::run(with_call_secrets(async move {
            let mut out = Vec::new();
            for listed in inner.journal.list() {
                out.push(inner.resume_one(listed).await?);
            }
            Ok(out)
        }))
        .await
        .map_err(BridgeError::without_call_secrets);
        let ms = started.elapsed().as_millis();
        match &result {
            Ok(list) => {
                let done = list
                    .iter()
                    .filter(|r| matches!(r.outcome, CompletionOutcome::Completed { .. }))
                    .count();
                log::info!(target: "iav_bridge::client", "resume_pending: {} entr(ies), {done} completed, in {ms} ms", list.len());
            }
            Err(e) => {
                log::warn!(target: "iav_bridge::client", "resume_pending failed after {ms} ms: {e}");
            }
        }
        result
    }
}

impl Inner {
    /// Whether the signed-in user wrote `e` (its mark recomputed with the provider's token).
    pub(super) async fn owns(&self, e: &Entry) -> Result<bool, BridgeError> {
        let mark = self
            .transport
            .owner_mark(e.owner.salt.as_bytes())
            .await?
            .map(|m| hex(&m));
        // Compared here, in the app's process: no timing reaches another party.
        Ok(mark == e.owner.mac)
    }

    /// The entry of this completion: the one already written by the signed-in user (a repeat),
    /// or a new one, written before anything is sent.
    pub(super) async fn open_entry(
        &self,
        kind: CompletionKind,
        customer_id: &str,
        secret: &str,
        details: &[&str],
    ) -> Result<Entry, BridgeError> {
        let id = journal::completion_key(kind, customer_id, secret, details);
        if let Some(e) = self.journal.get(&id) {
            if self.owns(&e).await? {
                log::debug!(target: "iav_bridge::journal", "a {kind:?} completion repeated: its first attempt's keys are used");
                return Ok(e);
            }
        }
        let salt = new_salt();
        let mac = self
            .transport
            .owner_mark(salt.as_bytes())
            .await?
            .map(|m| hex(&m));
        let entry = Entry::new(kind, customer_id, secret, details, OwnerMark { salt, mac });
        self.journal.put(&entry);
        Ok(entry)
    }

    /// The signed-in user's entry whose exchange is `exchange_id`, if any.
    async fn entry_of_exchange(
        &self,
        customer_id: &str,
        exchange_id: &str,
    ) -> Result<Option<Entry>, BridgeError> {
        for listed in self.journal.list() {
            let Listed::Entry(e) = listed else { continue };
            if e.customer_id == customer_id
                && e.exchange.as_ref().is_some_and(|x| x.id == exchange_id)
                && self.owns(&e).await?
            {
                return Ok(Some(*e));
            }
        }
        Ok(None)
    }

    /// Moves `entry` on as far as it goes; a final refusal crosses it out.
    pub(super) async fn advance(
        &self,
        mut entry: Entry,
        deadline: Instant,
    ) -> Result<Step, BridgeError> {
        // Boxed: the requests' futures are large.
        let result = Box::pin(self.advance_entry(&mut entry, deadline)).await;
        if let Err(e) = &result {
            if is_final(e) {
                log::info!(target: "iav_bridge::journal", "a pending {:?} completion was refused for good and is removed: {e}", entry.kind);
                self.journal.remove(&entry.id);
            }
        }
        result
    }

    async fn advance_entry(
        &self,
        entry: &mut Entry,
        deadline: Instant,
    ) -> Result<Step, BridgeError> {
        let missing = || BridgeError::Internal {
            detail: "a pending completion lacks its token or details".into(),
        };
        if entry.kind == CompletionKind::Card {
            let token = entry.secret.clone().ok_or_else(missing)?;
            let plan = entry.card.clone().ok_or_else(missing)?;
            let body = card::body(&token, &plan.name, &plan.billing_address);
            let url =
                self.transport
                    .path_url(&["customers", &entry.customer_id, "funding-sources"]);
            let run = async {
                let resp = self
                    .transport
                    .post_keyed(&url, &body, &[&token], &entry.id, deadline)
                    .await?;
                let v = self.created_body(resp, "funding source", deadline).await?;
                self.funding_source(&v)
            };
            let fs = run.await.map_err(|e| e.without(&token))?;
            self.journal.remove(&entry.id);
            return Ok(Step::Funded(fs));
        }
        let exchange = if let Some(x) = &entry.exchange {
            Exchange::from(x)
        } else {
            let secret = entry.secret.clone().ok_or_else(missing)?;
            let x = self
                .post_exchange(entry.kind, &entry.customer_id, &secret, &entry.id, deadline)
                .await
                .map_err(|e| e.without(&secret))?;
            entry.exchange = Some((&x).into());
            entry.secret = None;
            self.journal.put(entry);
            x
        };
        let Some(plan) = entry.funding.clone() else {
            return Ok(Step::Exchanged(exchange));
        };
        let fs = self
            .post_funding_source(
                &entry.customer_id,
                &exchange.id,
                plan.bank_account_type,
                &plan.name,
                &plan.key,
                deadline,
            )
            .await?;
        self.journal.remove(&entry.id);
        Ok(Step::Funded(fs))
    }

    /// `POST customers/{id}/exchanges` for Plaid's public token or MX's connection token.
    async fn post_exchange(
        &self,
        kind: CompletionKind,
        customer_id: &str,
        secret: &str,
        key: &str,
        deadline: Instant,
    ) -> Result<Exchange, BridgeError> {
        let list = self.partner_list(deadline).await?;
        let body = if kind == CompletionKind::Mx {
            let mx = partners::find(&list, partners::MX)?;
            json!({
                "_links": {"exchange-partner": {"href": mx.href}},
                "mx": {"availableConnectionToken": secret},
            })
        } else {
            let plaid = partners::find(&list, partners::PLAID)?;
            json!({
                "_links": {"exchange-partner": {"href": plaid.href}},
                "plaid": {"publicToken": secret},
            })
        };
        let url = self
            .transport
            .path_url(&["customers", customer_id, "exchanges"]);
        // The token is a secret of the request: a backend that echoes it has it redacted.
        let resp = self
            .transport
            .post_keyed(&url, &body, &[secret], key, deadline)
            .await?;
        self.created_exchange(resp, deadline).await
    }

    /// `POST customers/{id}/funding-sources` of an exchange's bank account, with `key`.
    pub(super) async fn post_funding_source(
        &self,
        customer_id: &str,
        exchange_id: &str,
        bank_account_type: BankAccountType,
        name: &str,
        key: &str,
        deadline: Instant,
    ) -> Result<FundingSource, BridgeError> {
        let exchange = self.transport.path_url(&["exchanges", exchange_id]);
        let body = json!({
            "_links": {"exchange": {"href": exchange.as_str()}},
            "bankAccountType": bank_account_type.as_str(),
            "name": name,
        });
        let url = self
            .transport
            .path_url(&["customers", customer_id, "funding-sources"]);
        let resp = self
            .transport
            .post_keyed(&url, &body, &[], key, deadline)
            .await?;
        let v = self.created_body(resp, "funding source", deadline).await?;
        self.funding_source(&v)
    }

    /// A Plaid or MX completion through the journal: the exchange.
    pub(super) async fn complete_exchange(
        &self,
        kind: CompletionKind,
        customer_id: &str,
        secret: &str,
        deadline: Instant,
    ) -> Result<Exchange, BridgeError> {
        let entry = self.open_entry(kind, customer_id, secret, &[]).await?;
        // A repeat after the exchange came back: the exchange, without a request.
        if let Some(x) = &entry.exchange {
            return Ok(Exchange::from(x));
        }
        match self.advance(entry, deadline).await? {
            Step::Exchanged(x) => Ok(x),
            Step::Funded(_) => Err(BridgeError::Internal {
                detail: "an entry without its exchange had a funding source planned".into(),
            }),
        }
    }

    /// A debit card through the journal: the funding source.
    pub(super) async fn complete_card(
        &self,
        customer_id: &str,
        card_token: &str,
        plan: CardPlan,
        deadline: Instant,
    ) -> Result<FundingSource, BridgeError> {
        // The card's name and address go into its key: a repeat with other details is another
        // request (which Dwolla refuses for a used token), not a conflict of the key.
        let address = serde_json::to_string(&plan.billing_address).unwrap_or_default();
        let mut entry = self
            .open_entry(
                CompletionKind::Card,
                customer_id,
                card_token,
                &[&plan.name, &address],
            )
            .await?;
        if entry.card.as_ref() != Some(&plan) {
            entry.card = Some(plan);
            self.journal.put(&entry);
        }
        match self.advance(entry, deadline).await? {
            Step::Funded(fs) => Ok(fs),
            Step::Exchanged(_) => Err(BridgeError::Internal {
                detail: "a card completion has no exchange".into(),
            }),
        }
    }

    /// `create_funding_source`: through the signed-in user's entry of the exchange when there
    /// is one (its key derived from the completion's, so a repeat replays), else with a fresh
    /// key.
    pub(super) async fn complete_funding_source(
        &self,
        customer_id: &str,
        exchange_id: &str,
        bank_account_type: BankAccountType,
        name: &str,
        deadline: Instant,
    ) -> Result<FundingSource, BridgeError> {
        let Some(mut entry) = self.entry_of_exchange(customer_id, exchange_id).await? else {
            let key = uuid::Uuid::new_v4().to_string();
            return self
                .post_funding_source(
                    customer_id,
                    exchange_id,
                    bank_account_type,
                    name,
                    &key,
                    deadline,
                )
                .await;
        };
        let key = journal::funding_key(&entry.id, bank_account_type, name);
        entry.funding = Some(FundingPlan {
            bank_account_type,
            name: name.to_string(),
            key,
        });
        self.journal.put(&entry);
        match self.advance(entry, deadline).await? {
            Step::Funded(fs) => Ok(fs),
            Step::Exchanged(_) => Err(BridgeError::Internal {
                detail: "the funding source was not created".into(),
            }),
        }
    }

    /// One entry of `resume_pending`, within its own deadline.
    async fn resume_one(&self, listed: Listed) -> Result<ResumedCompletion, BridgeError> {
        let entry = match listed {
            Listed::Unreadable(id) => {
                log::warn!(target: "iav_bridge::journal", "a stored completion is unreadable (corrupted or of another version) and is removed");
                self.journal.remove(&id);
                return Ok(ResumedCompletion {
                    id,
                    kind: None,
                    customer_id: None,
                    outcome: CompletionOutcome::Unreadable,
                });
            }
            Listed::Entry(e) => *e,
        };
        let (id, kind) = (entry.id.clone(), entry.kind);
        if !self.owns(&entry).await? {
            return Ok(ResumedCompletion {
                id,
                kind: Some(kind),
                customer_id: None,
                outcome: CompletionOutcome::OtherUser,
            });
        }
        let customer_id = Some(entry.customer_id.clone());
        let done = |outcome| ResumedCompletion {
            id: id.clone(),
            kind: Some(kind),
            customer_id: customer_id.clone(),
            outcome,
        };
        if entry.is_expired(journal::now_ms()) {
            log::info!(target: "iav_bridge::journal", "a pending {kind:?} completion is past its token's lifetime and is removed");
            self.journal.remove(&id);
            return Ok(done(CompletionOutcome::Expired));
        }
        if let (Some(x), None) = (&entry.exchange, &entry.funding) {
            return Ok(done(CompletionOutcome::Exchanged {
                exchange: Exchange::from(x),
            }));
        }
        let timeout = self.cfg.timeout;
        let deadline = Instant::now() + timeout;
        let outcome = match tokio::time::timeout_at(deadline, self.advance(entry, deadline)).await {
            Ok(Ok(Step::Funded(fs))) => CompletionOutcome::Completed { funding_source: fs },
            Ok(Ok(Step::Exchanged(x))) => CompletionOutcome::Exchanged { exchange: x },
            Ok(Err(e)) if is_final(&e) => CompletionOutcome::Refused {
                error: e.without_call_secrets(),
            },
            Ok(Err(e)) => CompletionOutcome::Retry {
                error: e.without_call_secrets(),
            },
            Err(_) => CompletionOutcome::Retry {
                error: BridgeError::Timeout {
                    after_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
                },
            },
        };
        Ok(done(outcome))
    }
}

/// Checks a funding source's name as `create_funding_source` does.
pub(super) fn check_name(name: &str) -> Result<(), BridgeError> {
    let chars = name.chars().count();
    if name.trim().is_empty() || chars > 50 {
        return Err(BridgeError::InvalidArgument {
            reason: format!("name must be 1 to 50 characters and not blank (it has {chars})"),
        });
    }
    Ok(())
}

/// Checks the ids of `create_funding_source`.
pub(super) fn check_funding_ids(customer_id: &str, exchange_id: &str) -> Result<(), BridgeError> {
    check_id("customer_id", customer_id)?;
    check_id("exchange_id", exchange_id)
}
