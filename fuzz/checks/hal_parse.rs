//! The HAL+JSON parsers of exchange partners, exchanges, funding sources (one and a customer's
//! list) and MX's available connections, on arbitrary bytes: they never panic; an `Ok` result
//! holds exactly the strings the body has at the fields the parser reads; a funding source is a
//! bank account (no card) or a card (four-digit `lastFour`, month 1-12, four-digit year); a list
//! leaves out removed funding sources and other types and keeps the rest in order; a connection's
//! token is never empty; an error names its resource, reads `"{what}: {detail}"`, stays short
//! whatever the body, and does not change with a connection token or a card's `lastFour` (it
//! never repeats them).

use iav_bridge::fuzzing::{self, FundingSource, FundingSourceKind, Malformed};
use serde_json::Value;

/// The string at a JSON pointer; panics when the parser accepted something else there.
fn at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("accepted a body without a string at {pointer}"))
}

fn check_error(e: &Malformed) {
    assert!(!e.what.is_empty() && !e.detail.is_empty(), "{e:?}");
    let message = e.to_string();
    assert_eq!(message, format!("{}: {}", e.what, e.detail));
    assert!(message.len() < 512, "an error of {} bytes", message.len());
}

fn check_funding_source(fs: &FundingSource, v: &Value) {
    assert_eq!(fs.id, at(v, "/id"));
    assert_eq!(fs.url, at(v, "/_links/self/href"));
    assert_eq!(fs.name, at(v, "/name"));
    assert_eq!(fs.status, at(v, "/status"));
    assert_eq!(fs.created, at(v, "/created"));
    assert_eq!(
        fs.removed,
        v.get("removed").and_then(Value::as_bool).unwrap_or(false)
    );
    match (fs.kind, &fs.card) {
        (FundingSourceKind::Bank, None) => {
            assert_eq!(at(v, "/type"), "bank");
            assert_eq!(
                fs.bank_name.as_deref(),
                v.pointer("/bankName").and_then(Value::as_str)
            );
        }
        (FundingSourceKind::Card, Some(card)) => {
            assert_eq!(at(v, "/type"), "card");
            assert!(fs.bank_name.is_none());
            assert_eq!(card.brand, at(v, "/cardDetails/brand"));
            assert_eq!(card.last_four, at(v, "/cardDetails/lastFour"));
            assert!(
                card.last_four.len() == 4 && card.last_four.bytes().all(|b| b.is_ascii_digit())
            );
            assert!((1..=12).contains(&card.expiration_month));
            assert!((1000..=9999).contains(&card.expiration_year));
        }
        (kind, card) => panic!("a {kind:?} funding source with card {card:?}"),
    }
}

/// The error does not change with the card's `lastFour` (a card number there is never repeated):
/// the same body with another `lastFour` of the same validity (four digits or not) gives the
/// same error.
fn check_card_error(e: &Malformed, v: &Value) {
    let mut other = v.clone();
    let Some(Value::String(last_four)) = other.pointer_mut("/cardDetails/lastFour") else {
        return;
    };
    if last_four.len() == 4 && last_four.bytes().all(|b| b.is_ascii_digit()) {
        *last_four = if last_four == "0000" { "1111" } else { "0000" }.to_string();
    } else {
        last_four.push('Z');
    }
    let again = fuzzing::funding_source(&other)
        .expect_err("another lastFour made the funding source valid");
    assert_eq!(again, *e, "the error depends on lastFour");
}

/// Every connection token in the body with "Z" appended (non-empty ones only).
fn other_tokens(v: &Value) -> Option<Value> {
    let mut v = v.clone();
    let list = v
        .pointer_mut("/_embedded/available-exchange-connections")?
        .as_array_mut()?;
    for c in list {
        if let Some(Value::String(t)) = c.get_mut("availableConnectionToken") {
            if !t.is_empty() {
                t.push('Z');
            }
        }
    }
    Some(v)
}

