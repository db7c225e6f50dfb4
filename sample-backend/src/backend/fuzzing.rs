//! Internal entry points for the fuzz targets in `fuzz/` (cargo feature `fuzzing`, off by
//! default; not part of the backend's API): the builders of the bodies sent to Dwolla
//! (`bodies`), as they are, and the [`Rewriter`] they take.

use serde_json::Value;

use super::bodies::{self, FundingSourceOrigin};
pub use super::error::ApiError;
pub use super::rewrite::{valid_id, Rewriter};

/// `bodies::session_body`: `POST /customers/{id}/exchange-sessions`.
pub fn session_body(rw: &Rewriter, body: &Value) -> Result<Value, ApiError> {
    bodies::session_body(rw, body)
}

/// `bodies::reauth_body`: `POST /exchanges/{id}/exchange-sessions`.
pub fn reauth_body(body: &Value) -> Result<Value, ApiError> {
    bodies::reauth_body(body)
}

/// `bodies::exchange_body`: `POST /customers/{id}/exchanges`.
pub fn exchange_body(rw: &Rewriter, body: &Value) -> Result<Value, ApiError> {
    bodies::exchange_body(rw, body)
}

/// `bodies::funding_source_body`: `POST /customers/{id}/funding-sources`, with the id of the
/// exchange it is made from (`None`: a debit card funding source).
pub fn funding_source_body(
    rw: &Rewriter,
    body: &Value,
) -> Result<(Value, Option<String>), ApiError> {
    bodies::funding_source_body(rw, body).map(|(v, origin)| match origin {
        FundingSourceOrigin::Exchange(id) => (v, Some(id)),
        FundingSourceOrigin::Card => (v, None),
    })
}
