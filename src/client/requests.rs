//! The request path the client's calls share: the exchange-partner list (cached), creating and
//! reading an exchange session, a created resource's body and the exchange or funding source
//! in it, what a session hands the app, and the check of the ids that go into URL paths.

use std::sync::Arc;

use serde_json::{json, Value};
use tokio::time::Instant;
use url::Url;

use super::Inner;
use crate::error::BridgeError;
use crate::hal::parse::{self, RawSession, SessionKind};
use crate::hal::{Exchange, ExchangePartner, FundingSource};
use crate::partners;
use crate::quote::Quoted;
use crate::redirect::policy::redirect_value;
use crate::session::{CheckoutPaymentSession, ExchangeSession, PlaidLinkSession};
use crate::transport::Response;

impl Inner {
    pub(super) async fn partner_list(
        &self,
        deadline: Instant,
    ) -> Result<Arc<Vec<ExchangePartner>>, BridgeError> {
        self.partners
            .get_or_fetch(|| async {
                let url = self.transport.path_url(&["exchange-partners"]);
                let resp = self.transport.get(&url, deadline).await?;
                let mut list = parse::partners(&resp.body)?;
                for p in &mut list {
                    p.href = self.transport.resolve_backend_href(&p.href)?.to_string();
                }
                Ok(list)
            })
            .await
    }

    /// `POST customers/{id}/exchange-sessions`; refetches the partner list once if the
    /// backend refuses the partner href (partner ids change between environments).
    pub(super) async fn create_session(
        &self,
        customer_id: &str,
        partner_name: &str,
        deadline: Instant,
    ) -> Result<(Url, Option<RawSession>), BridgeError> {
        let redirect = redirect_value(partner_name, &self.cfg.platform)?;
        let url = self
            .transport
            .path_url(&["customers", customer_id, "exchange-sessions"]);
        let mut refreshed = false;
        loop {
            let list = self.partner_list(deadline).await?;
            let partner = partners::find(&list, partner_name)?;
            let mut links = json!({"exchange-partner": {"href": partner.href}});
            if let Some(r) = &redirect {
                links["redirect-url"] = json!({"href": r});
            }
            match self
                .transport
                .post(&url, &json!({"_links": links}), deadline)
                .await
            {
                Err(e) if !refreshed && refuses_partner_href(&e) => {
                    log::warn!(target: "iav_bridge::client", "the backend refused the cached {partner_name} href; refreshing the partner list");
                    self.partners.invalidate(&list).await;
                    refreshed = true;
                }
                Err(e) => return Err(e),
                Ok(resp) => return self.created_session(&resp),
            }
        }
    }

    /// The session's URL (from `Location`) and, when the `201` carried it, the session.
    pub(super) fn created_session(
        &self,
        resp: &Response,
    ) -> Result<(Url, Option<RawSession>), BridgeError> {
        let location = resp
            .location
            .as_deref()
            .ok_or_else(|| BridgeError::InvalidResponse {
                detail: format!(
                    "the {} answer to creating an exchange session has no Location header",
                    resp.status
                ),
            })?;
        let url = self.transport.resolve_backend_href(location)?;
        let body = if is_blank(&resp.body) {
            None
        } else {
            Some(parse::session(&resp.body)?)
        };
        Ok((url, body))
    }

    pub(super) async fn read_session(
        &self,
        url: &Url,
        known: Option<RawSession>,
        deadline: Instant,
    ) -> Result<RawSession, BridgeError> {
        if let Some(raw) = known {
            return Ok(raw);
        }
        let resp = self.transport.get(url, deadline).await?;
        Ok(parse::session(&resp.body)?)
    }

    /// A created resource's JSON: from the `201`'s body, or read from its `Location`.
    pub(super) async fn created_body(
        &self,
        resp: Response,
        what: &str,
        deadline: Instant,
    ) -> Result<Value, BridgeError> {
        let body = if is_blank(&resp.body) {
            let location =
                resp.location
                    .as_deref()
                    .ok_or_else(|| BridgeError::InvalidResponse {
                        detail: format!(
                            "the {} answer to creating a {what} has neither a body nor a Location header",
                            resp.status
                        ),
                    })?;
            let url = self.transport.resolve_backend_href(location)?;
            self.transport.get(&url, deadline).await?.body
        } else {
            resp.body
        };
        Ok(parse::json(what, &body)?)
    }

    /// A created exchange (Plaid or MX), its URL on the backend.
    pub(super) async fn created_exchange(
        &self,
        resp: Response,
        deadline: Instant,
    ) -> Result<Exchange, BridgeError> {
        let raw = parse::exchange(&self.created_body(resp, "exchange", deadline).await?)?;
        Ok(Exchange {
            id: raw.id,
            url: self
                .transport
                .resolve_backend_href(&raw.self_href)?
                .to_string(),
            status: raw.label,
        })
    }

    /// A funding source resource, its URL on the backend.
    pub(super) fn funding_source(&self, v: &Value) -> Result<FundingSource, BridgeError> {
        let mut fs = parse::funding_source(v)?;
        fs.url = self.transport.resolve_backend_href(&fs.url)?.to_string();
        Ok(fs)
    }

    /// What a session read from the backend hands the app (its link token checked against the
    /// configured environment).
    pub(super) fn to_exchange_session(
        &self,
        url: &Url,
        raw: RawSession,
    ) -> Result<ExchangeSession, BridgeError> {
        let session_url = url.to_string();
        Ok(match raw.kind {
            SessionKind::Plaid { link_token } => {
                self.cfg.environment.check_link_token(&link_token)?;
                ExchangeSession::PlaidLink {
                    session: Arc::new(PlaidLinkSession::new(link_token, session_url, raw.created)),
                }
            }
            SessionKind::Web { url } => ExchangeSession::WebRedirect { session_url, url },
            SessionKind::Checkout { id, secret, token } => ExchangeSession::CheckoutPayment {
                session: Arc::new(CheckoutPaymentSession::new(id, secret, token, session_url)),
            },
            SessionKind::Unknown => ExchangeSession::Unrecognized { session_url },
        })
    }
}

/// An empty body (or only whitespace).
pub(super) fn is_blank(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
}

/// Whether the backend refused the exchange-partner href (a stale partner id).
fn refuses_partner_href(e: &BridgeError) -> bool {
    matches!(e, BridgeError::Validation { path, detail, .. }
        if path.as_deref() == Some("/_links/exchange-partner/href")
            || detail.contains("/_links/exchange-partner/href"))
}

/// Ids go into URL paths (percent-encoded); refuse the ones that cannot name a resource.
pub(super) fn check_id(what: &str, id: &str) -> Result<(), BridgeError> {
    if id.is_empty()
        || id == "."
        || id == ".."
        || id.len() > 256
        || id.chars().any(char::is_control)
    {
        return Err(BridgeError::InvalidArgument {
            reason: format!(
                "{what} {} is not an id: use the Dwolla id (or an alias such as 'me' that the backend accepts)",
                Quoted::long(id)
            ),
        });
    }
    Ok(())
}
