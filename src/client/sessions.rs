//! Exchange sessions with any partner by name (`Plaid`, `MX`, `Checkout.com`, `Visa`) and the
//! exchange-partner list: `exchange_partners`, `create_exchange_session`, and
//! `exchange_session`, which returns a session that the `201` of `create_exchange_session`
//! carried without another request.

use super::requests::check_id;
use super::{BridgeClient, Inner};
use crate::error::BridgeError;
use crate::hal::parse::RawSession;
use crate::hal::ExchangePartner;
use crate::session::ExchangeSession;
use crate::transport::HrefSupplier;

/// Sessions read from the body of a `201` that the app has not asked for yet: a few, each
/// handed out once, so `exchange_session` after `create_exchange_session` needs no request.
const PENDING_SESSIONS: usize = 8;

#[uniffi::export]
impl BridgeClient {
    /// The exchange partners the backend offers (cached per client; refreshed when a partner
    /// href is refused).
    pub async fn exchange_partners(&self) -> Result<Vec<ExchangePartner>, BridgeError> {
        self.call("exchange_partners", |inner, deadline| async move {
            Ok(inner.partner_list(deadline).await?.as_ref().clone())
        })
        .await
    }

    /// Creates an exchange session with any partner by name (`Plaid`, `MX`, `Checkout.com`,
    /// `Visa`) and returns its URL on the backend; read it with `exchange_session`.
    ///
    /// Visa needs an https redirect URL, which only `Platform::Ios` carries (its universal link
    /// is sent): on Android and the web a Visa session is refused before any request
    /// (`InvalidRedirectUrl`).
    pub async fn create_exchange_session(
        &self,
        customer_id: String,
        partner_name: String,
    ) -> Result<String, BridgeError> {
        self.call(
            "create_exchange_session",
            move |inner, deadline| async move {
                check_id("customer_id", &customer_id)?;
                let (url, body) = inner
                    .create_session(&customer_id, &partner_name, deadline)
                    .await?;
                if let Some(raw) = body {
                    inner.remember(url.to_string(), raw);
                }
                Ok(url.to_string())
            },
        )
        .await
    }

    /// Reads an exchange session: what its partner hands the app.
    pub async fn exchange_session(
        &self,
        session_url: String,
    ) -> Result<ExchangeSession, BridgeError> {
        self.call("exchange_session", move |inner, deadline| async move {
            let url = inner
                .transport
                .resolve_href(&session_url, HrefSupplier::Argument("session_url"))?;
            let pending = inner.take_pending(url.as_str());
            let raw = inner.read_session(&url, pending, deadline).await?;
            inner.to_exchange_session(&url, raw)
        })
        .await
    }
}

impl Inner {
    fn remember(&self, url: String, raw: RawSession) {
        if let Ok(mut pending) = self.pending.lock() {
            if pending.len() == PENDING_SESSIONS {
                pending.pop_front();
            }
            pending.push_back((url, raw));
        }
    }

    fn take_pending(&self, url: &str) -> Option<RawSession> {
        let mut pending = self.pending.lock().ok()?;
        let i = pending.iter().position(|(u, _)| u == url)?;
        pending.remove(i).map(|(_, raw)| raw)
    }
}
