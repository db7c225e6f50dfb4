//! The status-to-error mapping: the typed [`BridgeError`] for an HTTP error status and the
//! body the backend (or Dwolla through it) sent with it. Pure, no I/O.
//!
//! 400 splits by Dwolla's error code and message (re-authentication, a redirect value the
//! account does not allow, other validation errors), 401, 403, 404 and 429 have their own
//! variants, and every other status becomes [`BridgeError::Server`]. Server texts are cleaned
//! by [`crate::redaction::clean_detail`] before they enter an error.

use serde_json::Value;

use crate::error::BridgeError;
use crate::redaction::clean_detail;

/// The message Dwolla gives when a redirect value is not configured for the account.
pub(crate) const REDIRECT_NOT_CONFIGURED: &str = "must exactly match one of the configured URLs";

/// The typed error for an HTTP error status and its body. `retry_after_ms` comes from the
/// `Retry-After` header. `rebase` maps an href in the body onto the backend.
pub(crate) fn error_from_status(
    status: u16,
    body: &[u8],
    retry_after_ms: Option<u64>,
    rebase: &dyn Fn(&str) -> Option<String>,
) -> BridgeError {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let text = |p: &str| v.pointer(p).and_then(Value::as_str).map(clean_detail);
    let code = text("/code").or_else(|| text("/error")).unwrap_or_default();
    let first_code = text("/_embedded/errors/0/code");
    let first_msg = text("/_embedded/errors/0/message");
    let path = text("/_embedded/errors/0/path");
    let detail = first_msg
        .clone()
        .or_else(|| text("/message"))
        .or_else(|| text("/error_description"))
        .unwrap_or_else(|| default_detail(status));
    match status {
        400 => {
            if code == "UpdateCredentials" || first_code.as_deref() == Some("UpdateCredentials") {
                let exchange_url = v
                    .pointer("/_links/about/href")
                    .and_then(Value::as_str)
                    .and_then(rebase)
                    .map(|u| exchange_url_of(&u))
                    .unwrap_or_default();
                BridgeError::ReauthRequired { exchange_url }
            } else if detail.contains(REDIRECT_NOT_CONFIGURED)
                || text("/message").is_some_and(|m| m.contains(REDIRECT_NOT_CONFIGURED))
            {
                BridgeError::RedirectUrlNotAllowed { detail }
            } else {
                BridgeError::Validation {
                    code: if code.is_empty() {
                        first_code.unwrap_or_else(|| "ValidationError".into())
                    } else {
                        code
                    },
                    detail,
                    path,
                }
            }
        }
        401 => BridgeError::Unauthorized { code, detail },
        403 => BridgeError::Forbidden { code, detail },
        404 => BridgeError::NotFound { detail },
        429 => BridgeError::RateLimited {
            retry_after_ms: retry_after_ms.unwrap_or(0),
        },
        _ => BridgeError::Server {
            status,
            code,
            detail,
        },
    }
}

/// `.../exchanges/{id}/exchange-sessions` -> `.../exchanges/{id}`.
fn exchange_url_of(href: &str) -> String {
    href.strip_suffix("/exchange-sessions")
        .unwrap_or(href)
        .to_string()
}

fn default_detail(status: u16) -> String {
    match status {
        400 => "the request was refused".into(),
        401 => "the backend refused the app's access token".into(),
        403 => "the caller may not do this".into(),
        404 => "the requested resource was not found".into(),
        429 => "too many requests".into(),
        502 => "the backend could not reach Dwolla (bad gateway)".into(),
        503 => "the backend is unavailable".into(),
        504 => "the backend timed out waiting for Dwolla".into(),
        s => format!("HTTP status {s}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::unnecessary_wraps)] // the shape of error_from_status's `rebase`
    fn no_rebase(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn errors_by_status_and_code() {
        let e = error_from_status(400, br#"{"code":"ValidationError","message":"Validation error(s) present.","_embedded":{"errors":[{"code":"Invalid","message":"/_links/exchange-partner/href is invalid","path":"/_links/exchange-partner/href"}]}}"#, None, &no_rebase);
        assert_eq!(
            e,
            BridgeError::Validation {
                code: "ValidationError".into(),
                detail: "/_links/exchange-partner/href is invalid".into(),
                path: Some("/_links/exchange-partner/href".into())
            }
        );
        let e = error_from_status(400, br#"{"code":"ValidationError","message":"The provided redirect URL must exactly match one of the configured URLs for the account"}"#, None, &no_rebase);
        assert!(matches!(e, BridgeError::RedirectUrlNotAllowed { .. }));
        let e = error_from_status(400, br#"{"code":"UpdateCredentials","message":"re-auth","_links":{"about":{"href":"https://b/exchanges/9/exchange-sessions"}}}"#, None, &no_rebase);
        assert_eq!(
            e,
            BridgeError::ReauthRequired {
                exchange_url: "https://b/exchanges/9".into()
            }
        );
        assert!(
            matches!(error_from_status(401, br#"{"code":"InvalidScope","message":"m"}"#, None, &no_rebase), BridgeError::Unauthorized { ref code, .. } if code == "InvalidScope")
        );
        assert!(matches!(
            error_from_status(
                403,
                br#"{"code":"forbidden","message":"m"}"#,
                None,
                &no_rebase
            ),
            BridgeError::Forbidden { .. }
        ));
        assert!(matches!(
            error_from_status(404, b"", None, &no_rebase),
            BridgeError::NotFound { .. }
        ));
        assert_eq!(
            error_from_status(429, b"", Some(1500), &no_rebase),
            BridgeError::RateLimited {
                retry_after_ms: 1500
            }
        );
        assert!(
            matches!(error_from_status(502, b"oops", None, &no_rebase), BridgeError::Server { status: 502, ref detail, .. } if detail.contains("bad gateway"))
        );
    }

    #[test]
    fn server_text_is_cleaned_of_tokens() {
        let e = error_from_status(
            400,
            br#"{"code":"InvalidExchangeToken","message":"token public-sandbox-1234567890 was used; link link-sandbox-abcdefgh"}"#,
            None,
            &no_rebase,
        );
        let s = format!("{e} {e:?}");
        assert!(!s.contains("public-sandbox-1234567890"), "{s}");
        assert!(!s.contains("link-sandbox-abcdefgh"), "{s}");
        assert!(s.contains("<redacted>"));
    }
}
