//! The sample-backend's builders of the bodies it sends to Dwolla (exchange session,
//! re-authentication, exchange, funding source) on arbitrary JSON values: they never panic; a
//! refusal is 400; an accepted body had only fields the call allows, each a string, and the
//! body built from it has only the keys the contract allows for that call, each a string copied
//! from the app's body or an href rebuilt on Dwolla's base from a valid id the app's href named
//! (never an account number, never another key).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use sample_backend::backend::fuzzing::{self, valid_id, ApiError, Rewriter};
use serde_json::Value;

const PARTNER: &str = "/_links/exchange-partner/href";
const REDIRECT: &str = "/_links/redirect-url/href";
const EXCHANGE: &str = "/_links/exchange/href";
const PLAID: &str = "/plaid/publicToken";
const MX: &str = "/mx/availableConnectionToken";
const TOKEN: &str = "/token";
const CARD: &str = "/cardToken";
const NAME: &str = "/name";
const ACCOUNT_TYPE: &str = "/bankAccountType";
const ADDRESS: [&str; 7] = [
    "address1",
    "address2",
    "address3",
    "city",
    "stateProvinceRegion",
    "country",
    "postalCode",
];

fn rewriters() -> &'static [Rewriter] {
    static RW: OnceLock<Vec<Rewriter>> = OnceLock::new();
    RW.get_or_init(|| {
        vec![
            Rewriter::new(
                "https://api-sandbox.dwolla.com",
                "https://app.example.com/api/",
            ),
            Rewriter::new("http://127.0.0.1:9/", "http://127.0.0.1:99"),
        ]
    })
}

/// Every leaf of a non-empty object (a value that is not an object, or an empty object) by
/// JSON pointer (RFC 6901).
fn leaves<'a>(v: &'a Value, at: String, out: &mut BTreeMap<String, &'a Value>) {
    match v {
        Value::Object(map) if !map.is_empty() => {
            for (k, item) in map {
                let key = k.replace('~', "~0").replace('/', "~1");
                leaves(item, format!("{at}/{key}"), out);
            }
        }
        _ => {
            out.insert(at, v);
        }
    }
}

/// The fields of the app's body, or of a built body, as pointer -> string. Panics unless every
/// leaf is a string at one of `allowed`.
fn string_fields(v: &Value, allowed: &[String], what: &str) -> BTreeMap<String, String> {
    let mut all = BTreeMap::new();
    if v.as_object().is_some_and(|m| !m.is_empty()) {
        leaves(v, String::new(), &mut all);
    }
    all.into_iter()
        .map(|(path, value)| {
            assert!(
                allowed.contains(&path),
                "{what}: {path} is not an allowed field"
            );
            let s = value
                .as_str()
                .unwrap_or_else(|| panic!("{what}: {path} is not a string but {value}"));
            (path, s.to_string())
        })
        .collect()
}

fn owned(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_string()).collect()
}

fn check_refusal(e: &ApiError) {
    assert_eq!(
        e.status().as_u16(),
        400,
        "a body refused with {}",
        e.status()
    );
}

/// The href `built` is `<dwolla>/<collection>/<id>` for the id that the app's `href` names.
fn check_rebuilt(rw: &Rewriter, href: &str, built: &str, collection: &str) -> String {
    let id = rw
        .id_in(href, collection)
        .unwrap_or_else(|| panic!("accepted {href:?}, which names no {collection} id"));
    assert!(valid_id(&id), "id {id:?}");
    assert_eq!(built, rw.dwolla_href(collection, &id));
    id
}

fn check(rw: &Rewriter, input: &Value) {
    let object = input.is_object();

    match fuzzing::session_body(rw, input) {
        Ok(out) => {
            assert!(object);
            let inp = string_fields(input, &owned(&[PARTNER, REDIRECT]), "session (app)");
            let got = string_fields(&out, &owned(&[PARTNER, REDIRECT]), "session (to Dwolla)");
            check_rebuilt(rw, &inp[PARTNER], &got[PARTNER], "exchange-partners");
            assert_eq!(inp.get(REDIRECT), got.get(REDIRECT));
        }
        Err(e) => check_refusal(&e),
    }

    match fuzzing::reauth_body(input) {
        Ok(out) => {
            let inp = string_fields(input, &owned(&[REDIRECT]), "re-authentication (app)");
            let got = string_fields(&out, &owned(&[REDIRECT]), "re-authentication (to Dwolla)");
            assert_eq!(inp, got);
            if inp.is_empty() {
                assert_eq!(out, serde_json::json!({}));
            }
        }
        Err(e) => check_refusal(&e),
    }

    let tokens = [PLAID, MX, TOKEN];
    match fuzzing::exchange_body(rw, input) {
        Ok(out) => {
            assert!(object);
            let allowed = owned(&[PARTNER, PLAID, MX, TOKEN]);
            let inp = string_fields(input, &allowed, "exchange (app)");
            let got = string_fields(&out, &allowed, "exchange (to Dwolla)");
            check_rebuilt(rw, &inp[PARTNER], &got[PARTNER], "exchange-partners");
            let sent: Vec<_> = tokens.iter().filter(|t| got.contains_key(**t)).collect();
            assert_eq!(sent.len(), 1, "an exchange with {} tokens", sent.len());
            for t in tokens {
                assert_eq!(inp.get(t), got.get(t), "{t}");
            }
        }
        Err(e) => check_refusal(&e),
    }

    match fuzzing::funding_source_body(rw, input) {
        Ok((out, Some(exchange))) => {
            assert!(object);
            let allowed = owned(&[EXCHANGE, ACCOUNT_TYPE, NAME]);
            let inp = string_fields(input, &allowed, "funding source (app)");
            let got = string_fields(&out, &allowed, "funding source (to Dwolla)");
            let id = check_rebuilt(rw, &inp[EXCHANGE], &got[EXCHANGE], "exchanges");
            assert_eq!(id, exchange);
            assert_eq!(inp.get(ACCOUNT_TYPE), got.get(ACCOUNT_TYPE));
            assert_eq!(inp.get(NAME), got.get(NAME));
        }
        Ok((out, None)) => {
            assert!(object);
            let mut allowed = owned(&[CARD, NAME]);
            allowed.extend(
                ADDRESS
                    .iter()
                    .map(|k| format!("/cardDetails/billingAddress/{k}")),
            );
            let inp = string_fields(input, &allowed, "card funding source (app)");
            let got = string_fields(&out, &allowed, "card funding source (to Dwolla)");
            assert!(
                got.contains_key(CARD),
                "a card funding source without cardToken"
            );
            assert_eq!(inp, got);
        }
        Err(e) => check_refusal(&e),
    }
}

/// One input: the properties above, checked; a violation panics.
pub fn run(data: &[u8]) {
    let Ok(input) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    for rw in rewriters() {
        check(rw, &input);
    }
}
