//! The redirect allow-list: the `_links.redirect-url.href` values the backend accepts when an
//! exchange session is created, checked before anything is sent to Dwolla.

use serde_json::Value;

use super::error::ApiError;
use super::Backend;

/// The redirect values allowed by default in simulated mode: an Android package name and an
/// iOS universal link.
pub const DEFAULT_ALLOWED_REDIRECTS: [&str; 2] = ["com.example.app", "https://example.com/app"];

impl Backend {
    /// Refuses a body whose `_links.redirect-url` is present but not exactly an allowed value
    /// (400 `ValidationError`, Dwolla's text); a body without one passes.
    pub(crate) fn check_redirect(&self, body: &Value) -> Result<(), ApiError> {
        match body.pointer("/_links/redirect-url") {
            None => Ok(()),
            Some(link) => match link.get("href").and_then(Value::as_str) {
                Some(href) if self.inner.allowed.iter().any(|a| a == href) => Ok(()),
                _ => Err(ApiError::redirect_not_allowed()),
            },
        }
    }
}
