//! A hostile backend on loopback that echoes the request's secrets back where the library
//! shows text: the app's bearer token in a re-authentication href (the exchange URL of
//! `ReauthRequired`), in the path of an off-origin href the library refuses, and in its error
//! texts; Plaid's public token (without the `public-` prefix) in the error of
//! `complete_plaid_link`. Each secret is echoed whole, split by Unicode format characters
//! (U+200B, U+00AD, U+2060, raw or percent-encoded) and cut one character short, in three
//! shapes: hex, letters only, short. Neither an error's `Display` or `Debug` nor any log record
//! (at Trace) may hold it. The test prints one line per case: where the secret was echoed, its
//! shape and form, and whether it leaked.

mod support;

use std::sync::Arc;

use iav_bridge::{BridgeClient, BridgeConfig, BridgeError, Environment, Platform};
use support::logs::capture;
use support::{partners_body, FakeServer, Reply, Tokens};

/// The token shapes a backend's users may have: none of them looks like a token to the shape
/// rules (under 20 characters of mixed letters and digits, or letters only).
const SHAPES: &[(&str, &str)] = &[
    ("hex", "c0ffee12ab34cd56ef"),
    ("letters-only", "correcthorsebatterystaple"),
    ("short", "k7Qx9mPz"),
];

/// How a secret is echoed.
#[derive(Clone, Copy, Debug)]
enum Form {
    Whole,
    /// Split by U+200B, U+00AD and U+2060 (raw in JSON; percent-encoded once parsed as a URL).
    ZeroWidth,
    /// Split by percent-encoded format characters (where a raw one cannot go: a header).
    ZeroWidthEncoded,
    /// Cut one character short.
    OneShort,
}

fn echo(secret: &str, form: Form) -> String {
    let third = secret.len() / 3;
    match form {
        Form::Whole => secret.to_string(),
        Form::ZeroWidth => format!(
            "{}\u{200B}{}\u{00AD}{}\u{2060}",
            &secret[..third],
            &secret[third..2 * third],
            &secret[2 * third..]
        ),
        Form::ZeroWidthEncoded => format!(
            "{}%E2%80%8B{}%C2%AD{}",
            &secret[..third],
            &secret[third..2 * third],
            &secret[2 * third..]
        ),
        Form::OneShort => secret[..secret.len() - 1].to_string(),
    }
}

/// `text` without format characters (raw or percent-encoded), in lower case: what a reader of
/// the text sees.
fn as_read(text: &str) -> String {
    let mut t = text.to_ascii_lowercase();
    for hidden in [
        "\u{200B}",
        "\u{00AD}",
        "\u{2060}",
        "%e2%80%8b",
        "%c2%ad",
        "%e2%81%a0",
        "\\u{200b}",
        "\\u{ad}",
        "\\u{2060}",
    ] {
        t = t.replace(hidden, "");
    }
    t
}

/// Whether `text`, as read, holds `secret` cut one character short (and so the whole of it).
fn holds(text: &str, secret: &str) -> bool {
    as_read(text).contains(&secret[..secret.len() - 1].to_ascii_lowercase())
}

fn web_client(url: &str, bearer: &str) -> Arc<BridgeClient> {
    let mut cfg = BridgeConfig::new(url, Platform::Web, Environment::Sandbox);
    cfg.allow_insecure_http = true;
    cfg.max_retries = 0;
    BridgeClient::new(cfg, Some(Tokens::always(bearer))).unwrap()
}

/// The hostile backend: the partner list, then for each path the echo of `secret` (in `form`)
/// where the path says.
async fn hostile_backend(secret: String, form: Form) -> FakeServer {
    FakeServer::start(Arc::new(move |req, _| {
        let base = req.base();
        let e = echo(&secret, form);
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", "/exchange-partners") => Reply::json(200, &partners_body(&base)),
            // Re-authentication: the exchange URL taken from _links.about.
            ("POST", "/customers/reauth/exchange-sessions") => Reply::json(
                400,
                &serde_json::json!({
                    "code": "UpdateCredentials",
                    "message": "The bank connection needs re-authentication.",
                    "_links": {"about": {"href": format!("{base}exchanges/{e}/exchange-sessions")}},
                })
                .to_string(),
            ),
            // A created session whose Location is on another origin, the secret in its path
            // (percent-encoded format characters: a header holds ASCII only).
            ("POST", "/customers/offorigin/exchange-sessions") => {
                let e = echo(
                    &secret,
                    match form {
                        Form::ZeroWidth => Form::ZeroWidthEncoded,
                        f => f,
                    },
                );
                Reply::json(201, "").with_header(
                    "Location",
                    &format!("https://evil.example.net/exchange-sessions/{e}"),
                )
            }
            // A created exchange whose self href is on another origin, the secret in its path
            // (raw format characters: a JSON body holds them).
            ("POST", "/customers/offbody/exchanges") => Reply::json(
                201,
                &serde_json::json!({
                    "id": "ex1",
                    "status": "created",
                    "_links": {"self": {"href": format!("https://evil.example.net/exchanges/{e}")}},
                })
                .to_string(),
            ),
            // The server's own text.
            (_, path) => Reply::json(
                400,
                &serde_json::json!({
                    "code": "ValidationError",
                    "message": format!("refused {e} on {path}"),
                    "_embedded": {"errors": [{"code": "Invalid", "message": format!("token {e} is not valid"), "path": format!("/x/{e}")}]},
                })
                .to_string(),
            ),
        }
    }))
    .await
}

