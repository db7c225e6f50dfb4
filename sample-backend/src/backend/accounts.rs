//! The customer's accounts: the list of the caller's funding sources (removed ones left out) and
//! the removal of one of them. Both go through the ownership check: another user's customer or
//! funding source answers 404 as if it did not exist.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde_json::{json, Value};

use super::auth::Caller;
use super::bodies::JsonBody;
use super::error::ApiError;
use super::idempotency::idempotency_key;
use super::passthrough::Answer;
use super::routes::id_of;
use super::store::ResourceKind;
use super::Backend;

/// `GET /customers/{id}/funding-sources`: Dwolla's list of the caller's funding sources, asked
/// with `removed=false` (whatever query the app sent), removed ones left out once more.
pub(crate) async fn list_funding_sources(
    State(b): State<Backend>,
    Caller(user): Caller,
    path: Result<Path<String>, PathRejection>,
) -> Answer {
    let customer = b.customer(&user, &id_of(path)?)?;
    let _slot = b.inner.dwolla_slots.acquire().await?;
    let mut resp = b
        .inner
        .dwolla
        .get(&format!(
            "/customers/{customer}/funding-sources?removed=false"
        ))
        .await?;
    if let Some(items) = resp
        .body
        .as_mut()
        .and_then(|v| v.pointer_mut("/_embedded/funding-sources"))
        .and_then(Value::as_array_mut)
    {
        items.retain(|fs| fs.get("removed") != Some(&Value::Bool(true)));
        let total = items.len();
        if let Some(body) = resp.body.as_mut().and_then(Value::as_object_mut) {
            if body.contains_key("total") {
                body.insert("total".into(), json!(total));
            }
        }
    }
    b.answer(resp)
}

/// The only body the remove route takes: `{"removed": true}`; anything else is 400
/// `ValidationError` at the offending path.
fn check_remove_body(body: &Value) -> Result<(), ApiError> {
    let object = body.as_object().ok_or_else(ApiError::bad_body)?;
    if let Some(other) = object.keys().find(|k| *k != "removed") {
        return Err(ApiError::validation(
            &format!("{other} is not accepted: only removed may be sent."),
            &format!("/{other}"),
        ));
    }
    if object.get("removed") != Some(&Value::Bool(true)) {
        return Err(ApiError::validation("removed must be true.", "/removed"));
    }
    Ok(())
}

/// `POST /funding-sources/{id}` with `{"removed": true}`: removes the caller's funding source
/// (Dwolla's soft delete) and answers 200 with it, `removed: true`.
pub(crate) async fn remove_funding_source(
    State(b): State<Backend>,
    Caller(user): Caller,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Answer {
    let id = id_of(path)?;
    check_remove_body(&body)?;
    let key = idempotency_key(&headers)?;
    // Every local check is done: now a Dwolla slot (see limits.rs).
    let _slot = b.inner.dwolla_slots.acquire().await?;
    b.fetch_owned(ResourceKind::FundingSource, &id, &user)
        .await?;
    // The body sent to Dwolla is built here, never the app's; the key is derived per customer.
    let dwolla_path = format!("/funding-sources/{id}");
    let dwolla_key = b.dwolla_key(&key, &user.customer_id, &dwolla_path).await?;
    let resp = b
        .inner
        .dwolla
        .post(&dwolla_path, &json!({ "removed": true }), &dwolla_key)
        .await?;
    b.answer(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_removed_true_is_accepted() {
        assert!(check_remove_body(&json!({"removed": true})).is_ok());
        for body in [
            json!({"removed": false}),
            json!({"removed": "true"}),
            json!({}),
            json!({"removed": true, "name": "x"}),
            json!([true]),
        ] {
            let e = check_remove_body(&body).unwrap_err();
            assert_eq!(e.status().as_u16(), 400, "{body}");
        }
    }
}
