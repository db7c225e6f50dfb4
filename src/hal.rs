//! Dwolla's HAL+JSON resources as the backend returns them: the records the app receives and
//! strict-enough parsers that name the missing or wrong field. Pure, no I/O.

use serde_json::Value;

use crate::error::BridgeError;

/// Dwolla's media type, for `Accept` and request bodies.
pub const HAL_JSON: &str = "application/vnd.dwolla.v1.hal+json";

/// An open-banking partner the Dwolla account can use (Plaid, MX, Checkout.com, ...).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ExchangePartner {
    /// Dwolla's id for the partner; differs between sandbox and production.
    pub id: String,
    /// The partner's name, for example `Plaid`.
    pub name: String,
    /// `active` when usable.
    pub status: String,
    /// The partner's URL on the app's backend.
    pub href: String,
}

/// A verified connection to a bank account, made from a completed Link flow.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Exchange {
    /// The exchange's id.
    pub id: String,
    /// The exchange's URL on the app's backend.
    pub url: String,
    /// `active`, `deactivated` or `removed`.
    pub status: String,
}

/// A bank account attached to the Dwolla customer.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FundingSource {
    /// The funding source's id.
    pub id: String,
    /// The funding source's URL on the app's backend.
    pub url: String,
    /// The name given to it.
    pub name: String,
}

/// The kind of bank account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum BankAccountType {
    /// A checking account.
    Checking,
    /// A savings account.
    Savings,
}

impl BankAccountType {
    /// Dwolla's wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            BankAccountType::Checking => "checking",
            BankAccountType::Savings => "savings",
        }
    }
}

/// What an exchange session's partner handed back, hrefs not yet resolved.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum SessionKind {
    Plaid {
        link_token: String,
    },
    Web {
        url: String,
    },
    Checkout {
        id: String,
        secret: String,
        token: String,
    },
    Unknown,
}

/// An exchange session resource.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct RawSession {
    pub self_href: Option<String>,
    pub created: String,
    pub kind: SessionKind,
}

impl std::fmt::Debug for RawSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.kind {
            SessionKind::Plaid { .. } => "Plaid",
            SessionKind::Web { .. } => "Web",
            SessionKind::Checkout { .. } => "Checkout",
            SessionKind::Unknown => "Unknown",
        };
        f.debug_struct("RawSession")
            .field("self_href", &self.self_href)
            .field("created", &self.created)
            .field("kind", &kind)
            .finish_non_exhaustive()
    }
}

/// A resource with an id, a self link and a status or name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawResource {
    pub id: String,
    pub self_href: String,
    pub label: String,
}

fn bad(what: &str, detail: impl std::fmt::Display) -> BridgeError {
    BridgeError::InvalidResponse {
        detail: format!("{what}: {detail}"),
    }
}

/// Parses a body as a JSON object.
pub(crate) fn parse_json(what: &str, body: &[u8]) -> Result<Value, BridgeError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        bad(
            what,
            format!("the body is not valid JSON ({} bytes; {e})", body.len()),
        )
    })?;
    if !v.is_object() {
        return Err(bad(what, "the body is not a JSON object"));
    }
    Ok(v)
}

/// The string at a JSON pointer, or an error naming the field.
fn req_str<'a>(what: &str, v: &'a Value, pointer: &str) -> Result<&'a str, BridgeError> {
    match v.pointer(pointer) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(bad(what, format!("'{}' is not a string", dotted(pointer)))),
        None => Err(bad(what, format!("'{}' is missing", dotted(pointer)))),
    }
}

fn opt_str<'a>(what: &str, v: &'a Value, pointer: &str) -> Result<Option<&'a str>, BridgeError> {
    match v.pointer(pointer) {
        Some(Value::String(s)) => Ok(Some(s)),
        None | Some(Value::Null) => Ok(None),
        Some(_) => Err(bad(what, format!("'{}' is not a string", dotted(pointer)))),
    }
}

