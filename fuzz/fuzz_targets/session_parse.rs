//! The exchange-session parser on arbitrary bytes: it never panics; an `Ok` session holds the
//! body's `created` and self href, and the partner is the one the body names, by precedence:
//! Plaid (`externalProviderSessionToken`, never empty), else Checkout.com
//! (`externalProviderSessionData` with `id`, `payment_session_secret`, `payment_session_token`),
//! else a web page (`_links.external-provider-session.href`), else unknown; its `Debug` never
//! shows the Plaid token or the Checkout.com secret and token; an error stays short whatever the
//! body and is the same whatever the token and secrets are (it never repeats them).

#![no_main]

use iav_bridge::fuzzing::{self, SessionKind};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn string_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

/// Whether `debug` shows `secret` more often than the non-secret parts it prints can explain.
fn leaks(debug: &str, secret: &str, public_parts: &str) -> bool {
    !secret.is_empty() && debug.matches(secret).count() > public_parts.matches(secret).count()
}

fuzz_target!(|data: &[u8]| {
    match fuzzing::session(data) {
        Ok(s) => {
            let v: Value = serde_json::from_slice(data).expect("accepted a body that is not JSON");
            assert!(v.is_object());
            assert_eq!(Some(s.created.as_str()), string_at(&v, "/created"));
            assert_eq!(s.self_href.as_deref(), string_at(&v, "/_links/self/href"));
            let token = string_at(&v, "/externalProviderSessionToken");
            let data_obj = v.get("externalProviderSessionData");
            let web = string_at(&v, "/_links/external-provider-session/href");
            let public = format!(
                "RawSession {{ self_href: {:?}, created: {:?}, kind: \"Plaid\" \"Web\" \"Checkout\" \"Unknown\" .. }}",
                s.self_href, s.created
            );
            match &s.kind {
                SessionKind::Plaid { link_token } => {
                    assert!(
                        !link_token.is_empty(),
                        "an empty Plaid link token was accepted"
                    );
                    assert_eq!(Some(link_token.as_str()), token);
                    assert!(
                        !leaks(&s.debug, link_token, &public),
                        "Debug shows the link token: {}",
                        s.debug
                    );
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
                    assert!(
                        !leaks(&s.debug, secret, &public),
                        "Debug shows the secret: {}",
                        s.debug
                    );
                    assert!(
                        !leaks(&s.debug, t, &public),
                        "Debug shows the token: {}",
                        s.debug
                    );
                }
                SessionKind::Web { url } => {
                    assert!(token.is_none() && data_obj.is_none());
                    assert_eq!(Some(url.as_str()), web);
                }
                SessionKind::Unknown => {
                    assert!(token.is_none() && data_obj.is_none() && web.is_none());
                }
            }
        }
        Err(e) => {
            assert!(!e.what.is_empty() && !e.detail.is_empty(), "{e:?}");
            assert!(
                e.message.len() < 512,
                "an error of {} bytes",
                e.message.len()
            );
            // The error is the same whatever the (non-empty) token and secrets are.
            let Some(mut v) = serde_json::from_slice::<Value>(data)
                .ok()
                .filter(Value::is_object)
            else {
                return;
            };
            for pointer in [
                "/externalProviderSessionToken",
                "/externalProviderSessionData/payment_session_secret",
                "/externalProviderSessionData/payment_session_token",
            ] {
                if let Some(Value::String(s)) = v.pointer_mut(pointer) {
                    if !s.is_empty() {
                        s.push('Z');
                    }
                }
            }
            let bytes = serde_json::to_vec(&v).expect("a JSON value serializes");
            let again = fuzzing::session(&bytes)
                .err()
                .expect("other secrets made the session valid");
            assert_eq!(
                again.message, e.message,
                "the error depends on a token or secret"
            );
        }
    }
});
