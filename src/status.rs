//! The status-to-error mapping: the typed [`BridgeError`] for an HTTP error status and the
//! body the backend (or Dwolla through it) sent with it. Pure, no I/O.
//!
//! 400 splits by Dwolla's error code and message (re-authentication, an account that is
//! already a funding source, a redirect value the account does not allow, other validation
//! errors), 401, 403, 404 and 429 have their own
//! variants, and every other status becomes [`BridgeError::Server`]. Server texts are cleaned
//! by [`crate::redaction::clean_detail`], with the request's bearer tokens, before they enter
//! an error; the re-authentication exchange URL, an href of the backend's, has the request's
//! secrets removed too.

use serde_json::Value;

use crate::error::BridgeError;
use crate::redaction::{clean_detail, redact_secrets};

/// The longest re-authentication href taken from an error body.
const MAX_EXCHANGE_URL: usize = 2048;

/// The message Dwolla gives when a redirect value is not configured for the account.
pub(crate) const REDIRECT_NOT_CONFIGURED: &str = "must exactly match one of the configured URLs";

/// The typed error for an HTTP error status and its body. `retry_after_ms` comes from the
/// `Retry-After` header. `rebase` maps an href in the body onto the backend. `secrets` (the
/// request's bearer tokens) are redacted from every text taken from the body, whatever their
/// letter case.
pub(crate) fn error_from_status(
    status: u16,
    body: &[u8],
    retry_after_ms: Option<u64>,
    rebase: &dyn Fn(&str) -> Option<String>,
    secrets: &[&str],
) -> BridgeError {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let text = |p: &str| {
        v.pointer(p)
            .and_then(Value::as_str)
            .map(|t| clean_detail(t, secrets))
    };
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
                // The backend's href, rebased: without the request's secrets (a hostile
                // backend may echo the bearer token into it), and none when it is too long to
                // be an exchange's URL.
                let exchange_url = v
                    .pointer("/_links/about/href")
                    .and_then(Value::as_str)
                    .filter(|h| h.len() <= MAX_EXCHANGE_URL)
                    .and_then(rebase)
                    .map(|u| redact_secrets(&exchange_url_of(&u), secrets))
                    .unwrap_or_default();
                BridgeError::ReauthRequired { exchange_url }
            } else if let Some(duplicate) = duplicate_funding_source(
                &v,
                &code,
                first_code.as_deref(),
                &[text("/message"), first_msg.clone()],
            ) {
                duplicate
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

/// The text of Dwolla's duplicate-funding-source `ValidationError`.
const DUPLICATE_FUNDING_SOURCE: &str = "duplicate funding source";

/// [`BridgeError::DuplicateFundingSource`] (with the existing funding source's id where the
/// body names it) when a 400 is Dwolla's "already a funding source" error; `None` for any other.
///
/// Dwolla answers a duplicate in three ways: `DuplicateResource` "Bank already exists: id=..."
/// with `_links.about` on the existing funding source; the `ValidationError` "Duplicate funding
/// source or validation error. ..." of its funding-source document; and a `ValidationError`
/// whose embedded error has the code `Duplicate` (and, in the sample-backend's simulator, its own
/// `_links.about`). A duplicate whose `about` names another resource (a customer's email, say)
/// is no funding-source duplicate.
fn duplicate_funding_source(
    v: &Value,
    code: &str,
    first_code: Option<&str>,
    messages: &[Option<String>; 2],
) -> Option<BridgeError> {
    let about = v
        .pointer("/_links/about/href")
        .or_else(|| v.pointer("/_embedded/errors/0/_links/about/href"))
        .and_then(Value::as_str);
    let about_id = about.map(funding_source_id);
    if matches!(about_id, Some(None)) {
        return None;
    }
    let by_code = code == "DuplicateResource"
        || matches!(first_code, Some("Duplicate" | "DuplicateResource"));
    let by_text = messages
        .iter()
        .flatten()
        .any(|m| m.to_ascii_lowercase().contains(DUPLICATE_FUNDING_SOURCE));
    if !by_code && !by_text {
        return None;
    }
    Some(BridgeError::DuplicateFundingSource {
        existing_id: about_id
            .flatten()
            .or_else(|| messages.iter().flatten().find_map(|m| id_after_equals(m))),
    })
}

/// The id of `.../funding-sources/{id}` (its last path segment), or `None` for another href.
fn funding_source_id(href: &str) -> Option<String> {
    let path = href.split(['?', '#']).next().unwrap_or("");
    let (_, id) = path
        .trim_end_matches('/')
        .rsplit_once("/funding-sources/")?;
    is_id(id).then(|| id.to_string())
}

/// The id in Dwolla's "Bank already exists: id=<id>".
fn id_after_equals(message: &str) -> Option<String> {
    let (_, rest) = message.split_once("id=")?;
    let id: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    is_id(&id).then_some(id)
}

fn is_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
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
        let e = error_from_status(400, br#"{"code":"ValidationError","message":"Validation error(s) present.","_embedded":{"errors":[{"code":"Invalid","message":"/_links/exchange-partner/href is invalid","path":"/_links/exchange-partner/href"}]}}"#, None, &no_rebase, &[]);
        assert_eq!(
            e,
            BridgeError::Validation {
                code: "ValidationError".into(),
                detail: "/_links/exchange-partner/href is invalid".into(),
                path: Some("/_links/exchange-partner/href".into())
            }
        );
        let e = error_from_status(400, br#"{"code":"ValidationError","message":"The provided redirect URL must exactly match one of the configured URLs for the account"}"#, None, &no_rebase, &[]);
        assert!(matches!(e, BridgeError::RedirectUrlNotAllowed { .. }));
        let e = error_from_status(400, br#"{"code":"UpdateCredentials","message":"re-auth","_links":{"about":{"href":"https://b/exchanges/9/exchange-sessions"}}}"#, None, &no_rebase, &[]);
        assert_eq!(
            e,
            BridgeError::ReauthRequired {
                exchange_url: "https://b/exchanges/9".into()
            }
        );
        assert!(
            matches!(error_from_status(401, br#"{"code":"InvalidScope","message":"m"}"#, None, &no_rebase, &[]), BridgeError::Unauthorized { ref code, .. } if code == "InvalidScope")
        );
        assert!(matches!(
            error_from_status(
                403,
                br#"{"code":"forbidden","message":"m"}"#,
                None,
                &no_rebase,
                &[],
            ),
            BridgeError::Forbidden { .. }
        ));
        assert!(matches!(
            error_from_status(404, b"", None, &no_rebase, &[]),
            BridgeError::NotFound { .. }
        ));
        assert_eq!(
            error_from_status(429, b"", Some(1500), &no_rebase, &[]),
            BridgeError::RateLimited {
                retry_after_ms: 1500
            }
        );
        assert!(
            matches!(error_from_status(502, b"oops", None, &no_rebase, &[]), BridgeError::Server { status: 502, ref detail, .. } if detail.contains("bad gateway"))
        );
    }

    #[test]
    fn duplicates_of_a_funding_source_are_typed_with_the_existing_id() {
        // Dwolla's DuplicateResource, its _links.about on the existing funding source.
        let e = error_from_status(400, br#"{"code":"DuplicateResource","message":"Bank already exists: id=df8392e5-4c06-42ed-b247-c098ed6f5a11","_links":{"about":{"href":"https://api.dwolla.com/funding-sources/df8392e5-4c06-42ed-b247-c098ed6f5a11","type":"application/vnd.dwolla.v1.hal+json","resource-type":"funding-source"}}}"#, None, &no_rebase, &[]);
        assert_eq!(
            e,
            BridgeError::DuplicateFundingSource {
                existing_id: Some("df8392e5-4c06-42ed-b247-c098ed6f5a11".into())
            }
        );
        // Without _links, the id in the message.
        let e = error_from_status(
            400,
            br#"{"code":"DuplicateResource","message":"Bank already exists: id=abc-123"}"#,
            None,
            &no_rebase,
            &[],
        );
        assert_eq!(
            e,
            BridgeError::DuplicateFundingSource {
                existing_id: Some("abc-123".into())
            }
        );
        // The document's ValidationError: a duplicate, no id.
        let e = error_from_status(400, br#"{"code":"ValidationError","message":"Duplicate funding source or validation error. Authorization already associated to a funding source."}"#, None, &no_rebase, &[]);
        assert_eq!(e, BridgeError::DuplicateFundingSource { existing_id: None });
        // An embedded Duplicate error with its own about link (a backend-relative href).
        let e = error_from_status(400, br#"{"code":"ValidationError","message":"Validation error(s) present.","_embedded":{"errors":[{"code":"Duplicate","message":"Duplicate funding source or validation error.","path":"/_links/exchange/href","_links":{"about":{"href":"http://127.0.0.1:9/dwolla/funding-sources/fs-1?x=1"}}}]}}"#, None, &no_rebase, &[]);
        assert_eq!(
            e,
            BridgeError::DuplicateFundingSource {
                existing_id: Some("fs-1".into())
            }
        );
        // A duplicate customer (about on a customer) stays a validation error.
        let e = error_from_status(400, br#"{"code":"ValidationError","message":"Validation error(s) present.","_embedded":{"errors":[{"code":"Duplicate","message":"A customer with the specified email already exists.","path":"/email","_links":{"about":{"href":"https://api.dwolla.com/customers/c1"}}}]}}"#, None, &no_rebase, &[]);
        assert!(
            matches!(e, BridgeError::Validation { ref path, .. } if path.as_deref() == Some("/email")),
            "{e:?}"
        );
        // An about href whose last segment is no id is not trusted.
        assert_eq!(funding_source_id("https://b/funding-sources/"), None);
        assert_eq!(funding_source_id("https://b/funding-sources/a/b"), None);
        assert_eq!(funding_source_id("https://b/customers/1"), None);
        let text = BridgeError::DuplicateFundingSource {
            existing_id: Some("fs-1".into()),
        }
        .to_string();
        assert!(
            text.contains("fs-1") && text.contains("remove_funding_source"),
            "{text}"
        );
    }

    #[test]
    fn server_text_is_cleaned_of_tokens() {
        let e = error_from_status(
            400,
            br#"{"code":"InvalidExchangeToken","message":"token public-sandbox-1234567890 was used; link link-sandbox-abcdefgh; PUBLIC-SANDBOX-0987654321 by opaque-app-token"}"#,
            None,
            &no_rebase,
            &["OPAQUE-app-token"],
        );
        let s = format!("{e} {e:?}");
        assert!(!s.contains("public-sandbox-1234567890"), "{s}");
        assert!(!s.contains("link-sandbox-abcdefgh"), "{s}");
        assert!(!s.contains("PUBLIC-SANDBOX-0987654321"), "{s}");
        assert!(!s.contains("opaque-app-token"), "{s}");
        assert!(s.contains("token <redacted> was used"), "{s}");
    }

    #[test]
    fn the_reauth_exchange_url_has_the_request_secrets_removed() {
        for href in [
            "https://b/exchanges/k7Qx9mPz/exchange-sessions",
            "https://b/exchanges/k7Qx%E2%80%8B9mPz/exchange-sessions",
            "https://b/exchanges/k7Qx9mP/exchange-sessions",
        ] {
            let body = format!(
                r#"{{"code":"UpdateCredentials","message":"re-auth","_links":{{"about":{{"href":"{href}"}}}}}}"#
            );
            let e = error_from_status(400, body.as_bytes(), None, &no_rebase, &["k7Qx9mPz"]);
            assert_eq!(
                e,
                BridgeError::ReauthRequired {
                    exchange_url: "https://b/exchanges/<redacted>".into()
                },
                "{href}"
            );
        }
        // An href too long to be an exchange's is not taken.
        let body = format!(
            r#"{{"code":"UpdateCredentials","_links":{{"about":{{"href":"https://b/exchanges/{}"}}}}}}"#,
            "x".repeat(3000)
        );
        let e = error_from_status(400, body.as_bytes(), None, &no_rebase, &[]);
        assert_eq!(
            e,
            BridgeError::ReauthRequired {
                exchange_url: String::new()
            }
        );
    }
}
