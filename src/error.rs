//! The errors exported calls return ([`BridgeError`], [`AccessTokenError`]) and the one place
//! where the crate's internal errors become a [`BridgeError`].
//!
//! Internal steps return small errors that keep what a caller can act on as fields: a refused
//! href ([`HrefError`]: who supplied it, the href, why), a malformed resource ([`Malformed`]:
//! which resource, which field), a link token of the other environment ([`LinkTokenError`]), a
//! redirect value the platform cannot give ([`RedirectPolicyError`]) and a broken redirect rule
//! ([`RedirectUrlError`], exported too). The `From` impls below pick the variant; `?` applies
//! them at the boundary. The status-to-error mapping is [`crate::status`].
//!
//! Field names avoid `message` and `cause`, which clash with Kotlin's `Throwable`.
//! No variant ever carries a token or a secret: messages are built from status codes,
//! Dwolla error codes, server-supplied `message` texts (cleaned by [`crate::redaction`]) and
//! the library's own words.

use crate::config::LinkTokenError;
use crate::hal::parse::Malformed;
use crate::redaction::redact_secret;
use crate::redirect::policy::RedirectPolicyError;
use crate::redirect::RedirectUrlError;
use crate::transport::{HrefError, HrefSupplier};

/// What went wrong in a call of `BridgeClient`. Every variant says what to fix or
/// what to do next; none carries a token or a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum BridgeError {
    /// The `BridgeConfig` given to `BridgeClient::new` is not usable.
    #[error("invalid configuration: {reason}")]
    InvalidConfiguration {
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// An argument of the call is unusable (an empty id, a funding source name over 50
    /// characters, a billing address field to fix, a session URL on another origin).
    #[error("invalid argument: {reason}")]
    InvalidArgument {
        /// Which argument and what to change.
        reason: String,
    },
    /// The platform's redirect value (Android package name or iOS URL) breaks a rule.
    #[error("invalid redirect value: {reason}")]
    InvalidRedirectUrl {
        /// Which rule failed.
        reason: String,
    },
    /// The backend does not offer the named exchange partner (or it is not active).
    #[error("exchange partner '{partner}' is not available from the backend; check that it is enabled for the Dwolla account")]
    PartnerUnavailable {
        /// The partner's name, as asked for (for example `Plaid`).
        partner: String,
    },
    /// 400: the backend or Dwolla refused the request's content.
    #[error("request refused ({code}): {detail}{}", path_suffix(path.as_deref()))]
    Validation {
        /// Dwolla's error code, for example `ValidationError`.
        code: String,
        /// Dwolla's explanation.
        detail: String,
        /// The JSON path of the offending field, where the server named one.
        path: Option<String>,
    },
    /// 400: the bank account (or card) is already a funding source of the customer: Dwolla's
    /// duplicate error. Show the existing one instead of linking again, or remove it first.
    #[error("already a funding source of the customer{}; use it, or remove it with remove_funding_source before linking again", existing_suffix(existing_id.as_deref()))]
    DuplicateFundingSource {
        /// The existing funding source's id (from Dwolla's `_links.about`), where the server
        /// named it.
        existing_id: Option<String>,
    },
    /// 400: the redirect value is not one of the URLs configured for the Dwolla account.
    #[error("redirect value not allowed: {detail} (add it to the account's redirect URLs, byte for byte)")]
    RedirectUrlNotAllowed {
        /// Dwolla's explanation.
        detail: String,
    },
    /// 400 `UpdateCredentials`: the user must re-authenticate the bank connection: call
    /// `start_reauth` with the exchange's id (the last path segment of `exchange_url`, or the
    /// id the app kept; `exchange_url` may be empty when the server named no exchange).
    #[error(
        "the bank connection needs re-authentication; start a re-auth session for {exchange_url}"
    )]
    ReauthRequired {
        /// The exchange to re-authenticate (backend URL), where the server named it.
        exchange_url: String,
    },
    /// 401: the backend refused the app's credential, even after one fresh token.
    #[error("unauthorized ({code}): {detail}")]
    Unauthorized {
        /// The error code, for example `InvalidAccessToken` or `InvalidScope`.
        code: String,
        /// The server's explanation.
        detail: String,
    },
    /// 403: the caller may not do this (for example the partner is not enabled for the account).
    #[error("forbidden ({code}): {detail}")]
    Forbidden {
        /// The error code, for example `forbidden`.
        code: String,
        /// The server's explanation.
        detail: String,
    },
    /// 404: the customer, session or exchange does not exist (or belongs to another user).
    #[error("not found: {detail}")]
    NotFound {
        /// The server's explanation.
        detail: String,
    },
    /// 429 after every retry: slow down.
    #[error("rate limited by the backend; retry after {retry_after_ms} ms")]
    RateLimited {
        /// How long the server asked to wait, in milliseconds (0 when it did not say).
        retry_after_ms: u64,
    },
    /// Any other HTTP error status (5xx after every retry, or an unexpected 4xx).
    #[error("backend error {status} ({code}): {detail}")]
    Server {
        /// The HTTP status code.
        status: u16,
        /// The error code from the body, or empty.
        code: String,
        /// The server's explanation, or a description of the status.
        detail: String,
    },
    /// The backend could not be reached (DNS, refused or reset connection, TLS failure).
    #[error("network error: {detail}")]
    Network {
        /// What failed, without any credential.
        detail: String,
    },
    /// The call did not finish within `timeout_ms`.
    #[error("timed out after {after_ms} ms")]
    Timeout {
        /// The deadline that passed, in milliseconds.
        after_ms: u64,
    },
    /// The backend answered with something this library cannot use.
    #[error("invalid response from the backend: {detail}")]
    InvalidResponse {
        /// Which field or header is missing or wrong.
        detail: String,
    },
    /// The app's `AccessTokenProvider` failed.
    #[error("the access token provider failed: {detail}")]
    TokenProvider {
        /// The provider's reason.
        detail: String,
    },
    /// A bug in this library (for example a caught panic). Please report it.
    #[error("internal error: {detail}")]
    Internal {
        /// What happened.
        detail: String,
    },
}