fn dotted(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".")
}

/// `GET exchange-partners`: the partners, hrefs as given.
pub(crate) fn parse_partners(body: &[u8]) -> Result<Vec<ExchangePartner>, BridgeError> {
    const WHAT: &str = "exchange partners";
    let v = parse_json(WHAT, body)?;
    let list = match v.pointer("/_embedded/exchange-partners") {
        Some(Value::Array(list)) => list,
        Some(_) => return Err(bad(WHAT, "'_embedded.exchange-partners' is not an array")),
        None => return Err(bad(WHAT, "'_embedded.exchange-partners' is missing")),
    };
    list.iter()
        .enumerate()
        .map(|(i, p)| {
            let what = format!("exchange partner [{i}]");
            Ok(ExchangePartner {
                id: req_str(&what, p, "/id")?.to_string(),
                name: req_str(&what, p, "/name")?.to_string(),
                status: req_str(&what, p, "/status")?.to_string(),
                href: req_str(&what, p, "/_links/self/href")?.to_string(),
            })
        })
        .collect()
}

/// `GET exchange-sessions/{id}` (or the body of a `201`).
pub(crate) fn parse_session(body: &[u8]) -> Result<RawSession, BridgeError> {
    const WHAT: &str = "exchange session";
    let v = &parse_json(WHAT, body)?;
    let created = req_str(WHAT, v, "/created")?.to_string();
    let self_href = opt_str(WHAT, v, "/_links/self/href")?.map(str::to_string);
    let kind = if let Some(token) = opt_str(WHAT, v, "/externalProviderSessionToken")? {
        if token.is_empty() {
            return Err(bad(WHAT, "'externalProviderSessionToken' is empty"));
        }
        SessionKind::Plaid {
            link_token: token.to_string(),
        }
    } else if let Some(data) = v.get("externalProviderSessionData") {
        const CO: &str = "exchange session (Checkout.com)";
        if !data.is_object() {
            return Err(bad(CO, "'externalProviderSessionData' is not an object"));
        }
        SessionKind::Checkout {
            id: req_str(CO, data, "/id")?.to_string(),
            secret: req_str(CO, data, "/payment_session_secret")?.to_string(),
            token: req_str(CO, data, "/payment_session_token")?.to_string(),
        }
    } else if let Some(url) = opt_str(WHAT, v, "/_links/external-provider-session/href")? {
        SessionKind::Web {
            url: url.to_string(),
        }
    } else {
        SessionKind::Unknown
    };
    Ok(RawSession {
        self_href,
        created,
        kind,
    })
}

/// `GET exchanges/{id}` (or the body of a `201`).
pub(crate) fn parse_exchange(v: &Value) -> Result<RawResource, BridgeError> {
    const WHAT: &str = "exchange";
    Ok(RawResource {
        id: req_str(WHAT, v, "/id")?.to_string(),
        self_href: req_str(WHAT, v, "/_links/self/href")?.to_string(),
        label: req_str(WHAT, v, "/status")?.to_string(),
    })
}

/// `GET funding-sources/{id}` (or the body of a `201`).
pub(crate) fn parse_funding_source(v: &Value) -> Result<RawResource, BridgeError> {
    const WHAT: &str = "funding source";
    Ok(RawResource {
        id: req_str(WHAT, v, "/id")?.to_string(),
        self_href: req_str(WHAT, v, "/_links/self/href")?.to_string(),
        label: req_str(WHAT, v, "/name")?.to_string(),
    })
}

/// The message Dwolla gives when a redirect value is not configured for the account.
pub const REDIRECT_NOT_CONFIGURED: &str = "must exactly match one of the configured URLs";

/// The most characters of a server's text kept in an error.
const MAX_DETAIL: usize = 300;

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

