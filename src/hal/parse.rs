//! The HAL+JSON parsers: Dwolla's resources as the backend returns them, read strictly enough
//! to name the missing or wrong field ([`Malformed`]). Pure, no I/O.
//!
//! The module is the crate's own; its items are `pub` so that `crate::fuzzing` (cargo feature
//! `fuzzing`) can hand them to the fuzz targets as they are.

use serde_json::Value;

use super::{CardSummary, ExchangePartner, FundingSource, FundingSourceKind};
use crate::quote::Quoted;

/// A resource the backend returned that the library cannot use: which resource, and which field
/// is missing or wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {detail}")]
pub struct Malformed {
    /// The resource, for example `exchange partner [0]`.
    pub what: String,
    /// What is wrong with it, for example `'name' is missing`.
    pub detail: String,
}

/// What an exchange session's partner handed back, hrefs not yet resolved.
#[derive(Clone, PartialEq, Eq)]
pub enum SessionKind {
    /// `externalProviderSessionToken`: Plaid's link token.
    Plaid { link_token: String },
    /// `_links.external-provider-session.href`: a page to open.
    Web { url: String },
    /// `externalProviderSessionData`: Checkout.com's payment session.
    Checkout {
        id: String,
        secret: String,
        token: String,
    },
    /// None of them.
    Unknown,
}

/// An exchange session resource.
#[derive(Clone, PartialEq, Eq)]
pub struct RawSession {
    /// `_links.self.href`, when the body has one.
    pub self_href: Option<String>,
    /// `created`.
    pub created: String,
    /// What the partner handed back.
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
pub struct RawResource {
    /// `id`.
    pub id: String,
    /// `_links.self.href`.
    pub self_href: String,
    /// The status (an exchange) or name (a funding source).
    pub label: String,
}

fn bad(what: &str, detail: impl Into<String>) -> Malformed {
    Malformed {
        what: what.to_string(),
        detail: detail.into(),
    }
}

/// Parses a body as a JSON object.
pub fn json(what: &str, body: &[u8]) -> Result<Value, Malformed> {
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
pub fn partners(body: &[u8]) -> Result<Vec<ExchangePartner>, Malformed> {
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
pub fn session(body: &[u8]) -> Result<RawSession, Malformed> {
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
pub fn exchange(v: &Value) -> Result<RawResource, Malformed> {
    const WHAT: &str = "exchange";
    Ok(RawResource {
        id: req_str(WHAT, v, "/id")?.to_string(),
        self_href: req_str(WHAT, v, "/_links/self/href")?.to_string(),
        label: req_str(WHAT, v, "/status")?.to_string(),
    })
}

/// `GET funding-sources/{id}` (or the body of a `201`, or of the `200` to a removal): a bank
/// account or a debit card, its `url` the self href as given. Another `type` (Dwolla's `balance`,
/// a virtual account) is refused.
pub fn funding_source(v: &Value) -> Result<FundingSource, Malformed> {
    read_funding_source("funding source", v)?.map_err(|other| {
        bad(
            "funding source",
            format!("'type' is {}, not bank or card", Quoted::new(&other)),
        )
    })
}

/// `GET customers/{id}/funding-sources`: the bank accounts and debit cards, hrefs as given.
/// Removed ones and other types (Dwolla's `balance`, virtual accounts) are left out.
pub fn funding_sources(body: &[u8]) -> Result<Vec<FundingSource>, Malformed> {
    const WHAT: &str = "funding sources";
    let v = json(WHAT, body)?;
    let list = match v.pointer("/_embedded/funding-sources") {
        Some(Value::Array(list)) => list,
        Some(_) => return Err(bad(WHAT, "'_embedded.funding-sources' is not an array")),
        None => return Err(bad(WHAT, "'_embedded.funding-sources' is missing")),
    };
    let mut out = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let what = format!("funding source [{i}]");
        if let Ok(fs) = read_funding_source(&what, item)? {
            if !fs.removed {
                out.push(fs);
            }
        }
    }
    Ok(out)
}

/// A funding source of a known type, or `Err(type)` for another type.
fn read_funding_source(what: &str, v: &Value) -> Result<Result<FundingSource, String>, Malformed> {
    let kind = match req_str(what, v, "/type")? {
        "bank" => FundingSourceKind::Bank,
        "card" => FundingSourceKind::Card,
        other => return Ok(Err(other.to_string())),
    };
    let removed = match v.get("removed") {
        Some(Value::Bool(b)) => *b,
        None | Some(Value::Null) => false,
        Some(_) => return Err(bad(what, "'removed' is not a boolean")),
    };
    let card = match kind {
        FundingSourceKind::Card => Some(card_summary(what, v)?),
        FundingSourceKind::Bank => None,
    };
    Ok(Ok(FundingSource {
        id: req_str(what, v, "/id")?.to_string(),
        url: req_str(what, v, "/_links/self/href")?.to_string(),
        name: req_str(what, v, "/name")?.to_string(),
        kind,
        status: req_str(what, v, "/status")?.to_string(),
        bank_name: match kind {
            FundingSourceKind::Bank => opt_str(what, v, "/bankName")?.map(str::to_string),
            FundingSourceKind::Card => None,
        },
        card,
        created: req_str(what, v, "/created")?.to_string(),
        removed,
    }))
}

/// A card's `cardDetails`: brand, last four and expiry only (never `bin`, the name on the card
/// or the billing address). Values are not repeated in errors: a wrong `lastFour` might be a
/// whole card number.
fn card_summary(what: &str, v: &Value) -> Result<CardSummary, Malformed> {
    if !v.get("cardDetails").is_some_and(Value::is_object) {
        return Err(bad(
            what,
            "a card without 'cardDetails' (an object is required)",
        ));
    }
    let last_four = req_str(what, v, "/cardDetails/lastFour")?;
    if last_four.len() != 4 || !last_four.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(what, "'cardDetails.lastFour' is not four digits"));
    }
    Ok(CardSummary {
        brand: req_str(what, v, "/cardDetails/brand")?.to_string(),
        last_four: last_four.to_string(),
        expiration_month: req_u32(what, v, "/cardDetails/expirationMonth", 1..=12)?,
        expiration_year: req_u32(what, v, "/cardDetails/expirationYear", 1000..=9999)?,
    })
}

/// The integer at a JSON pointer, within `range`.
fn req_u32(
    what: &str,
    v: &Value,
    pointer: &str,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, Malformed> {
    let n = match v.pointer(pointer) {
        Some(Value::Number(n)) => n.as_u64(),
        Some(_) => return Err(bad(what, format!("'{}' is not a number", dotted(pointer)))),
        None => return Err(bad(what, format!("'{}' is missing", dotted(pointer)))),
    };
    n.and_then(|n| u32::try_from(n).ok())
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            bad(
                what,
                format!(
                    "'{}' is not an integer from {} to {}",
                    dotted(pointer),
                    range.start(),
                    range.end()
                ),
            )
        })
}