fn existing_suffix(id: Option<&str>) -> String {
    match id {
        Some(id) => format!(" (funding source {id})"),
        None => String::new(),
    }
}

impl BridgeError {
    /// The error with every occurrence of `secret` in its texts, in any letter case, replaced
    /// by [`crate::redaction::REDACTED`]: for calls that send a secret the app handed over (a card token, an MX
    /// connection token) or its bearer token, so that no server echo of it reaches the app or
    /// a log line.
    pub(crate) fn without(self, secret: &str) -> BridgeError {
        if secret.is_empty() {
            return self;
        }
        let s = |t: String| redact_secret(&t, secret);
        match self {
            BridgeError::InvalidConfiguration { reason } => {
                BridgeError::InvalidConfiguration { reason: s(reason) }
            }
            BridgeError::InvalidArgument { reason } => {
                BridgeError::InvalidArgument { reason: s(reason) }
            }
            BridgeError::InvalidRedirectUrl { reason } => {
                BridgeError::InvalidRedirectUrl { reason: s(reason) }
            }
            BridgeError::PartnerUnavailable { partner } => BridgeError::PartnerUnavailable {
                partner: s(partner),
            },
            BridgeError::Validation { code, detail, path } => BridgeError::Validation {
                code: s(code),
                detail: s(detail),
                path: path.map(s),
            },
            BridgeError::DuplicateFundingSource { existing_id } => {
                BridgeError::DuplicateFundingSource {
                    existing_id: existing_id.map(s),
                }
            }
            BridgeError::RedirectUrlNotAllowed { detail } => {
                BridgeError::RedirectUrlNotAllowed { detail: s(detail) }
            }
            BridgeError::ReauthRequired { exchange_url } => BridgeError::ReauthRequired {
                exchange_url: s(exchange_url),
            },
            BridgeError::Unauthorized { code, detail } => BridgeError::Unauthorized {
                code: s(code),
                detail: s(detail),
            },
            BridgeError::Forbidden { code, detail } => BridgeError::Forbidden {
                code: s(code),
                detail: s(detail),
            },
            BridgeError::NotFound { detail } => BridgeError::NotFound { detail: s(detail) },
            e @ (BridgeError::RateLimited { .. } | BridgeError::Timeout { .. }) => e,
            BridgeError::Server {
                status,
                code,
                detail,
            } => BridgeError::Server {
                status,
                code: s(code),
                detail: s(detail),
            },
            BridgeError::Network { detail } => BridgeError::Network { detail: s(detail) },
            BridgeError::InvalidResponse { detail } => {
                BridgeError::InvalidResponse { detail: s(detail) }
            }
            BridgeError::TokenProvider { detail } => {
                BridgeError::TokenProvider { detail: s(detail) }
            }
            BridgeError::Internal { detail } => BridgeError::Internal { detail: s(detail) },
        }
    }
}