/// Keeps a server's text short, on one line, and free of anything shaped like a token.
pub(crate) fn clean_detail(s: &str) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_DETAIL)
        .collect();
    redact_tokens(&one_line)
}

/// Token prefixes of Plaid and Dwolla that must never be repeated in an error or a log line.
const TOKEN_PREFIXES: &[&str] = &["link-", "public-", "access-", "Bearer "];

/// Replaces every word starting with a token prefix by `<redacted>`.
pub(crate) fn redact_tokens(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    'outer: while !rest.is_empty() {
        for prefix in TOKEN_PREFIXES {
            if rest.starts_with(prefix) && at_word_start(s, s.len() - rest.len()) {
                let after = &rest[prefix.len()..];
                let end = after
                    .find(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == ',')
                    .unwrap_or(after.len());
                if end >= 6 {
                    out.push_str(crate::session::REDACTED);
                    rest = &after[end..];
                    continue 'outer;
                }
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn at_word_start(s: &str, i: usize) -> bool {
    i == 0
        || s[..i]
            .chars()
            .next_back()
            .is_some_and(|c| !c.is_alphanumeric() && c != '-' && c != '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_rebase(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn partners_parse_and_name_missing_fields() {
        let ok = br#"{"_embedded":{"exchange-partners":[{"id":"1","name":"Plaid","status":"active","_links":{"self":{"href":"https://b/exchange-partners/1"}}}]}}"#;
        let p = parse_partners(ok).unwrap();
        assert_eq!(p[0].name, "Plaid");
        assert_eq!(p[0].href, "https://b/exchange-partners/1");
        let missing = br#"{"_embedded":{"exchange-partners":[{"id":"1","status":"active","_links":{"self":{"href":"x"}}}]}}"#;
        let e = parse_partners(missing).unwrap_err().to_string();
        assert!(e.contains("exchange partner [0]: 'name' is missing"), "{e}");
        let e = parse_partners(b"{}").unwrap_err().to_string();
        assert!(
            e.contains("'_embedded.exchange-partners' is missing"),
            "{e}"
        );
        let e = parse_partners(b"<html>").unwrap_err().to_string();
        assert!(e.contains("not valid JSON"), "{e}");
    }

    #[test]
    fn sessions_by_partner() {
        let plaid = br#"{"created":"t","_links":{"self":{"href":"s"}},"externalProviderSessionToken":"link-sandbox-1"}"#;
        assert!(
            matches!(parse_session(plaid).unwrap().kind, SessionKind::Plaid { ref link_token } if link_token == "link-sandbox-1")
        );
        let mx = br#"{"created":"t","_links":{"self":{"href":"s"},"external-provider-session":{"href":"https://mx/x"}}}"#;
        assert!(
            matches!(parse_session(mx).unwrap().kind, SessionKind::Web { ref url } if url == "https://mx/x")
        );
        let co = br#"{"created":"t","externalProviderSessionData":{"id":"ps_1","payment_session_secret":"pss_x","payment_session_token":"tok"}}"#;
        assert!(
            matches!(parse_session(co).unwrap().kind, SessionKind::Checkout { ref id, .. } if id == "ps_1")
        );
        let co_bad = br#"{"created":"t","externalProviderSessionData":{"id":"ps_1"}}"#;
        let e = parse_session(co_bad).unwrap_err().to_string();
        assert!(e.contains("payment_session_secret' is missing"), "{e}");
        let unknown = br#"{"created":"t"}"#;
        assert!(matches!(
            parse_session(unknown).unwrap().kind,
            SessionKind::Unknown
        ));
        let e = parse_session(br#"{"externalProviderSessionToken":7}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("'created' is missing"), "{e}");
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
        assert_eq!(
            redact_tokens("exchange-partner href"),
            "exchange-partner href"
        );
        assert_eq!(redact_tokens("a link-abc"), "a link-abc");
        assert_eq!(redact_tokens("(link-sandbox-x)"), "(<redacted>");
    }
}
