//! The sample-backend's `Rewriter` (hrefs moved between Dwolla's base and the public URL, and
//! the ids read out of hrefs) on arbitrary strings and JSON values: it never panics; a string
//! moved to the public base is on it and moves back unchanged; one moved to Dwolla's base is on
//! it; an id read from an href is a valid id (1 to 64 of `[A-Za-z0-9-]`) whose Dwolla href reads
//! back the same id; in a JSON value only strings on Dwolla's base change, each to its public form.

use std::sync::OnceLock;

use sample_backend::backend::fuzzing::{valid_id, Rewriter};
use serde_json::Value;

const DWOLLA: [&str; 2] = ["https://api-sandbox.dwolla.com", "http://127.0.0.1:9"];
const PUBLIC: [&str; 2] = ["https://app.example.com/api", "http://127.0.0.1:99"];
const COLLECTIONS: [&str; 5] = [
    "exchange-partners",
    "exchange-sessions",
    "exchanges",
    "customers",
    "funding-sources",
];

fn rewriters() -> &'static [Rewriter] {
    static RW: OnceLock<Vec<Rewriter>> = OnceLock::new();
    RW.get_or_init(|| {
        vec![
            Rewriter::new(&format!("{}/", DWOLLA[0]), &format!("{}/", PUBLIC[0])),
            Rewriter::new(DWOLLA[1], PUBLIC[1]),
        ]
    })
}

/// Whether `s` is on `base`: equal to it, or continuing it with `/` or `?`.
fn on(s: &str, base: &str) -> bool {
    s.strip_prefix(base)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/') || rest.starts_with('?'))
}

/// `after` is `before` with each string on Dwolla's base moved to the public base.
fn same_but_public(rw: &Rewriter, dwolla: &str, before: &Value, after: &Value) {
    match (before, after) {
        (Value::String(b), Value::String(a)) => {
            if on(b, dwolla) {
                assert_eq!(Some(a.clone()), rw.to_public(b));
            } else {
                assert_eq!(a, b, "a string not on Dwolla's base was changed");
            }
        }
        (Value::Array(b), Value::Array(a)) => {
            assert_eq!(a.len(), b.len());
            b.iter()
                .zip(a)
                .for_each(|(b, a)| same_but_public(rw, dwolla, b, a));
        }
        (Value::Object(b), Value::Object(a)) => {
            assert!(b.keys().eq(a.keys()), "keys changed");
            b.values()
                .zip(a.values())
                .for_each(|(b, a)| same_but_public(rw, dwolla, b, a));
        }
        (b, a) => assert_eq!(a, b),
    }
}

/// One input: the properties above, checked; a violation panics.
pub fn run(data: &[u8]) {
    for (i, rw) in rewriters().iter().enumerate() {
        let (dwolla, public) = (DWOLLA[i], PUBLIC[i]);
        assert_eq!(rw.public_base(), public);
        if let Ok(s) = std::str::from_utf8(data) {
            if let Some(p) = rw.to_public(s) {
                assert!(on(s, dwolla) && on(&p, public), "{s:?} -> {p:?}");
                assert_eq!(
                    rw.to_dwolla(&p).as_deref(),
                    Some(s),
                    "{s:?} does not move back"
                );
            }
            if let Some(d) = rw.to_dwolla(s) {
                assert!(on(&d, dwolla), "{s:?} -> {d:?} is not on Dwolla's base");
            }
            for c in COLLECTIONS {
                if let Some(id) = rw.id_in(s, c) {
                    assert!(valid_id(&id), "{s:?} gave the id {id:?}");
                    let href = rw.dwolla_href(c, &id);
                    assert_eq!(rw.id_in(&href, c).as_deref(), Some(id.as_str()));
                    assert_eq!(href, format!("{dwolla}/{c}/{id}"));
                }
            }
        }
        if let Ok(v) = serde_json::from_slice::<Value>(data) {
            let mut moved = v.clone();
            rw.json_to_public(&mut moved);
            same_but_public(rw, dwolla, &v, &moved);
        }
    }
}