/// One input: the properties above, checked; a violation panics.
pub fn run(data: &[u8]) {
    let parsed: Option<Value> = serde_json::from_slice(data).ok();
    let object = parsed.as_ref().filter(|v| v.is_object());

    match fuzzing::partners(data) {
        Ok(list) => {
            let body = object.expect("partners accepted a body that is not a JSON object");
            let items = body
                .pointer("/_embedded/exchange-partners")
                .and_then(Value::as_array)
                .expect("partners accepted a body without the _embedded array");
            assert_eq!(list.len(), items.len());
            for (p, item) in list.iter().zip(items) {
                assert_eq!(p.id, at(item, "/id"));
                assert_eq!(p.name, at(item, "/name"));
                assert_eq!(p.status, at(item, "/status"));
                assert_eq!(p.href, at(item, "/_links/self/href"));
            }
        }
        Err(e) => check_error(&e),
    }

    match fuzzing::available_connections(data) {
        Ok(list) => {
            let body = object.expect("connections accepted a body that is not a JSON object");
            let items = body
                .pointer("/_embedded/available-exchange-connections")
                .and_then(Value::as_array)
                .expect("connections accepted a body without the _embedded array");
            assert_eq!(list.len(), items.len());
            for (c, item) in list.iter().zip(items) {
                assert!(
                    !c.token.is_empty(),
                    "an empty connection token was accepted"
                );
                assert_eq!(c.token, at(item, "/availableConnectionToken"));
                assert_eq!(c.name, at(item, "/name"));
            }
        }
        Err(e) => {
            check_error(&e);
            // The error is the same whatever the (non-empty) tokens are: none is repeated.
            if let Some(changed) = object.and_then(other_tokens) {
                let bytes = serde_json::to_vec(&changed).expect("a JSON value serializes");
                let again = fuzzing::available_connections(&bytes)
                    .err()
                    .expect("other tokens made the connections valid");
                assert_eq!(again, e, "the error depends on a token");
            }
        }
    }

    match fuzzing::funding_sources(data) {
        Ok(list) => {
            let body = object.expect("funding sources accepted a body that is not a JSON object");
            let items = body
                .pointer("/_embedded/funding-sources")
                .and_then(Value::as_array)
                .expect("funding sources accepted a body without the _embedded array");
            let kept: Vec<(FundingSource, &Value)> = items
                .iter()
                .filter_map(|item| match fuzzing::funding_source(item) {
                    Ok(fs) if !fs.removed => Some((fs, item)),
                    Ok(_) => None,
                    Err(_) => {
                        let t = at(item, "/type");
                        assert!(
                            t != "bank" && t != "card",
                            "a malformed {t} item was skipped"
                        );
                        None
                    }
                })
                .collect();
            assert_eq!(
                list.len(),
                kept.len(),
                "not the non-removed bank and card items"
            );
            for (fs, (expected, item)) in list.iter().zip(&kept) {
                assert_eq!(fs, expected);
                check_funding_source(fs, item);
            }
        }
        Err(e) => check_error(&e),
    }

    match fuzzing::json("body", data) {
        Ok(v) => {
            assert!(v.is_object());
            assert_eq!(
                Some(&v),
                object,
                "json() read another value than serde_json"
            );
            match fuzzing::exchange(&v) {
                Ok(r) => {
                    assert_eq!(r.id, at(&v, "/id"));
                    assert_eq!(r.self_href, at(&v, "/_links/self/href"));
                    assert_eq!(r.label, at(&v, "/status"));
                }
                Err(e) => check_error(&e),
            }
            match fuzzing::funding_source(&v) {
                Ok(fs) => check_funding_source(&fs, &v),
                Err(e) => {
                    check_error(&e);
                    check_card_error(&e, &v);
                }
            }
        }
        Err(e) => {
            assert!(object.is_none(), "json() refused a JSON object: {e:?}");
            check_error(&e);
        }
    }
}
