//! The customer's funding sources beyond the bank one made from an exchange: debit card funding
//! sources from a Checkout.com card token (Dwolla's `CreateCustomerCardFundingSource`), the
//! customer's list (`GET /customers/{id}/funding-sources`), one funding source, its removal
//! (`POST /funding-sources/{id}` with `{"removed": true}`), and the duplicate-bank answer.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::api::{link, messages::VALIDATION_ERRORS, parse_body};
use super::middleware::BaseUrl;
use super::model::{new_id, now_iso, FundingSource, FundingSourceKind, State as SimState};
use super::response::{created, error, hal, not_found, validation, validation_with_code};
use super::Simulator;

/// The officially assigned ISO 3166-1 alpha-2 country codes.
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI \
BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ \
DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ \
GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN \
KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS \
MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT \
PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF \
TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM \
ZW";

/// Whether `code` is an ISO 3166-1 alpha-2 country code (upper case, as Dwolla writes them).
pub(crate) fn is_country(code: &str) -> bool {
    code.len() == 2 && COUNTRIES.split(' ').any(|c| c == code)
}

/// A new funding-source fingerprint (64 hex digits).
pub(crate) fn fingerprint() -> String {
    format!("{}{}", new_id().replace('-', ""), new_id().replace('-', ""))
}

/// The customer's funding source (not removed) of the bank account `account`, if any.
pub(crate) fn same_bank(state: &SimState, customer: &str, account: &str) -> Option<String> {
    if account.is_empty() {
        return None;
    }
    state
        .funding_sources
        .iter()
        .find(|(_, fs)| {
            fs.customer_id == customer
                && !fs.removed
                && matches!(&fs.kind, FundingSourceKind::Bank { account: a, .. } if a == account)
        })
        .map(|(id, _)| id.clone())
}

/// Dwolla's duplicate bank answer (`DuplicateResourceSchema`): 400 `DuplicateResource`
/// "Bank already exists: id=<id>" with `_links.about` on the existing funding source.
pub(crate) fn duplicate_bank(base: &str, existing: &str) -> Response {
    hal(
        StatusCode::BAD_REQUEST,
        json!({
            "code": "DuplicateResource",
            "message": format!("Bank already exists: id={existing}"),
            "_links": { "about": link(format!("{base}/funding-sources/{existing}"), "funding-source") },
        }),
    )
}

/// A funding source as Dwolla shows it (`FundingSource` in the `OpenAPI` document).
pub(crate) fn funding_source_json(base: &str, id: &str, fs: &FundingSource) -> Value {
    let me = format!("{base}/funding-sources/{id}");
    let mut links = Map::new();
    links.insert("self".into(), link(me.clone(), "funding-source"));
    links.insert(
        "customer".into(),
        link(format!("{base}/customers/{}", fs.customer_id), "customer"),
    );
    let mut body = json!({
        "id": id,
        "status": "verified",
        "name": fs.name,
        "created": fs.created,
        "removed": fs.removed,
        "fingerprint": fs.fingerprint,
    });
    match &fs.kind {
        FundingSourceKind::Bank {
            exchange_id,
            bank_account_type,
            ..
        } => {
            links.insert(
                "exchange".into(),
                link(format!("{base}/exchanges/{exchange_id}"), "exchange"),
            );
            body["type"] = json!("bank");
            body["bankAccountType"] = json!(bank_account_type);
            body["channels"] = json!(["ach"]);
            body["bankName"] = json!("SANDBOX TEST BANK");
        }
        FundingSourceKind::Card {
            card,
            billing_address,
        } => {
            body["type"] = json!("card");
            body["channels"] = json!([]);
            // Simulator choice: `bin` (optional in the document) is left out.
            body["cardDetails"] = json!({
                "brand": card.brand,
                "lastFour": card.last_four,
                "expirationMonth": card.expiration_month,
                "expirationYear": card.expiration_year,
                "nameOnCard": card.name_on_card,
                "billingAddress": billing_address,
            });
        }
    }
    if !fs.removed {
        links.insert("remove".into(), link(me, "funding-source"));
    }
    body["_links"] = Value::Object(links);
    body
}

/// `GET /funding-sources/{id}`.
pub(crate) async fn get_funding_source(
    State(sim): State<Simulator>,
    Extension(BaseUrl(base)): Extension<BaseUrl>,
    Path(id): Path<String>,
) -> Response {
    let state = sim.state();
    match state.funding_sources.get(&id) {
        Some(fs) => hal(StatusCode::OK, funding_source_json(&base, &id, fs)),
        None => not_found(),
    }
}

