//! What an exchange session hands the app: a Plaid Link token, a web page to open, or a
//! Checkout.com payment session; and what MX Connect leaves behind, an [`MxConnection`]. Tokens and secrets are readable through their accessors only;
//! `Debug`, `Display`, Kotlin's `toString()` and Swift's `description` redact them (with
//! [`REDACTED`], from [`crate::redaction`]).

use std::fmt;
use std::sync::Arc;

use crate::redaction::REDACTED;

/// A Plaid Link session: open Plaid's Link SDK with `link_token`.
/// The token is short-lived and single-use.
#[derive(uniffi::Object, Clone, PartialEq, Eq)]
#[uniffi::export(Debug, Display)]
pub struct PlaidLinkSession {
    link_token: String,
    session_url: String,
    created: String,
}

impl PlaidLinkSession {
    pub(crate) fn new(link_token: String, session_url: String, created: String) -> Self {
        PlaidLinkSession {
            link_token,
            session_url,
            created,
        }
    }
}

#[uniffi::export]
impl PlaidLinkSession {
    /// The Plaid Link token (`link-sandbox-...` or `link-production-...`) to open Link with.
    /// Never log it.
    pub fn link_token(&self) -> String {
        self.link_token.clone()
    }

    /// The exchange session's URL on the app's backend.
    pub fn session_url(&self) -> String {
        self.session_url.clone()
    }

    /// When Dwolla created the session (RFC 3339).
    pub fn created(&self) -> String {
        self.created.clone()
    }
}

impl fmt::Debug for PlaidLinkSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlaidLinkSession")
            .field("session_url", &self.session_url)
            .field("created", &self.created)
            .field("link_token", &REDACTED)
            .finish()
    }
}

impl fmt::Display for PlaidLinkSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PlaidLinkSession(sessionUrl={}, created={}, linkToken={REDACTED})",
            self.session_url, self.created
        )
    }
}

/// A Checkout.com payment session for debit card capture (Push to Card): hand its values to
/// Checkout.com's Flow component. The secret and token are readable here only.
#[derive(uniffi::Object, Clone, PartialEq, Eq)]
#[uniffi::export(Debug, Display)]
pub struct CheckoutPaymentSession {
    id: String,
    payment_session_secret: String,
    payment_session_token: String,
    session_url: String,
}

impl CheckoutPaymentSession {
    pub(crate) fn new(
        id: String,
        payment_session_secret: String,
        payment_session_token: String,
        session_url: String,
    ) -> Self {
        CheckoutPaymentSession {
            id,
            payment_session_secret,
            payment_session_token,
            session_url,
        }
    }
}

#[uniffi::export]
impl CheckoutPaymentSession {
    /// Checkout.com's payment session id (`ps_...`).
    pub fn id(&self) -> String {
        self.id.clone()
    }

    /// The payment session secret. Never log it.
    pub fn payment_session_secret(&self) -> String {
        self.payment_session_secret.clone()
    }

    /// The payment session token. Never log it.
    pub fn payment_session_token(&self) -> String {
        self.payment_session_token.clone()
    }

    /// The exchange session's URL on the app's backend.
    pub fn session_url(&self) -> String {
        self.session_url.clone()
    }
}

impl fmt::Debug for CheckoutPaymentSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckoutPaymentSession")
            .field("id", &self.id)
            .field("session_url", &self.session_url)
            .field("payment_session_secret", &REDACTED)
            .field("payment_session_token", &REDACTED)
            .finish()
    }
}

impl fmt::Display for CheckoutPaymentSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CheckoutPaymentSession(id={}, sessionUrl={}, paymentSessionSecret={REDACTED}, paymentSessionToken={REDACTED})",
            self.id, self.session_url
        )
    }
}

/// A bank account the user connected in MX Connect, not yet exchanged: pass it to
/// `BridgeClient::complete_mx_connection`. Its token is a one-time secret, readable through
/// `available_connection_token()` only; every printed form redacts it.
#[derive(uniffi::Object, Clone, PartialEq, Eq)]
#[uniffi::export(Debug, Display)]
pub struct MxConnection {
    name: String,
    available_connection_token: String,
}

impl MxConnection {
    pub(crate) fn new(name: String, available_connection_token: String) -> Self {
        MxConnection {
            name,
            available_connection_token,
        }
    }
}

#[uniffi::export]
impl MxConnection {
    /// The account's name as MX gives it (for example `XYZ Checking`), to show to the user.
    pub fn name(&self) -> String {
        self.name.clone()
    }

    /// The available connection token Dwolla's exchange takes (one-time). Never log it.
    pub fn available_connection_token(&self) -> String {
        self.available_connection_token.clone()
    }
}

impl fmt::Debug for MxConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MxConnection")
            .field("name", &self.name)
            .field("available_connection_token", &REDACTED)
            .finish()
    }
}

impl fmt::Display for MxConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MxConnection(name={}, availableConnectionToken={REDACTED})",
            self.name
        )
    }
}

/// An exchange session, by what its partner hands back.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ExchangeSession {
    /// Plaid: open Plaid Link with the session's token.
    PlaidLink {
        /// The session (its token is redacted from every printed form).
        session: Arc<PlaidLinkSession>,
    },
    /// MX (and Visa): open `url` in a browser or web view. For MX, once the page is closed,
    /// `mx_connections` lists what the user connected.
    WebRedirect {
        /// The exchange session's URL on the app's backend.
        session_url: String,
        /// The partner's page that completes the verification.
        url: String,
    },
    /// Checkout.com: capture a debit card with Checkout.com's Flow component.
    CheckoutPayment {
        /// The payment session (its secret and token are redacted from every printed form).
        session: Arc<CheckoutPaymentSession>,
    },
    /// A partner whose session this version of the library does not know how to use.
    Unrecognized {
        /// The exchange session's URL on the app's backend.
        session_url: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_mx_connection_prints_its_name_not_its_token() {
        let c = MxConnection::new("XYZ Checking".into(), "eyJhY2NvdW50SWQiOiJBQ1Qt".into());
        assert_eq!(c.available_connection_token(), "eyJhY2NvdW50SWQiOiJBQ1Qt");
        assert_eq!(
            c.to_string(),
            "MxConnection(name=XYZ Checking, availableConnectionToken=<redacted>)"
        );
        let debug = format!("{c:?} {c:#?}");
        assert!(
            !debug.contains("eyJ") && debug.contains("XYZ Checking"),
            "{debug}"
        );
    }
}
