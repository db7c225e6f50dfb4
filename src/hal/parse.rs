//! The HAL+JSON parsers: Dwolla's resources as the backend returns them, read strictly enough
//! to name the missing or wrong field ([`Malformed`]). Pure, no I/O.

use serde_json::Value;

use super::ExchangePartner;

/// A resource the backend returned that the library cannot use: which resource, and which field
/// is missing or wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {detail}")]
pub(crate) struct Malformed {
    /// The resource, for example `exchange partner [0]`.
    pub what: String,
    /// What is wrong with it, for example `'name' is missing`.
    pub detail: String,
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

fn bad(what: &str, detail: impl Into<String>) -> Malformed {
    Malformed {
        what: what.to_string(),
        detail: detail.into(),
    }
}

/// Parses a body as a JSON object.
pub(crate) fn json(what: &str, body: &[u8]) -> Result<Value, Malformed> {
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
fn req_str<'a>(what: &str, v: &'a Value, pointer: &str) -> Result<&'a str, Malformed> {
    match v.pointer(pointer) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(bad(what, format!("'{}' is not a string", dotted(pointer)))),
        None => Err(bad(what, format!("'{}' is missing", dotted(pointer)))),
    }
}

fn opt_str<'a>(what: &str, v: &'a Value, pointer: &str) -> Result<Option<&'a str>, Malformed> {
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
pub(crate) fn partners(body: &[u8]) -> Result<Vec<ExchangePartner>, Malformed> {
    const WHAT: &str = "exchange partners";
    let v = json(WHAT, body)?;
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
pub(crate) fn session(body: &[u8]) -> Result<RawSession, Malformed> {
    const WHAT: &str = "exchange session";
    let v = &json(WHAT, body)?;
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
pub(crate) fn exchange(v: &Value) -> Result<RawResource, Malformed> {
    const WHAT: &str = "exchange";
    Ok(RawResource {
        id: req_str(WHAT, v, "/id")?.to_string(),
        self_href: req_str(WHAT, v, "/_links/self/href")?.to_string(),
        label: req_str(WHAT, v, "/status")?.to_string(),
    })
}

/// `GET funding-sources/{id}` (or the body of a `201`).
pub(crate) fn funding_source(v: &Value) -> Result<RawResource, Malformed> {
    const WHAT: &str = "funding source";
    Ok(RawResource {
        id: req_str(WHAT, v, "/id")?.to_string(),
        self_href: req_str(WHAT, v, "/_links/self/href")?.to_string(),
        label: req_str(WHAT, v, "/name")?.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dwollas_media_type() {
        assert_eq!(super::super::HAL_JSON, "application/vnd.dwolla.v1.hal+json");
    }

    #[test]
    fn partners_parse_and_name_missing_fields() {
        let ok = br#"{"_embedded":{"exchange-partners":[{"id":"1","name":"Plaid","status":"active","_links":{"self":{"href":"https://b/exchange-partners/1"}}}]}}"#;
        let p = partners(ok).unwrap();
        assert_eq!(p[0].name, "Plaid");
        assert_eq!(p[0].href, "https://b/exchange-partners/1");
        let missing = br#"{"_embedded":{"exchange-partners":[{"id":"1","status":"active","_links":{"self":{"href":"x"}}}]}}"#;
        let e = partners(missing).unwrap_err().to_string();
        assert!(e.contains("exchange partner [0]: 'name' is missing"), "{e}");
        let e = partners(b"{}").unwrap_err().to_string();
        assert!(
            e.contains("'_embedded.exchange-partners' is missing"),
            "{e}"
        );
        let e = partners(b"<html>").unwrap_err().to_string();
        assert!(e.contains("not valid JSON"), "{e}");
    }

    #[test]
    fn sessions_by_partner() {
        let plaid = br#"{"created":"t","_links":{"self":{"href":"s"}},"externalProviderSessionToken":"link-sandbox-1"}"#;
        assert!(
            matches!(session(plaid).unwrap().kind, SessionKind::Plaid { ref link_token } if link_token == "link-sandbox-1")
        );
        let mx = br#"{"created":"t","_links":{"self":{"href":"s"},"external-provider-session":{"href":"https://mx/x"}}}"#;
        assert!(
            matches!(session(mx).unwrap().kind, SessionKind::Web { ref url } if url == "https://mx/x")
        );
        let co = br#"{"created":"t","externalProviderSessionData":{"id":"ps_1","payment_session_secret":"pss_x","payment_session_token":"tok"}}"#;
        assert!(
            matches!(session(co).unwrap().kind, SessionKind::Checkout { ref id, .. } if id == "ps_1")
        );
        let co_bad = br#"{"created":"t","externalProviderSessionData":{"id":"ps_1"}}"#;
        let e = session(co_bad).unwrap_err().to_string();
        assert!(e.contains("payment_session_secret' is missing"), "{e}");
        let unknown = br#"{"created":"t"}"#;
        assert!(matches!(
            session(unknown).unwrap().kind,
            SessionKind::Unknown
        ));
        let e = session(br#"{"externalProviderSessionToken":7}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("'created' is missing"), "{e}");
    }
}