impl BridgeError {
    /// The error without the secrets of the call running in this task (its bearer tokens, the
    /// secrets of its bodies: [`crate::redaction::note_call_secret`]): how every error leaves
    /// an exported call, a prepare or a prewarm.
    pub(crate) fn without_call_secrets(self) -> BridgeError {
        crate::redaction::call_secrets()
            .iter()
            .fold(self, |e, secret| e.without(secret))
    }
}

fn path_suffix(path: Option<&str>) -> String {
    match path {
        Some(p) => format!(" (at {p})"),
        None => String::new(),
    }
}

/// The configured redirect value breaks a rule: the exported variant has one text field, so
/// the platform and the rule are written into it (`invalid iOS redirect URL: ...`).
impl From<RedirectUrlError> for BridgeError {
    fn from(e: RedirectUrlError) -> Self {
        BridgeError::InvalidRedirectUrl {
            reason: e.to_string(),
        }
    }
}

impl From<RedirectPolicyError> for BridgeError {
    fn from(e: RedirectPolicyError) -> Self {
        BridgeError::InvalidRedirectUrl {
            reason: e.to_string(),
        }
    }
}

/// A refused href is the app's mistake when the app passed it, the backend's otherwise.
impl From<HrefError> for BridgeError {
    fn from(e: HrefError) -> Self {
        match e.supplier {
            HrefSupplier::Argument(name) => BridgeError::InvalidArgument {
                reason: format!("{name} {e}"),
            },
            HrefSupplier::Backend => BridgeError::InvalidResponse {
                detail: e.to_string(),
            },
        }
    }
}

impl From<Malformed> for BridgeError {
    fn from(e: Malformed) -> Self {
        BridgeError::InvalidResponse {
            detail: e.to_string(),
        }
    }
}

/// A token that is no link token is the backend's fault; one of the other environment means
/// the client is configured for the wrong backend or environment.
impl From<LinkTokenError> for BridgeError {
    fn from(e: LinkTokenError) -> Self {
        match e {
            LinkTokenError::NotALinkToken => BridgeError::InvalidResponse {
                detail: e.to_string(),
            },
            LinkTokenError::WrongEnvironment { .. } => BridgeError::InvalidConfiguration {
                reason: e.to_string(),
            },
        }
    }
}

/// What an `AccessTokenProvider` implementation throws when it cannot give a token.
/// Any other exception thrown by a Kotlin or Swift implementation becomes `Failed` too.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum AccessTokenError {
    /// No token could be obtained (signed out, refresh failed, ...).
    #[error("could not get an access token: {reason}")]
    Failed {
        /// Why, in the app's words. Must not contain the token itself.
        reason: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for AccessTokenError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        AccessTokenError::Failed { reason: e.reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redaction::REDACTED;

    #[test]
    fn without_replaces_a_secret_in_every_text() {
        let secret = "src_4gzeau5o2uqubbk6fufs3m7p54";
        let e = BridgeError::Validation {
            code: "ValidationError".into(),
            detail: format!("The card data is invalid: {secret}"),
            path: Some(format!("/cardToken/{secret}")),
        }
        .without(secret);
        let text = format!("{e} {e:?}");
        assert!(!text.contains(secret), "{text}");
        let e = BridgeError::NotFound {
            detail: secret.to_ascii_uppercase(),
        }
        .without(secret);
        assert_eq!(
            e,
            BridgeError::NotFound {
                detail: REDACTED.into()
            }
        );
        assert!(
            text.contains("The card data is invalid: <redacted>"),
            "{text}"
        );
        let e = BridgeError::Server {
            status: 502,
            code: String::new(),
            detail: secret.into(),
        }
        .without(secret);
        assert_eq!(
            e,
            BridgeError::Server {
                status: 502,
                code: String::new(),
                detail: REDACTED.into()
            }
        );
        let t = BridgeError::Timeout { after_ms: 5 };
        assert_eq!(t.clone().without(secret), t);
        let n = BridgeError::NotFound { detail: "x".into() };
        assert_eq!(n.clone().without(""), n);
    }
}