/// An MX connection the user made in MX Connect: its account's name and its one-time token.
pub struct RawConnection {
    /// `name`: the account's name.
    pub name: String,
    /// `availableConnectionToken`: a secret.
    pub token: String,
}

/// `GET customers/{id}/available-exchange-connections`. The tokens are secrets: never in an
/// error.
pub fn available_connections(body: &[u8]) -> Result<Vec<RawConnection>, Malformed> {
    const WHAT: &str = "available exchange connections";
    let v = json(WHAT, body)?;
    let list = match v.pointer("/_embedded/available-exchange-connections") {
        Some(Value::Array(list)) => list,
        Some(_) => {
            return Err(bad(
                WHAT,
                "'_embedded.available-exchange-connections' is not an array",
            ))
        }
        None => {
            return Err(bad(
                WHAT,
                "'_embedded.available-exchange-connections' is missing",
            ))
        }
    };
    list.iter()
        .enumerate()
        .map(|(i, c)| {
            let what = format!("available exchange connection [{i}]");
            let token = req_str(&what, c, "/availableConnectionToken")?;
            if token.is_empty() {
                return Err(bad(&what, "'availableConnectionToken' is empty"));
            }
            Ok(RawConnection {
                name: req_str(&what, c, "/name")?.to_string(),
                token: token.to_string(),
            })
        })
        .collect()
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

    const BANK: &str = r#"{"_links":{"self":{"href":"https://b/funding-sources/fs-1"}},"id":"fs-1","status":"verified","type":"bank","bankAccountType":"checking","name":"Checking","created":"2024-01-01T00:00:00.000Z","removed":false,"bankName":"SANDBOX TEST BANK","fingerprint":"f"}"#;
    const CARD: &str = r#"{"_links":{"self":{"href":"https://b/funding-sources/fs-2"}},"id":"fs-2","status":"verified","type":"card","name":"My Visa Debit Card","created":"2025-12-10T18:02:47.985Z","removed":false,"channels":[],"cardDetails":{"brand":"VISA","lastFour":"1519","expirationMonth":10,"expirationYear":2027,"nameOnCard":"Jane Doe","bin":"40247644","billingAddress":{"address1":"552 test","city":"Des Moines","stateProvinceRegion":"IA","country":"US","postalCode":"50310"}}}"#;

    fn value(s: &str) -> Value {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn bank_and_card_funding_sources() {
        let bank = funding_source(&value(BANK)).unwrap();
        assert_eq!(bank.kind, FundingSourceKind::Bank);
        assert_eq!(bank.status, "verified");
        assert_eq!(bank.bank_name.as_deref(), Some("SANDBOX TEST BANK"));
        assert_eq!(bank.card, None);
        assert_eq!(bank.url, "https://b/funding-sources/fs-1");
        assert!(!bank.removed);

        let card = funding_source(&value(CARD)).unwrap();
        assert_eq!(card.kind, FundingSourceKind::Card);
        assert_eq!(card.bank_name, None);
        assert_eq!(
            card.card,
            Some(CardSummary {
                brand: "VISA".into(),
                last_four: "1519".into(),
                expiration_month: 10,
                expiration_year: 2027,
            })
        );
        // Nothing beyond the last four, nor the name on the card, reaches the record.
        let printed = format!("{card:?}");
        for hidden in ["40247644", "Jane Doe", "552 test", "50310"] {
            assert!(!printed.contains(hidden), "{printed}");
        }
    }

    #[test]
    fn funding_sources_name_what_is_wrong_without_repeating_card_data() {
        let mut v = value(CARD);
        v["cardDetails"]["lastFour"] = "4242424242424242".into();
        let e = funding_source(&v).unwrap_err().to_string();
        assert!(
            e.contains("'cardDetails.lastFour' is not four digits"),
            "{e}"
        );
        assert!(!e.contains("4242"), "{e}");
        let mut v = value(CARD);
        v["cardDetails"]["expirationMonth"] = 13.into();
        let e = funding_source(&v).unwrap_err().to_string();
        assert!(
            e.contains("'cardDetails.expirationMonth' is not an integer from 1 to 12"),
            "{e}"
        );
        let mut v = value(CARD);
        v["cardDetails"]["expirationYear"] = "2027".into();
        let e = funding_source(&v).unwrap_err().to_string();
        assert!(
            e.contains("'cardDetails.expirationYear' is not a number"),
            "{e}"
        );
        let mut v = value(CARD);
        v.as_object_mut().unwrap().remove("cardDetails");
        assert!(funding_source(&v)
            .unwrap_err()
            .to_string()
            .contains("without 'cardDetails'"));
        let mut v = value(BANK);
        v.as_object_mut().unwrap().remove("status");
        assert!(funding_source(&v)
            .unwrap_err()
            .to_string()
            .contains("'status' is missing"));
        let mut v = value(BANK);
        v["type"] = "balance".into();
        let e = funding_source(&v).unwrap_err().to_string();
        assert!(e.contains("'type' is 'balance', not bank or card"), "{e}");
        let mut v = value(BANK);
        v["removed"] = "no".into();
        assert!(funding_source(&v)
            .unwrap_err()
            .to_string()
            .contains("'removed' is not a boolean"));
    }

    #[test]
    fn funding_source_lists_leave_out_removed_ones_and_other_types() {
        let mut removed = value(BANK);
        removed["id"] = "fs-3".into();
        removed["removed"] = true.into();
        let mut balance = value(BANK);
        balance["type"] = "balance".into();
        balance["name"] = "Balance".into();
        let body = format!(
            r#"{{"_links":{{}},"_embedded":{{"funding-sources":[{BANK},{CARD},{removed},{balance}]}}}}"#
        );
        let list = funding_sources(body.as_bytes()).unwrap();
        let ids: Vec<_> = list.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["fs-1", "fs-2"]);
        let empty = funding_sources(br#"{"_embedded":{"funding-sources":[]}}"#).unwrap();
        assert!(empty.is_empty());
        let e = funding_sources(b"{}").unwrap_err().to_string();
        assert!(e.contains("'_embedded.funding-sources' is missing"), "{e}");
        let bad = format!(r#"{{"_embedded":{{"funding-sources":[{BANK},{{"type":"card"}}]}}}}"#);
        let e = funding_sources(bad.as_bytes()).unwrap_err().to_string();
        assert!(e.starts_with("funding source [1]:"), "{e}");
    }

    #[test]
    fn available_connections_parse_and_hide_their_tokens() {
        let body = br#"{"_links":{"self":{"href":"x"},"customers":{"href":"y"}},"_embedded":{"available-exchange-connections":[{"availableConnectionToken":"eyJhY2NvdW50SWQiOiJBQ1Qt","name":"XYZ Checking"}]}}"#;
        let list = available_connections(body).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].name, "XYZ Checking");
        assert_eq!(list[0].token, "eyJhY2NvdW50SWQiOiJBQ1Qt");
        let none = br#"{"_embedded":{"available-exchange-connections":[]}}"#;
        assert!(available_connections(none).unwrap().is_empty());
        let e = available_connections(br#"{"_embedded":{"available-exchange-connections":[{"availableConnectionToken":"eyJsecret"}]}}"#)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("connection [0]: 'name' is missing"), "{e}");
        assert!(!e.contains("eyJsecret"), "{e}");
        let e = available_connections(br#"{"_embedded":{"available-exchange-connections":[{"availableConnectionToken":"","name":"n"}]}}"#)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("'availableConnectionToken' is empty"), "{e}");
        let e = available_connections(b"{}").err().unwrap().to_string();
        assert!(e.contains("is missing"), "{e}");
    }
}
