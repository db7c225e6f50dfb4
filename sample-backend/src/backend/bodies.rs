//! Request bodies: how they are read ([`JsonBody`]: `Content-Type`, size cap, read timeout, a
//! JSON object) and what is sent to Dwolla, which is never the app's body itself but a new body
//! built from the fields the contract allows for that call:
//!
//! | Call | Fields (required ones marked *) |
//! | --- | --- |
//! | create an exchange session | `_links.exchange-partner.href`*, `_links.redirect-url.href` |
//! | re-authentication session | `_links.redirect-url.href` |
//! | create an exchange | `_links.exchange-partner.href`*, and exactly one of `plaid.publicToken`, `mx.availableConnectionToken`, `token` (Checkout.com) |
//! | create a funding source | `_links.exchange.href`*, `bankAccountType`, `name` |
//!
//! Any other field, a missing required one, or a value that is not a string is refused with 400
//! `ValidationError`, one embedded error per field, before anything reaches Dwolla. Hrefs are
//! rebuilt on Dwolla's base from the id they name, so only an href of the expected collection on
//! the backend's public URL or on Dwolla's passes.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, StatusCode};
use futures_util::StreamExt;
use serde_json::{json, Map, Value};

use super::error::ApiError;
use super::rewrite::Rewriter;
use super::Backend;
use dwolla_simulator::HAL_JSON;

/// The media types a POST body may be sent as (parameters such as `charset` aside).
const ACCEPTED_TYPES: [&str; 2] = [HAL_JSON, "application/json"];

/// How much of a too-large body is still read (and discarded) so that the client, still
/// sending, receives the 413 instead of a reset connection.
const DRAIN_LIMIT: usize = 8 * 1024 * 1024;

/// The request body as a JSON object, read within the backend's limits: a `Content-Type` other
/// than HAL+JSON or JSON on a body is 415, a body over [`super::Limits::max_body_bytes`] is 413,
/// one slower than [`super::Limits::body_read_timeout`], or below [`super::Limits::body_min_rate`]
/// once [`super::Limits::body_rate_grace`] has passed, is 408, anything but a JSON object is
/// 400. An empty body (or only whitespace) is `{}`; a body without `Content-Type` is read as JSON.
pub(crate) struct JsonBody(pub(crate) Value);

impl FromRequest<Backend> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &Backend) -> Result<Self, ApiError> {
        let limits = &state.inner.limits;
        let (parts, body) = req.into_parts();
        if has_body(&parts.headers) && !accepted_type(&parts.headers) {
            return Err(unsupported_media_type());
        }
        let max = limits.max_body_bytes;
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > DRAIN_LIMIT as u64) {
            return Err(too_large(max).closing());
        }
        let pace = Pace {
            timeout: limits.body_read_timeout,
            grace: limits.body_rate_grace,
            min_rate: limits.body_min_rate,
        };
        let bytes = read_body(body, max, pace).await?;
        parse(&bytes).map(JsonBody)
    }
}

/// Whether the request carries a body (a non-zero `Content-Length`, or chunked).
pub(crate) fn has_body(headers: &HeaderMap) -> bool {
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0")
}

/// Whether `Content-Type` is absent or one of [`ACCEPTED_TYPES`].
fn accepted_type(headers: &HeaderMap) -> bool {
    match headers.get(header::CONTENT_TYPE) {
        None => true,
        Some(v) => v.to_str().ok().is_some_and(|v| {
            let essence = v.split(';').next().unwrap_or("").trim();
            ACCEPTED_TYPES
                .iter()
                .any(|t| t.eq_ignore_ascii_case(essence))
        }),
    }
}

/// How fast a body must arrive: within `timeout` in all, and, once `grace` has passed, at
/// `min_rate` bytes a second at least (counted from the start: after `grace + n / min_rate`
/// seconds, `n` bytes must have arrived).
#[derive(Debug, Clone, Copy)]
struct Pace {
    timeout: Duration,
    grace: Duration,
    min_rate: u32,
}

