//! `Idempotency-Key`s: the app's key checked, the key sent to Dwolla derived from it, and the
//! request fingerprint recorded with it.
//!
//! Dwolla's keys are per account, and every app user shares the backend's account: sent as the
//! app sent it, one user's key would replay another user's answer. So the key sent to Dwolla is
//! an HMAC-SHA256, under the database's key secret, of the customer, the Dwolla path and the
//! app's key: a retry of one request by one user sends the same key (Dwolla replays its first
//! answer), and nothing another user sends can ever produce it.
//!
//! Keys are namespaced per user (by Dwolla customer): the app's key is recorded in the store
//! hashed together with its user's customer ([`key_hash`]), with the request it was sent with.
//! User B's key K and user A's key K are two keys: B's use of K is never refused because of A's
//! (nothing to learn about another user's keys, no key to claim ahead of another user), and the
//! same user's K with another request is 409 on every instance.

use axum::http::{HeaderMap, HeaderValue};
use ring::hmac;
use serde_json::Value;

use super::database::{hex, sha256_hex};
use super::error::ApiError;

/// What an app's `Idempotency-Key` must be.
pub(crate) const IDEMPOTENCY_KEY_RULE: &str =
    "An Idempotency-Key must be 1 to 255 printable ASCII characters (a UUID is recommended), sent once.";

/// The `Idempotency-Key` of a request: the app's, or a fresh one when the app sent none.
pub(crate) struct IdempotencyKey {
    value: String,
    from_app: bool,
}

impl IdempotencyKey {
    /// The app's key, when it sent one.
    pub(crate) fn app_key(&self) -> Option<&str> {
        self.from_app.then_some(self.value.as_str())
    }

    /// The key sent to Dwolla for `customer`'s request to `dwolla_path`: 64 hex digits.
    pub(crate) fn for_dwolla(
        &self,
        secret: &[u8],
        customer: &str,
        dwolla_path: &str,
    ) -> HeaderValue {
        let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
        let mut ctx = hmac::Context::with_key(&key);
        for part in [
            "iav-bridge idempotency v1",
            customer,
            dwolla_path,
            self.value.as_str(),
        ] {
            ctx.update(part.as_bytes());
            ctx.update(&[0]);
        }
        HeaderValue::from_str(&hex(ctx.sign().as_ref()))
            .expect("hex digits are a valid header value")
    }
}

/// The hash under which `customer`'s app key is stored: the key in its user's namespace.
pub(crate) fn key_hash(customer: &str, app_key: &str) -> String {
    let mut text = Vec::with_capacity(32 + customer.len() + app_key.len());
    for part in ["iav-bridge app key v2", customer, app_key] {
        text.extend_from_slice(part.as_bytes());
        text.push(0);
    }
    sha256_hex(&text)
}

/// The fingerprint of a request sent to Dwolla: a hash of its path and body (the body is built
/// by the backend, so the same request gives the same text).
pub(crate) fn fingerprint(dwolla_path: &str, body: &Value) -> String {
    sha256_hex(format!("{dwolla_path}\n{body}").as_bytes())
}

/// The app's `Idempotency-Key`: 1 to 255 printable ASCII characters, one header. A key that does
/// not fit (empty, too long, not ASCII, repeated) is 400 `ValidationError`; no key is a fresh UUID.
pub(crate) fn idempotency_key(headers: &HeaderMap) -> Result<IdempotencyKey, ApiError> {
    let mut sent = headers.get_all("idempotency-key").iter();
    let Some(value) = sent.next() else {
        return Ok(IdempotencyKey {
            value: uuid::Uuid::new_v4().to_string(),
            from_app: false,
        });
    };
    let usable = sent.next().is_none()
        && !value.is_empty()
        && value.len() <= 255
        && value.as_bytes().iter().all(|b| (0x20..=0x7e).contains(b));
    match value.to_str() {
        Ok(text) if usable => Ok(IdempotencyKey {
            value: text.to_string(),
            from_app: true,
        }),
        _ => Err(ApiError::validation(
            IDEMPOTENCY_KEY_RULE,
            "Idempotency-Key",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app_key(k: &str) -> IdempotencyKey {
        let mut headers = HeaderMap::new();
        headers.insert("idempotency-key", HeaderValue::from_str(k).unwrap());
        idempotency_key(&headers).unwrap()
    }

    #[test]
    fn the_dwolla_key_depends_on_secret_customer_path_and_key() {
        let k = app_key("k-1");
        let base = k.for_dwolla(b"secret", "alice", "/customers/alice/exchange-sessions");
        assert_eq!(base.len(), 64);
        assert_eq!(
            base,
            app_key("k-1").for_dwolla(b"secret", "alice", "/customers/alice/exchange-sessions")
        );
        for other in [
            k.for_dwolla(b"other", "alice", "/customers/alice/exchange-sessions"),
            k.for_dwolla(b"secret", "bob", "/customers/alice/exchange-sessions"),
            k.for_dwolla(b"secret", "alice", "/customers/alice/exchanges"),
            app_key("k-2").for_dwolla(b"secret", "alice", "/customers/alice/exchange-sessions"),
        ] {
            assert_ne!(base, other);
        }
        assert!(!base.to_str().unwrap().contains("k-1"));
    }

    #[test]
    fn parts_cannot_be_shifted_into_each_other() {
        // "ab" + "c" and "a" + "bc" must differ: parts are separated.
        let k = app_key("x");
        assert_ne!(k.for_dwolla(b"s", "ab", "c"), k.for_dwolla(b"s", "a", "bc"));
    }

    #[test]
    fn the_stored_key_is_per_user() {
        assert_eq!(key_hash("alice", "k"), key_hash("alice", "k"));
        assert_ne!(key_hash("alice", "k"), key_hash("bob", "k"));
        assert_ne!(key_hash("alice", "k"), key_hash("alice", "k2"));
        assert_ne!(key_hash("ab", "c"), key_hash("a", "bc"));
        assert_eq!(key_hash("alice", "k").len(), 64);
    }

    #[test]
    fn a_missing_key_is_fresh_and_not_the_apps() {
        let fresh = idempotency_key(&HeaderMap::new()).unwrap();
        assert!(fresh.app_key().is_none());
        assert_eq!(app_key("abc").app_key(), Some("abc"));
    }
}