/// One echo of one secret: where, and the printed error.
struct Case {
    place: &'static str,
    shape: &'static str,
    form: Form,
    secret: String,
    printed: String,
}

/// Runs every place for one secret of one shape in one form. The bearer token is the secret
/// except for the public-token places, where `bearer` is an unrelated token.
async fn run_bearer_cases(shape: &'static str, secret: &str, form: Form) -> Vec<Case> {
    let server = hostile_backend(secret.to_string(), form).await;
    let client = web_client(&server.url, secret);
    let mut cases = Vec::new();
    let mut push = |place, err: BridgeError| {
        cases.push(Case {
            place,
            shape,
            form,
            secret: secret.to_string(),
            printed: format!("{err} {err:?} {err:#?}"),
        });
    };

    let err = client.start_plaid_link("reauth".into()).await.unwrap_err();
    assert!(matches!(err, BridgeError::ReauthRequired { .. }), "{err:?}");
    push("re-auth href", err);

    let err = client
        .start_plaid_link("offorigin".into())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("another origin"), "{err:?}");
    push("off-origin Location", err);

    let err = client
        .complete_plaid_link("offbody".into(), "public-sandbox-unrelated-1".into())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("another origin"), "{err:?}");
    push("off-origin body href", err);

    let err = client.start_plaid_link("text".into()).await.unwrap_err();
    assert!(matches!(err, BridgeError::Validation { .. }), "{err:?}");
    push("server text", err);
    cases
}

/// `complete_plaid_link` with `public` echoed by the backend's error text.
async fn run_public_token_case(shape: &'static str, public: &str, form: Form) -> Case {
    let server = hostile_backend(public.to_string(), form).await;
    let client = web_client(&server.url, "an-unrelated-bearer-token-0042");
    let err = client
        .complete_plaid_link("public".into(), public.into())
        .await
        .unwrap_err();
    assert!(matches!(err, BridgeError::Validation { .. }), "{err:?}");
    Case {
        place: "public token in server text",
        shape,
        form,
        secret: public.to_string(),
        printed: format!("{err} {err:?} {err:#?}"),
    }
}

#[tokio::test]
async fn echoed_secrets_reach_no_error_and_no_log_record() {
    let capture = capture();
    let forms = [Form::Whole, Form::ZeroWidth, Form::OneShort];
    let mut cases = Vec::new();
    for &(shape, token) in SHAPES {
        for form in forms {
            cases.extend(run_bearer_cases(shape, token, form).await);
        }
    }
    // Public tokens without Plaid's `public-` prefix (the prefix rule cannot see them).
    for (shape, public) in [
        ("hex", "9a8b7c6d5e4f3a2b1c"),
        ("letters-only", "plaidpublicvaluexyzw"),
        ("short", "Pq3Xk9Wz"),
    ] {
        for form in forms {
            cases.push(run_public_token_case(shape, public, form).await);
        }
    }

    let records = capture.records();
    let mut leaks = 0;
    println!("place                        shape         form        in error  in log");
    for c in &cases {
        let in_error = holds(&c.printed, &c.secret);
        let in_log = records
            .iter()
            .filter(|r| holds(&r.message, &c.secret))
            .count();
        leaks += usize::from(in_error) + in_log;
        println!(
            "{:<28} {:<13} {:<11} {:<9} {}",
            c.place,
            c.shape,
            format!("{:?}", c.form),
            in_error,
            in_log
        );
    }
    println!(
        "{} cases, {} log records searched, {leaks} leaks",
        cases.len(),
        records.len()
    );
    for c in &cases {
        assert!(
            !holds(&c.printed, &c.secret),
            "{} ({} {:?}): the error holds the secret: {}",
            c.place,
            c.shape,
            c.form,
            c.printed
        );
        for r in &records {
            assert!(
                !holds(&r.message, &c.secret),
                "{} ({} {:?}): a {:?} log record holds the secret: {}",
                c.place,
                c.shape,
                c.form,
                r.level,
                r.message
            );
        }
    }
    // The library's own words stay: the variant and what to do.
    let reauth = &cases[0].printed;
    assert!(reauth.contains("needs re-authentication"), "{reauth}");
    assert!(reauth.contains("/exchanges/"), "{reauth}");
    let off = &cases[1].printed;
    assert!(off.contains("https://evil.example.net"), "{off}");
}