impl Pace {
    /// When a body that started at `start` and has sent `seen` bytes is too late.
    fn deadline(self, start: Instant, seen: usize) -> Instant {
        let cap = start.checked_add(self.timeout);
        let earned = if self.min_rate == 0 {
            self.timeout
        } else {
            // Past u64 seconds the cap applies anyway.
            let secs = seen as f64 / f64::from(self.min_rate);
            self.grace
                .saturating_add(Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX))
        };
        let paced = start.checked_add(earned);
        match (cap, paced) {
            (Some(cap), Some(paced)) => cap.min(paced),
            (Some(at), None) | (None, Some(at)) => at,
            // Too far for the clock: about a century.
            (None, None) => start + Duration::from_secs(3_153_600_000),
        }
    }
}

/// Reads at most `max` bytes of `body` at the `pace` required; a longer body is drained up to
/// [`DRAIN_LIMIT`] and refused with 413, a slower one is 408.
async fn read_body(body: Body, max: usize, pace: Pace) -> Result<Vec<u8>, ApiError> {
    let mut stream = body.into_data_stream();
    let start = Instant::now();
    let mut bytes = Vec::new();
    let mut seen = 0usize;
    loop {
        let deadline = pace.deadline(start, seen);
        let next = match tokio::time::timeout_at(deadline.into(), stream.next()).await {
            Ok(next) => next,
            Err(_) => return Err(too_slow(pace, start.elapsed())),
        };
        let Some(chunk) = next else { break };
        let chunk = chunk.map_err(|_| ApiError::bad_body().closing())?;
        seen = seen.saturating_add(chunk.len());
        if seen > DRAIN_LIMIT {
            return Err(too_large(max).closing());
        }
        if seen <= max {
            bytes.extend_from_slice(&chunk);
        }
    }
    if seen > max {
        return Err(too_large(max).closing());
    }
    Ok(bytes)
}

/// 408 `RequestTimeout` (closing the connection): the body took its whole time limit, or fell
/// below the least rate.
fn too_slow(pace: Pace, elapsed: Duration) -> ApiError {
    let message = if elapsed + Duration::from_millis(1) >= pace.timeout {
        format!(
            "The request body did not arrive within {} s.",
            pace.timeout.as_secs_f64()
        )
    } else {
        format!(
            "The request body arrived slower than {} bytes a second (after {} s).",
            pace.min_rate,
            pace.grace.as_secs_f64()
        )
    };
    ApiError::new(StatusCode::REQUEST_TIMEOUT, "RequestTimeout", &message).closing()
}

/// The body as a JSON object; empty (or only whitespace) is `{}`, anything else 400.
fn parse(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(json!({}));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(ApiError::bad_body()),
    }
}

/// 413 `RequestEntityTooLarge`.
fn too_large(max: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "RequestEntityTooLarge",
        &format!("The request body is larger than the {max} bytes the backend accepts."),
    )
}

/// 415 `UnsupportedMediaType`.
fn unsupported_media_type() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UnsupportedMediaType",
        "The request body must be sent as Content-Type: application/vnd.dwolla.v1.hal+json or application/json.",
    )
}

// ---------------------------------------------------------------------------------------------
// The bodies sent to Dwolla

/// A JSON pointer segment (RFC 6901), cut to 64 characters for an error message.
fn segment(key: &str) -> String {
    let escaped = key.replace('~', "~0").replace('/', "~1");
    match escaped.char_indices().nth(64) {
        Some((cut, _)) => format!("{}...", &escaped[..cut]),
        None => escaped,
    }
}

/// Every leaf of `v` (a value that is not an object, or an empty object) by JSON pointer.
fn leaves<'a>(v: &'a Value, at: String, out: &mut Vec<(String, &'a Value)>) {
    match v {
        Value::Object(map) if !map.is_empty() => {
            for (k, item) in map {
                leaves(item, format!("{at}/{}", segment(k)), out);
            }
        }
        _ => out.push((at, v)),
    }
}

