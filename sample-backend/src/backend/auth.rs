//! Authentication of app users: `Authorization: Bearer <token>` looked up among the configured
//! users, then among the store's (a users file imported by any instance sharing the store). What
//! an authenticated user may reach is decided in `ownership.rs`.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use super::error::ApiError;
use super::{AppUser, Backend};

/// The authenticated app user of a request; extracting it answers 401 `InvalidAccessToken`
/// (with `WWW-Authenticate: Bearer`) for a missing, malformed or unknown bearer token. The
/// client limits' middleware (`limits.rs`) signs the caller in first and leaves it in the
/// request's extensions, where this extractor takes it.
#[derive(Clone)]
pub(crate) struct Caller(pub(crate) AppUser);

impl FromRequestParts<Backend> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Backend) -> Result<Self, ApiError> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, rest) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            })
            .ok_or_else(ApiError::unauthorized)?;
        if let Some(user) = state.inner.users.get(token) {
            return Ok(Caller(user.clone()));
        }
        state
            .inner
            .store
            .user(token)
            .await?
            .map(Caller)
            .ok_or_else(ApiError::unauthorized)
    }
}