/// `GET /customers/{id}/funding-sources[?removed=false]`: Dwolla's list, oldest first; removed
/// ones are included unless `removed=false` (Dwolla: "Defaults to `true`").
pub(crate) async fn list_funding_sources(
    State(sim): State<Simulator>,
    Extension(BaseUrl(base)): Extension<BaseUrl>,
    Path(customer_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let state = sim.state();
    if !state.customers.contains_key(&customer_id) {
        return error(StatusCode::NOT_FOUND, "notFound", "Customer not found.");
    }
    let without_removed = query
        .get("removed")
        .is_some_and(|v| v.eq_ignore_ascii_case("false"));
    let mut mine: Vec<(&String, &FundingSource)> = state
        .funding_sources
        .iter()
        .filter(|(_, fs)| fs.customer_id == customer_id && !(without_removed && fs.removed))
        .collect();
    mine.sort_by_key(|(_, fs)| fs.seq);
    let items: Vec<Value> = mine
        .iter()
        .map(|(id, fs)| funding_source_json(&base, id, fs))
        .collect();
    let total = items.len();
    let me = format!("{base}/customers/{customer_id}");
    hal(
        StatusCode::OK,
        json!({
            "_links": {
                "self": link(format!("{me}/funding-sources"), "funding-source"),
                "customer": link(me, "customer"),
            },
            "_embedded": { "funding-sources": items },
            "total": total,
        }),
    )
}

/// `POST /funding-sources/{id}`: `{"removed": true}` removes (soft delete); `{"name"}` renames a
/// bank funding source. Answers 200 with the funding source.
pub(crate) async fn update_funding_source(
    State(sim): State<Simulator>,
    Extension(BaseUrl(base)): Extension<BaseUrl>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let mut state = sim.state();
    if !state.funding_sources.contains_key(&id) {
        return not_found();
    }
    let body = match parse_body(&body, false) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let Some(fs) = state.funding_sources.get_mut(&id) else {
        return not_found();
    };
    if fs.removed {
        return error(
            StatusCode::FORBIDDEN,
            "InvalidResourceState",
            "A removed bank cannot be updated.",
        );
    }
    if let Some(removed) = body.get("removed") {
        if removed != &Value::Bool(true) {
            return validation(
                "Removed must be true to remove a funding source.",
                "/removed",
            );
        }
        fs.removed = true;
        return hal(StatusCode::OK, funding_source_json(&base, &id, fs));
    }
    if matches!(fs.kind, FundingSourceKind::Card { .. }) {
        return error(
            StatusCode::BAD_REQUEST,
            "ValidationError",
            "Only funding sources of type='bank' can be updated.",
        );
    }
    if let Some(key) = body
        .as_object()
        .and_then(|o| o.keys().find(|k| *k != "name" && *k != "_links"))
    {
        return validation(
            &format!("{key} cannot be updated on a verified funding source."),
            &format!("/{key}"),
        );
    }
    match body.get("name").and_then(Value::as_str).map(str::trim) {
        Some(n) if !n.is_empty() && n.chars().count() <= 50 => fs.name = n.to_string(),
        Some(n) if !n.is_empty() => {
            return validation("Name must be 50 characters or less.", "/name");
        }
        _ => return validation_with_code("Required", "Name required.", "/name"),
    }
    hal(StatusCode::OK, funding_source_json(&base, &id, fs))
}

/// One embedded validation error.
fn field_error(code: &str, message: &str, path: &str) -> Value {
    json!({ "code": code, "message": message, "path": path, "_links": {} })
}

/// A string field of a card body: `Ok(None)` when missing or blank, an error when not a string
/// or longer than `max` characters.
fn text_field(
    parent: Option<&Value>,
    name: &str,
    path: &str,
    label: &str,
    max: Option<usize>,
    errors: &mut Vec<Value>,
) -> Option<String> {
    match parent.and_then(|p| p.get(name)) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => match max {
            Some(max) if s.trim().chars().count() > max => {
                errors.push(field_error(
                    "Invalid",
                    &format!("{label} must be {max} characters or less."),
                    path,
                ));
                None
            }
            _ => Some(s.trim().to_string()),
        },
        Some(_) => {
            errors.push(field_error(
                "Invalid",
                &format!("{label} must be a string."),
                path,
            ));
            None
        }
    }
}