/// One embedded error of a `ValidationError`: code, message, path.
type FieldError = (&'static str, String, String);

/// The string fields of `body` at the `allowed` pointers, one of them `required` (when given,
/// with why). Every other field, an allowed one that is not a string, and a missing required one
/// is one embedded error of a 400 `ValidationError` naming what `call` accepts. An empty body
/// (`{}`) has no fields.
fn fields(
    body: &Value,
    allowed: &[&'static str],
    required: Option<(&'static str, &str)>,
    call: &str,
) -> Result<BTreeMap<&'static str, String>, ApiError> {
    let (found, mut errors) = collect(body, allowed, call);
    if let Some((path, why)) = required {
        if !found.contains_key(path) && !errors.iter().any(|e| e.2 == path) {
            errors.push((
                "Required",
                format!("{path} is required: {why}"),
                path.into(),
            ));
        }
    }
    if errors.is_empty() {
        Ok(found)
    } else {
        Err(ApiError::validations(&errors))
    }
}

/// The allowed string fields of `body` and the errors of the others.
fn collect(
    body: &Value,
    allowed: &[&'static str],
    call: &str,
) -> (BTreeMap<&'static str, String>, Vec<FieldError>) {
    let mut found = BTreeMap::new();
    let mut errors = Vec::new();
    let mut all = Vec::new();
    if body.as_object().is_some_and(|m| !m.is_empty()) {
        leaves(body, String::new(), &mut all);
    }
    let accepted = allowed.join(", ");
    for (path, value) in all {
        match allowed.iter().find(|a| **a == path) {
            Some(a) => match value.as_str() {
                Some(s) => {
                    found.insert(*a, s.to_string());
                }
                None => errors.push(("Invalid", format!("{path} must be a string."), path.clone())),
            },
            None => errors.push((
                "NotAllowed",
                format!("{path} is not accepted: {call} takes only {accepted}."),
                path.clone(),
            )),
        }
        if errors.len() >= 20 {
            break;
        }
    }
    (found, errors)
}

/// 400 `ValidationError`: `path` is required.
fn required(path: &str, why: &str) -> ApiError {
    ApiError::validations(&[(
        "Required",
        format!("{path} is required: {why}"),
        path.into(),
    )])
}

/// 400 `ValidationError`: `path` is not a usable href.
fn invalid_href(path: &str) -> ApiError {
    ApiError::validation(&format!("{path} is invalid."), path)
}

/// The id of the `collection` resource an href names, on the public URL or on Dwolla's.
fn href_id(rw: &Rewriter, href: &str, collection: &str, path: &str) -> Result<String, ApiError> {
    rw.id_in(href, collection).ok_or_else(|| invalid_href(path))
}

const PARTNER: &str = "/_links/exchange-partner/href";
const REDIRECT: &str = "/_links/redirect-url/href";
const EXCHANGE: &str = "/_links/exchange/href";
const PLAID_TOKEN: &str = "/plaid/publicToken";
const MX_TOKEN: &str = "/mx/availableConnectionToken";
const CARD_TOKEN: &str = "/token";
const ACCOUNT_TYPE: &str = "/bankAccountType";
const NAME: &str = "/name";
const FUNDING_CARD_TOKEN: &str = "/cardToken";
/// The billing address of a debit card funding source (Dwolla's `cardDetails.billingAddress`).
const BILLING_ADDRESS: [&str; 7] = [
    "/cardDetails/billingAddress/address1",
    "/cardDetails/billingAddress/address2",
    "/cardDetails/billingAddress/address3",
    "/cardDetails/billingAddress/city",
    "/cardDetails/billingAddress/stateProvinceRegion",
    "/cardDetails/billingAddress/country",
    "/cardDetails/billingAddress/postalCode",
];

/// `_links` of a body to Dwolla: each `(relation, href)`.
fn links(items: &[(&str, String)]) -> Value {
    let mut map = Map::new();
    for (rel, href) in items {
        map.insert(rel.to_string(), json!({ "href": href }));
    }
    Value::Object(map)
}

/// The body of `POST /customers/{id}/exchange-sessions` to Dwolla.
pub(crate) fn session_body(rw: &Rewriter, body: &Value) -> Result<Value, ApiError> {
    let f = fields(
        body,
        &[PARTNER, REDIRECT],
        Some((PARTNER, "the exchange partner of the session.")),
        "an exchange session",
    )?;
    let partner = &f[PARTNER];
    let partner = href_id(rw, partner, "exchange-partners", PARTNER)?;
    let mut l = vec![(
        "exchange-partner",
        rw.dwolla_href("exchange-partners", &partner),
    )];
    if let Some(r) = f.get(REDIRECT) {
        l.push(("redirect-url", r.clone()));
    }
    Ok(json!({ "_links": links(&l) }))
}

/// The body of `POST /exchanges/{id}/exchange-sessions` (re-authentication) to Dwolla.
pub(crate) fn reauth_body(body: &Value) -> Result<Value, ApiError> {
    let f = fields(body, &[REDIRECT], None, "a re-authentication session")?;
    Ok(match f.get(REDIRECT) {
        Some(r) => json!({ "_links": links(&[("redirect-url", r.clone())]) }),
        None => json!({}),
    })
}

/// The body of `POST /customers/{id}/exchanges` to Dwolla.
pub(crate) fn exchange_body(rw: &Rewriter, body: &Value) -> Result<Value, ApiError> {
    let f = fields(
        body,
        &[PARTNER, PLAID_TOKEN, MX_TOKEN, CARD_TOKEN],
        Some((PARTNER, "the exchange partner of the exchange.")),
        "an exchange",
    )?;
    let partner = &f[PARTNER];
    let partner = href_id(rw, partner, "exchange-partners", PARTNER)?;
    let tokens: Vec<_> = [PLAID_TOKEN, MX_TOKEN, CARD_TOKEN]
        .into_iter()
        .filter(|p| f.contains_key(p))
        .collect();
    let mut out = json!({
        "_links": links(&[("exchange-partner", rw.dwolla_href("exchange-partners", &partner))]),
    });
    match tokens.as_slice() {
        [one] => {
            let value = f[one].clone();
            match *one {
                PLAID_TOKEN => out["plaid"] = json!({ "publicToken": value }),
                MX_TOKEN => out["mx"] = json!({ "availableConnectionToken": value }),
                _ => out["token"] = json!(value),
            }
        }
        [] => {
            return Err(required(
                PLAID_TOKEN,
                "an exchange takes one of /plaid/publicToken, /mx/availableConnectionToken or /token.",
            ))
        }
        [_, second, ..] => {
            return Err(ApiError::validations(&[(
                "NotAllowed",
                format!("{second} is not accepted with another token: an exchange takes one of /plaid/publicToken, /mx/availableConnectionToken or /token."),
                second.to_string(),
            )]))
        }
    }
    Ok(out)
}

/// What a funding source is made from: an exchange (a bank account, verified instantly), whose
/// owner the caller must be, or a debit card token (Checkout.com), which Dwolla ties to the
/// customer itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FundingSourceOrigin {
    /// `_links.exchange`: the id of the exchange.
    Exchange(String),
    /// `cardToken`: a debit card funding source.
    Card,
}

/// The body of `POST /customers/{id}/funding-sources` to Dwolla and what it is made from. A bank
/// funding source takes `_links.exchange.href` (required), `bankAccountType` and `name`; a card
/// funding source `cardToken`, `name` and `cardDetails.billingAddress` (Dwolla checks the
/// address's fields). Bank account numbers are never accepted.
pub(crate) fn funding_source_body(
    rw: &Rewriter,
    body: &Value,
) -> Result<(Value, FundingSourceOrigin), ApiError> {
    if body.get("cardToken").is_some() {
        return card_funding_source_body(body);
    }
    let f = fields(
        body,
        &[EXCHANGE, ACCOUNT_TYPE, NAME],
        Some((
            EXCHANGE,
            "a funding source is created only from an exchange (instant account verification) or a debit card token (cardToken); bank account numbers are not accepted.",
        )),
        "a funding source",
    )?;
    let exchange = &f[EXCHANGE];
    let exchange = href_id(rw, exchange, "exchanges", EXCHANGE)?;
    let mut out = json!({
        "_links": links(&[("exchange", rw.dwolla_href("exchanges", &exchange))]),
    });
    if let Some(t) = f.get(ACCOUNT_TYPE) {
        out["bankAccountType"] = json!(t);
    }
    if let Some(n) = f.get(NAME) {
        out["name"] = json!(n);
    }
    Ok((out, FundingSourceOrigin::Exchange(exchange)))
}

/// The card form of [`funding_source_body`]: `cardToken`, `name`, `cardDetails.billingAddress`.
fn card_funding_source_body(body: &Value) -> Result<(Value, FundingSourceOrigin), ApiError> {
    let mut allowed = vec![FUNDING_CARD_TOKEN, NAME];
    allowed.extend(BILLING_ADDRESS);
    let f = fields(
        body,
        &allowed,
        Some((
            FUNDING_CARD_TOKEN,
            "the debit card token of the card funding source.",
        )),
        "a debit card funding source",
    )?;
    let mut out = json!({ "cardToken": f[FUNDING_CARD_TOKEN] });
    if let Some(n) = f.get(NAME) {
        out["name"] = json!(n);
    }
    let mut address = serde_json::Map::new();
    for path in BILLING_ADDRESS {
        if let Some(v) = f.get(path) {
            let key = path.rsplit('/').next().unwrap_or(path);
            address.insert(key.to_string(), json!(v));
        }
    }
    if !address.is_empty() {
        out["cardDetails"] = json!({ "billingAddress": Value::Object(address) });
    }
    Ok((out, FundingSourceOrigin::Card))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw() -> Rewriter {
        Rewriter::new("http://dwolla", "http://public")
    }

    #[test]
    fn a_card_funding_source_is_rebuilt_from_its_fields_only() {
        let (b, origin) = funding_source_body(
            &rw(),
            &json!({"cardToken": "src_x", "name": "Debit", "cardDetails": {"billingAddress": {
                "address1": "1 Main St", "city": "Des Moines", "stateProvinceRegion": "IA",
                "country": "US", "postalCode": "50309"}}}),
        )
        .unwrap();
        assert_eq!(origin, FundingSourceOrigin::Card);
        assert_eq!(b["cardToken"], "src_x");
        assert_eq!(b["cardDetails"]["billingAddress"]["city"], "Des Moines");
        for bad in [
            json!({"cardToken": "src_x", "name": "Debit", "cardNumber": "4111111111111111"}),
            json!({"cardToken": "src_x", "cardDetails": {"billingAddress": {"address1": "x", "street9": "y"}}}),
            json!({"cardToken": 7, "name": "Debit"}),
            json!({"cardToken": "src_x", "_links": {"exchange": {"href": "http://public/exchanges/ab-1"}}}),
        ] {
            let e = funding_source_body(&rw(), &bad).unwrap_err();
            assert_eq!(e.status(), StatusCode::BAD_REQUEST, "{bad}");
        }
    }

    #[test]
    fn a_funding_source_from_account_numbers_is_refused() {
        let e = funding_source_body(
            &rw(),
            &json!({"routingNumber": "222222226", "accountNumber": "123456789", "bankAccountType": "checking", "name": "x"}),
        )
        .unwrap_err();
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn bodies_are_rebuilt_on_dwolla_from_the_allowed_fields() {
        let (b, id) = funding_source_body(
            &rw(),
            &json!({"_links": {"exchange": {"href": "http://public/exchanges/ab-1"}}, "bankAccountType": "savings", "name": "n"}),
        )
        .unwrap();
        assert_eq!(id, FundingSourceOrigin::Exchange("ab-1".into()));
        assert_eq!(
            b,
            json!({"_links": {"exchange": {"href": "http://dwolla/exchanges/ab-1"}}, "bankAccountType": "savings", "name": "n"})
        );
        let s = session_body(
            &rw(),
            &json!({"_links": {"exchange-partner": {"href": "http://dwolla/exchange-partners/p1"}, "redirect-url": {"href": "com.example.app"}}}),
        )
        .unwrap();
        assert_eq!(
            s["_links"]["exchange-partner"]["href"],
            "http://dwolla/exchange-partners/p1"
        );
        assert_eq!(s["_links"]["redirect-url"]["href"], "com.example.app");
        assert_eq!(reauth_body(&json!({})).unwrap(), json!({}));
        for bad in [
            json!({"_links": {"exchange-partner": {"href": "http://dwolla/exchange-partners/p1"}}, "extra": 1}),
            json!({"_links": {"exchange-partner": {"href": "http://elsewhere/exchange-partners/p1"}}}),
            json!({"_links": {"exchange-partner": {"href": 7}}}),
            json!({"_links": {"exchange-partner": {"href": "http://dwolla/exchange-partners/p1", "type": "x"}}}),
            json!({}),
        ] {
            assert!(session_body(&rw(), &bad).is_err(), "{bad}");
        }
        let two = json!({"_links": {"exchange-partner": {"href": "http://dwolla/exchange-partners/p1"}},
            "plaid": {"publicToken": "a"}, "mx": {"availableConnectionToken": "b"}});
        assert!(exchange_body(&rw(), &two).is_err());
    }
}
