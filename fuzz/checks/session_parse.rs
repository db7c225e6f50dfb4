//! The exchange-session parser on arbitrary bytes: it never panics; an `Ok` session holds the
//! body's `created` and self href, and the partner is the one the body names, by precedence:
//! Plaid (`externalProviderSessionToken`, never empty), else Checkout.com
//! (`externalProviderSessionData` with `id`, `payment_session_secret`, `payment_session_token`),
//! else a web page (`_links.external-provider-session.href`), else unknown; its `Debug` never
//! shows the Plaid token or the Checkout.com secret and token; an error stays short whatever the
//! body and is the same whatever the token and secrets are (it never repeats them).

use iav_bridge::fuzzing::{self, SessionKind};
use serde_json::Value;

fn string_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

const SECRETS: [&str; 3] = [
    "/externalProviderSessionToken",
    "/externalProviderSessionData/payment_session_secret",
    "/externalProviderSessionData/payment_session_token",
];

/// The body with each non-empty token and secret changed ("Z" appended), serialized again;
/// `None` when the body is not a JSON object.
fn other_secrets(data: &[u8]) -> Option<Vec<u8>> {
    let mut v = serde_json::from_slice::<Value>(data)
        .ok()
        .filter(Value::is_object)?;
    for pointer in SECRETS {
        if let Some(Value::String(s)) = v.pointer_mut(pointer) {
            if !s.is_empty() {
                s.push('Z');
            }
        }
    }
    Some(serde_json::to_vec(&v).expect("a JSON value serializes"))
}

/// One input: the properties above, checked; a violation panics.
pub fn run(data: &[u8]) {
    match fuzzing::session(data) {
        Ok(s) => {
            let v: Value = serde_json::from_slice(data).expect("accepted a body that is not JSON");
            assert!(v.is_object());
            assert_eq!(Some(s.created.as_str()), string_at(&v, "/created"));
            assert_eq!(s.self_href.as_deref(), string_at(&v, "/_links/self/href"));
            let token = string_at(&v, "/externalProviderSessionToken");
            let data_obj = v.get("externalProviderSessionData");
            let web = string_at(&v, "/_links/external-provider-session/href");
            match &s.kind {
                SessionKind::Plaid { link_token } => {
                    assert!(
                        !link_token.is_empty(),
                        "an empty Plaid link token was accepted"
                    );
                    assert_eq!(Some(link_token.as_str()), token);
                }
                SessionKind::Checkout {
                    id,
                    secret,
                    token: t,
                } => {
                    assert!(token.is_none(), "Checkout.com chosen over a Plaid token");
                    let d = data_obj.expect("Checkout.com without externalProviderSessionData");
                    assert!(d.is_object());
                    assert_eq!(Some(id.as_str()), string_at(d, "/id"));
                    assert_eq!(
                        Some(secret.as_str()),
                        string_at(d, "/payment_session_secret")
                    );
                    assert_eq!(Some(t.as_str()), string_at(d, "/payment_session_token"));
                }
                SessionKind::Web { url } => {
                    assert!(token.is_none() && data_obj.is_none());
                    assert_eq!(Some(url.as_str()), web);
                }
                SessionKind::Unknown => {
                    assert!(token.is_none() && data_obj.is_none() && web.is_none());
                }
            }
            // Debug is the same whatever the (non-empty) token and secrets are: it shows none.
            let bytes = other_secrets(data).expect("an accepted body is a JSON object");
            let again = fuzzing::session(&bytes).expect("other secrets made the session invalid");
            assert_eq!(
                format!("{again:?}"),
                format!("{s:?}"),
                "Debug shows a token or secret"
            );
        }
        Err(e) => {
            assert!(!e.what.is_empty() && !e.detail.is_empty(), "{e:?}");
            let message = e.to_string();
            assert!(message.len() < 512, "an error of {} bytes", message.len());
            // The error is the same whatever the (non-empty) token and secrets are.
            if let Some(bytes) = other_secrets(data) {
                let again =
                    fuzzing::session(&bytes).expect_err("other secrets made the session valid");
                assert_eq!(again, e, "the error depends on a token or secret");
            }
        }
    }
}