/// A required string field: a `Required` error when missing.
fn required_field(
    parent: Option<&Value>,
    name: &str,
    path: &str,
    label: &str,
    max: Option<usize>,
    errors: &mut Vec<Value>,
) -> Option<String> {
    let present = parent.and_then(|p| p.get(name)).is_some_and(|v| match v {
        Value::String(s) => !s.trim().is_empty(),
        Value::Null => false,
        _ => true,
    });
    if !present {
        errors.push(field_error(
            "Required",
            &format!("{label} is required."),
            path,
        ));
        return None;
    }
    text_field(parent, name, path, label, max, errors)
}

/// `POST /customers/{id}/funding-sources` with a card token: checks the body as the document's
/// `CreateCustomerCardFundingSource` states it, then the card token; 201 + Location.
pub(crate) fn create_card(
    state: &mut SimState,
    base: &str,
    customer_id: &str,
    body: &Value,
) -> Response {
    const ADDRESS: &str = "/cardDetails/billingAddress";
    let mut errors = Vec::new();
    let root = Some(body);
    let token = required_field(
        root,
        "cardToken",
        "/cardToken",
        "Card token",
        None,
        &mut errors,
    );
    let name = required_field(root, "name", "/name", "Name", Some(50), &mut errors);
    let address = body
        .pointer("/cardDetails/billingAddress")
        .filter(|a| a.is_object());
    let mut billing = Map::new();
    if address.is_none() {
        errors.push(field_error(
            "Required",
            "Billing address is required.",
            ADDRESS,
        ));
    } else {
        let fields: [(&str, &str, Option<usize>, bool); 7] = [
            ("address1", "Address1", Some(50), true),
            ("address2", "Address2", Some(100), false),
            ("address3", "Address3", Some(100), false),
            ("city", "City", Some(50), true),
            ("stateProvinceRegion", "StateProvinceRegion", None, true),
            ("country", "Country", None, true),
            ("postalCode", "PostalCode", None, true),
        ];
        for (field, label, max, required) in fields {
            let path = format!("{ADDRESS}/{field}");
            let value = if required {
                required_field(address, field, &path, label, max, &mut errors)
            } else {
                text_field(address, field, &path, label, max, &mut errors)
            };
            let Some(value) = value else { continue };
            let valid = match field {
                "stateProvinceRegion" => {
                    value.len() == 2 && value.bytes().all(|b| b.is_ascii_uppercase())
                }
                "country" => is_country(&value),
                _ => true,
            };
            if !valid {
                let message = if field == "country" {
                    "Country must be a two-letter ISO 3166-1 alpha-2 code."
                } else {
                    "StateProvinceRegion must be a two-letter code."
                };
                errors.push(field_error("Invalid", message, &path));
                continue;
            }
            billing.insert(field.to_string(), Value::String(value));
        }
    }
    if !errors.is_empty() {
        return hal(
            StatusCode::BAD_REQUEST,
            json!({ "code": "ValidationError", "message": VALIDATION_ERRORS, "_embedded": { "errors": errors } }),
        );
    }
    let (Some(token), Some(name)) = (token, name) else {
        return validation_with_code("Required", "Card token is required.", "/cardToken");
    };
    // An unknown, used or other customer's card token: the document's InvalidCardTokenError.
    let card = match state.card_tokens.get_mut(&token) {
        Some(t) if !t.used && t.customer_id == customer_id => {
            t.used = true;
            t.card.clone()
        }
        _ => {
            return hal(
                StatusCode::BAD_REQUEST,
                json!({
                    "code": "ValidationError",
                    "message": VALIDATION_ERRORS,
                    "_embedded": { "errors": [ field_error("Invalid", "The card data is invalid.", "/cardToken") ] },
                }),
            )
        }
    };
    let id = new_id();
    let seq = state.next_seq();
    state.funding_sources.insert(
        id.clone(),
        FundingSource {
            customer_id: customer_id.to_string(),
            name,
            created: now_iso(),
            fingerprint: fingerprint(),
            removed: false,
            seq,
            kind: FundingSourceKind::Card {
                card,
                billing_address: Value::Object(billing),
            },
        },
    );
    created(&format!("{base}/funding-sources/{id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_are_iso_alpha_2_codes() {
        assert_eq!(COUNTRIES.split(' ').count(), 249);
        for code in ["US", "CA", "GB", "DE", "ZW", "AX"] {
            assert!(is_country(code), "{code}");
        }
        for code in ["us", "USA", "XX", "UK", "", "U"] {
            assert!(!is_country(code), "{code}");
        }
    }
}
