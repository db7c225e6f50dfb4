//! The backend against its own OpenAPI document, docs/backend-openapi.yml, on a stack (the
//! simulator and a backend in front of it), with the document's href patterns set to the
//! stack's bases:
//!
//! - every operation of the document is called with valid requests, and each answer has a
//!   status the operation declares and matches the declared schema and headers;
//! - every body built from a request schema (each `oneOf` branch, with its required properties
//!   only and with all of them, hrefs on the backend's URL and on Dwolla's) is taken (the
//!   token-based exchange, for which the simulator issues no token, reaches Dwolla), and so
//!   gets every other form of an href the document takes past the backend's own checks;
//! - every body derived from those that the document refuses (an unknown field, a missing
//!   required one, a wrong type, a string too long, too short, off its pattern or its enum, two
//!   `oneOf` branches at once) is refused with 400 `ValidationError` naming the field, and
//!   Dwolla receives nothing for the ones the backend checks itself;
//! - ids off the path parameter's pattern are 404, a documented path asked with another method
//!   is 405 with `Allow`, any other path 404.
//!
//! The strict validator (`support::openapi::validate_strict`) is checked on its own first.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use reqwest::{Client, Method};
use sample_backend::backend::Limits;
use sample_backend::{start_stack, Stack, StackOptions};
use serde_json::{json, Map, Value};
use support::backend::*;
use support::openapi::{deref, pattern_matches, validate_strict};
use support::*;

/// The bases the document's href patterns name, as written there (regex-escaped): its server
/// and Dwolla's sandbox.
const DOC_PUBLIC: &str = r"http://127\.0\.0\.1:8080";
const DOC_DWOLLA: &str = r"https://api-sandbox\.dwolla\.com";
/// The schemas of the hrefs a request body carries.
const HREF_SCHEMAS: [&str; 2] = ["ExchangePartnerHref", "ExchangeHref"];
/// The methods an OpenAPI path item may list (of those the backend could serve).
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];
const TOKEN: &str = "demo-alice";

// ---------------------------------------------------------------------------------------------
// The document

/// docs/backend-openapi.yml as JSON.
fn document() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/backend-openapi.yml"
    ))
    .expect("docs/backend-openapi.yml");
    let yaml: serde_norway::Value = serde_norway::from_str(&text).expect("the document parses");
    serde_json::to_value(yaml).expect("the document as JSON")
}

/// `s` as a regular expression matching it literally.
fn escape(s: &str) -> String {
    let mut out = String::new();
    for ch in s.chars() {
        if "\\.^$|?*+()[]{}".contains(ch) {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// The document for a backend at `public` in front of Dwolla at `dwolla` (both without a
/// trailing slash): the document's two bases replaced by these in every pattern. Panics unless
/// each href schema has a pattern naming both of the document's bases.
fn specialized(public: &str, dwolla: &str) -> Value {
    let mut doc = document();
    assert_eq!(doc["servers"][0]["url"], "http://127.0.0.1:8080");
    for name in HREF_SCHEMAS {
        let p = doc["components"]["schemas"][name]["pattern"]
            .as_str()
            .unwrap_or_else(|| panic!("{name} has a pattern"));
        assert!(
            p.starts_with('^')
                && p.ends_with('$')
                && p.contains(DOC_PUBLIC)
                && p.contains(DOC_DWOLLA),
            "{name}'s pattern is anchored and names the document's public URL and Dwolla's sandbox: {p}"
        );
    }
    replace_bases(&mut doc, &escape(public), &escape(dwolla));
    doc
}

fn replace_bases(v: &mut Value, public: &str, dwolla: &str) {
    match v {
        Value::Object(m) => {
            for (k, item) in m.iter_mut() {
                match item {
                    Value::String(p) if k == "pattern" => {
                        *p = p.replace(DOC_PUBLIC, public).replace(DOC_DWOLLA, dwolla);
                    }
                    _ => replace_bases(item, public, dwolla),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|i| replace_bases(i, public, dwolla)),
        _ => {}
    }
}

/// Every (method, path) of the document.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for m in METHODS {
            if item.get(m).is_some() {
                ops.insert((m.to_string(), path.clone()));
            }
        }
    }
    ops
}

/// The one success status (2xx) the operation declares.
fn success_status(doc: &Value, method: &str, path: &str) -> u16 {
    let codes: Vec<u16> = doc["paths"][path][method]["responses"]
        .as_object()
        .expect("responses")
        .keys()
        .filter_map(|k| k.parse().ok())
        .filter(|c| (200..300).contains(c))
        .collect();
    assert_eq!(codes.len(), 1, "{method} {path}: one success status");
    codes[0]
}

/// Checks an answer against the response the document declares for it (`response`, resolved):
/// required headers present and every declared header valid, the Content-Type declared, the
/// body valid against its schema (none when none is declared; not read for HEAD).
fn check_response(doc: &Value, response: &Value, a: &Answer, head: bool, what: &str) {
    let response = deref(doc, response);
    if let Some(headers) = response["headers"].as_object() {
        for (name, h) in headers {
            let h = deref(doc, h);
            match a.header(name) {
                Some(v) => {
                    let errors = validate_strict(doc, &h["schema"], &json!(v));
                    assert!(errors.is_empty(), "{what}: header {name}: {errors:?}");
                }
                None => assert!(
                    h["required"] != json!(true),
                    "{what}: the required header {name} is missing"
                ),
            }
        }
    }
    let Some(content) = response["content"].as_object() else {
        assert!(a.text.is_empty(), "{what}: a body where none is declared");
        return;
    };
    let content_type = a.header("content-type").unwrap_or_default();
    let media = content_type.split(';').next().unwrap_or_default().trim();
    let declared = content
        .get(media)
        .unwrap_or_else(|| panic!("{what}: Content-Type {content_type:?} is not declared"));
    if head {
        return;
    }
    assert!(
        !a.body.is_null(),
        "{what}: the body is not JSON: {}",
        a.text
    );
    let errors = validate_strict(doc, &declared["schema"], &a.body);
    assert!(
        errors.is_empty(),
        "{what}: the body does not match the document: {errors:#?}\n{}",
        a.text
    );
}

/// Checks an answer to `method path` against the document: its status declared by the
/// operation (`default` only for an error), and [`check_response`].
fn conform(doc: &Value, method: &str, path: &str, a: &Answer) {
    let op = &doc["paths"][path][method];
    assert!(op.is_object(), "the document has {method} {path}");
    let status = a.status.as_u16();
    let what = format!("{method} {path} -> {status}");
    let response = match op["responses"].get(status.to_string()) {
        Some(r) => r,
        None => {
            assert!(status >= 400, "{what}: not declared");
            op["responses"]
                .get("default")
                .unwrap_or_else(|| panic!("{what}: not declared"))
        }
    };
    check_response(doc, response, a, false, &what);
}

/// The request body schema of `method path`: the same for both media types the backend reads.
fn request_schema(doc: &Value, method: &str, path: &str) -> Value {
    let content = doc["paths"][path][method]["requestBody"]["content"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {path} has a request body"));
    let keys: BTreeSet<&str> = content.keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from([HAL_JSON, "application/json"]));
    let schemas: Vec<&Value> = content.values().map(|c| &c["schema"]).collect();
    assert_eq!(schemas[0], schemas[1], "{method} {path}: one schema");
    schemas[0].clone()
}

// ---------------------------------------------------------------------------------------------
// Bodies built from the document

/// Values of the string fields of a generated body, by JSON pointer.
type Fill = BTreeMap<String, Value>;

fn fill(items: &[(&str, &str)]) -> Fill {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect()
}

/// The `oneOf` branches of `schema` (the schema itself when it has none).
fn branches(doc: &Value, schema: &Value) -> Vec<Value> {
    match deref(doc, schema).get("oneOf").and_then(Value::as_array) {
        Some(b) => b.iter().map(|s| deref(doc, s).clone()).collect(),
        None => vec![deref(doc, schema).clone()],
    }
}

/// The parts of `schema`: itself and its `allOf` parts, resolved.
fn parts<'a>(doc: &'a Value, schema: &'a Value) -> Vec<&'a Value> {
    let s = deref(doc, schema);
    let mut out = vec![s];
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        for p in all {
            out.extend(parts(doc, p));
        }
    }
    out
}

/// The value of `key` in `schema` or one of its `allOf` parts.
fn keyword(doc: &Value, schema: &Value, key: &str) -> Option<Value> {
    parts(doc, schema)
        .into_iter()
        .find_map(|p| p.get(key).cloned())
}

/// The properties of an object schema, its `allOf` parts' included.
fn properties(doc: &Value, schema: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for p in parts(doc, schema) {
        if let Some(props) = p.get("properties").and_then(Value::as_object) {
            out.extend(props.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    out
}

/// The required properties of an object schema.
fn required(doc: &Value, schema: &Value) -> Vec<String> {
    parts(doc, schema)
        .into_iter()
        .filter_map(|p| p.get("required").and_then(Value::as_array))
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// A body of `schema` (one branch): its required properties, or all of them when `all`;
/// strings from `fill` by pointer, else the first value of their enum; booleans likewise, else
/// true. Panics on a string it has no value for, so that a field the document adds needs a
/// value here (and is then sent to the backend).
fn example(doc: &Value, schema: &Value, at: &str, all: bool, fill: &Fill) -> Value {
    assert!(
        keyword(doc, schema, "oneOf").is_none(),
        "{at}: a oneOf below the body's root"
    );
    let first_enum = || keyword(doc, schema, "enum").and_then(|e| e.get(0).cloned());
    match keyword(doc, schema, "type")
        .as_ref()
        .and_then(Value::as_str)
    {
        Some("object") => {
            let req = required(doc, schema);
            let mut m = Map::new();
            for (name, sub) in properties(doc, schema) {
                if all || req.contains(&name) {
                    let v = example(doc, &sub, &format!("{at}/{name}"), all, fill);
                    m.insert(name, v);
                }
            }
            Value::Object(m)
        }
        Some("string") => fill
            .get(at)
            .cloned()
            .or_else(first_enum)
            .unwrap_or_else(|| panic!("no value for the string at {at}")),
        Some("boolean") => first_enum().unwrap_or(json!(true)),
        t => panic!("{at}: no example for type {t:?}"),
    }
}

/// The examples of one branch: required properties only, and all (when they differ).
fn examples(doc: &Value, branch: &Value, fill: &Fill) -> Vec<Value> {
    let min = example(doc, branch, "", false, fill);
    let all = example(doc, branch, "", true, fill);
    if min == all {
        vec![min]
    } else {
        vec![min, all]
    }
}

/// How a derived body breaks the document, which says what the backend's refusal names.
#[derive(Debug, Clone, PartialEq)]
enum Broken {
    /// An unknown field, a wrong type or a string off its rules at this pointer: the refusal
    /// has an embedded error at or below it.
    At(String),
    /// A required property missing below this pointer (the backend may name another field:
    /// an exchange without a token names `/plaid/publicToken`).
    Below(String),
    /// Two branches at once.
    Branches,
    /// Nothing: the document takes this other form of an href, so the backend's own checks
    /// must let it through to Dwolla (which may still refuse the id it names).
    Nothing,
}

/// A body derived from a valid one, what it breaks, and whether the backend itself refuses
/// it (then Dwolla receives nothing).
struct Derived {
    what: String,
    body: Value,
    broken: Broken,
    by_backend: bool,
}

/// Strings derived from a valid `value`: those off `pattern` (at least one), and those on it.
fn pattern_variants(pattern: &str, value: &str) -> (Vec<String>, Vec<String>) {
    let mut c = vec![
        String::new(),
        format!("{value}/"),
        format!("{value}/x"),
        format!("{value}X"),
        value.to_lowercase(),
        value.to_uppercase(),
    ];
    if let Some(i) = value.find("://") {
        let path_at = value[i + 3..].find('/').map(|j| i + 3 + j);
        if let Some(p) = path_at {
            let (base, rest) = value.split_at(p);
            c.push(format!("http://elsewhere.example{rest}"));
            c.push(format!("https://{}{rest}", &base[i + 3..]));
            c.push(format!("{base}1{rest}"));
            c.push(format!("{base}?{rest}"));
            c.push(format!("{base}/v1{rest}"));
            c.push(rest.to_string());
            for (from, to) in [
                ("/exchange-partners/", "/exchanges/"),
                ("/exchanges/", "/exchange-partners/"),
                ("/exchange-partners/", "/customers/"),
                ("/exchanges/", "/funding-sources/"),
            ] {
                c.push(value.replacen(from, to, 1));
            }
        }
        if let Some((head, _)) = value.rsplit_once('/') {
            c.push(format!("{head}/a.b"));
            c.push(format!("{head}/a_b"));
            c.push(format!("{head}/{}", "a".repeat(65)));
            c.push(format!("{head}/"));
        }
    }
    let (off, on): (BTreeSet<String>, BTreeSet<String>) = c
        .into_iter()
        .filter(|s| s != value)
        .partition(|s| !pattern_matches(pattern, s));
    assert!(
        !off.is_empty(),
        "nothing off {pattern:?} derived from {value:?}"
    );
    (off.into_iter().collect(), on.into_iter().collect())
}

/// `body` with the value at `at` changed by `f`.
fn changed(body: &Value, at: &str, f: impl FnOnce(&mut Value)) -> Value {
    let mut b = body.clone();
    f(b.pointer_mut(at).expect("pointer"));
    b
}

/// Every body derived from `body` (valid for `schema`) that breaks one rule of `schema`.
fn derived(doc: &Value, schema: &Value, body: &Value) -> Vec<Derived> {
    let mut out = Vec::new();
    derive(doc, schema, body, "", &mut out);
    out
}

fn derive(doc: &Value, schema: &Value, root: &Value, at: &str, out: &mut Vec<Derived>) {
    let value = root.pointer(at).expect("pointer").clone();
    let mut push = |what: String, body: Value, broken: Broken, by_backend: bool| {
        out.push(Derived {
            what,
            body,
            broken,
            by_backend,
        })
    };
    match &value {
        Value::Object(object) => {
            push(
                format!("an unknown field at {at}/unexpected"),
                changed(root, at, |v| {
                    v.as_object_mut()
                        .unwrap()
                        .insert("unexpected".into(), json!("x"));
                }),
                Broken::At(format!("{at}/unexpected")),
                true,
            );
            if !at.is_empty() {
                push(
                    format!("a string for the object at {at}"),
                    changed(root, at, |v| *v = json!("x")),
                    Broken::At(at.to_string()),
                    true,
                );
            }
            for name in required(doc, schema) {
                if object.contains_key(&name) {
                    push(
                        format!("{at}/{name} left out"),
                        changed(root, at, |v| {
                            v.as_object_mut().unwrap().remove(&name);
                        }),
                        Broken::Below(at.to_string()),
                        false,
                    );
                }
            }
            let props: BTreeMap<String, Value> = properties(doc, schema).into_iter().collect();
            for name in object.keys() {
                let sub = props
                    .get(name)
                    .unwrap_or_else(|| panic!("{at}/{name} is in the schema"));
                derive(doc, sub, root, &format!("{at}/{name}"), out);
            }
        }
        Value::String(s) => {
            push(
                format!("a number at {at}"),
                changed(root, at, |v| *v = json!(7)),
                Broken::At(at.to_string()),
                true,
            );
            if let Some(max) = keyword(doc, schema, "maxLength").and_then(|m| m.as_u64()) {
                push(
                    format!("{} characters at {at}", max + 1),
                    changed(root, at, |v| *v = json!("x".repeat(max as usize + 1))),
                    Broken::At(at.to_string()),
                    false,
                );
            }
            if let Some(min) = keyword(doc, schema, "minLength").and_then(|m| m.as_u64()) {
                if min > 0 {
                    push(
                        format!("{} characters at {at}", min - 1),
                        changed(root, at, |v| *v = json!("x".repeat(min as usize - 1))),
                        Broken::At(at.to_string()),
                        false,
                    );
                }
            }
            if let Some(p) = keyword(doc, schema, "pattern") {
                let p = p.as_str().expect("pattern").to_string();
                // The href patterns are the backend's own check; the others Dwolla's.
                let href = HREF_SCHEMAS.iter().any(|name| {
                    doc["components"]["schemas"][name]["pattern"].as_str() == Some(p.as_str())
                });
                let (off, on) = pattern_variants(&p, s);
                for off in off {
                    push(
                        format!("{off:?} at {at}"),
                        changed(root, at, |v| *v = json!(off)),
                        Broken::At(at.to_string()),
                        href,
                    );
                }
                if href {
                    for on in on {
                        push(
                            format!("{on:?} at {at}"),
                            changed(root, at, |v| *v = json!(on)),
                            Broken::Nothing,
                            false,
                        );
                    }
                }
            }
            if keyword(doc, schema, "enum").is_some() {
                push(
                    format!("a value off the enum at {at}"),
                    changed(root, at, |v| *v = json!("not-in-the-enum")),
                    Broken::At(at.to_string()),
                    false,
                );
            }
        }
        Value::Bool(b) => {
            push(
                format!("a string at {at}"),
                changed(root, at, |v| *v = json!(b.to_string())),
                Broken::At(at.to_string()),
                true,
            );
            if let Some(e) = keyword(doc, schema, "enum") {
                if !e.as_array().unwrap().contains(&json!(!b)) {
                    push(
                        format!("{} at {at}", !b),
                        changed(root, at, |v| *v = json!(!b)),
                        Broken::At(at.to_string()),
                        true,
                    );
                }
            }
        }
        other => panic!("{at}: nothing to derive from {other}"),
    }
}

/// `a` and `b` merged, objects deeply.
fn merged(a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut m = x.clone();
            for (k, v) in y {
                let v = match x.get(k) {
                    Some(old) => merged(old, v),
                    None => v.clone(),
                };
                m.insert(k.clone(), v);
            }
            Value::Object(m)
        }
        _ => b.clone(),
    }
}

/// The embedded errors' paths of a `ValidationError`.
fn error_paths(a: &Answer) -> Vec<String> {
    a.body["_embedded"]["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|e| e["path"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The last path segment of a URL.
fn last(url: &str) -> String {
    url.rsplit('/').next().unwrap_or_default().to_string()
}

// ---------------------------------------------------------------------------------------------
// The stack, asked as the document says

/// A stack, a client, the document for the stack's bases and the operations called with a
/// valid request so far.
struct Contract {
    s: Stack,
    c: Client,
    doc: Value,
    base: String,
    exercised: BTreeSet<(String, String)>,
}

impl Contract {
    async fn new() -> Self {
        // Every check signs in as alice: her per-user rate is lifted (the 429 is checked on
        // its own, `a_429_of_the_client_limits_is_as_the_document_says`).
        let s = start_stack(StackOptions {
            limits: Limits {
                user_rate: u32::MAX,
                user_burst: u32::MAX,
                ..Limits::default()
            },
            ..StackOptions::default()
        })
        .await
        .expect("stack");
        let base = s.backend_url.trim_end_matches('/').to_string();
        let doc = specialized(&base, &s.simulator_url);
        Contract {
            c: client(),
            doc,
            base,
            s,
            exercised: BTreeSet::new(),
        }
    }

    /// `method url` (the document's `path` with its `{id}` filled) with `body` as HAL+JSON
    /// when given; the answer checked against the document.
    async fn send(
        &self,
        method: &str,
        path: &str,
        url: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Answer {
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let mut req = self
            .c
            .request(m, format!("{}{url}", self.base))
            .header("Accept", HAL_JSON);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.header("Content-Type", HAL_JSON).body(b.to_string());
        }
        let a = read(req.send().await.expect("request")).await;
        conform(&self.doc, method, path, &a);
        a
    }

    /// A valid request: the document takes `body`, the answer is the operation's success.
    async fn valid(&mut self, method: &str, path: &str, url: &str, body: Option<&Value>) -> Answer {
        if let Some(b) = body {
            let schema = request_schema(&self.doc, method, path);
            let errors = validate_strict(&self.doc, &schema, b);
            assert!(
                errors.is_empty(),
                "the document refuses {method} {path} {b}: {errors:#?}"
            );
        }
        let token = (path != "/health").then_some(TOKEN);
        let a = self.send(method, path, url, token, body).await;
        let expected = success_status(&self.doc, method, path);
        assert_eq!(
            a.status.as_u16(),
            expected,
            "{method} {url} {body:?}: {}",
            a.text
        );
        self.exercised
            .insert((method.to_string(), path.to_string()));
        a
    }

    /// Bodies the document refuses (checked here): refused by the backend with 400
    /// `ValidationError` naming what is broken, Dwolla untouched when the backend checks it
    /// itself. A body that breaks [`Broken::Nothing`] is one the document takes (checked
    /// here): the backend lets it through to Dwolla.
    async fn refused(&self, method: &str, path: &str, url: &str, bodies: Vec<Derived>) {
        let schema = request_schema(&self.doc, method, path);
        assert!(!bodies.is_empty());
        for d in bodies {
            let errors = validate_strict(&self.doc, &schema, &d.body);
            if d.broken == Broken::Nothing {
                assert!(
                    errors.is_empty(),
                    "the document refuses {method} {path} with {}: {errors:?}",
                    d.what
                );
                let before = self.s.simulator.requests_received();
                let a = self
                    .send(method, path, url, Some(TOKEN), Some(&d.body))
                    .await;
                assert!(
                    self.s.simulator.requests_received() > before,
                    "{method} {path} with {}, which the document takes, is refused by the backend: {}",
                    d.what,
                    a.text
                );
                continue;
            }
            assert!(
                !errors.is_empty(),
                "the document takes {method} {path} with {}: {}",
                d.what,
                d.body
            );
            let before = self.s.simulator.requests_received();
            let a = self
                .send(method, path, url, Some(TOKEN), Some(&d.body))
                .await;
            assert_eq!(
                a.status_and_code(),
                (400, Some("ValidationError")),
                "{method} {path} with {}: {}\n{}",
                d.what,
                d.body,
                a.text
            );
            let paths = error_paths(&a);
            let named = match &d.broken {
                Broken::At(p) => paths.iter().any(|x| x.starts_with(p.as_str())),
                Broken::Below(p) => paths.iter().any(|x| x.starts_with(p.as_str())),
                Broken::Branches => !paths.is_empty(),
                Broken::Nothing => unreachable!(),
            };
            assert!(named, "{method} {path} with {}: {paths:?}", d.what);
            if d.by_backend {
                assert_eq!(
                    self.s.simulator.requests_received(),
                    before,
                    "{method} {path} with {} reached Dwolla",
                    d.what
                );
            }
        }
    }

    /// Bodies of two or more branches at once (each pair, and all): the document and the
    /// backend refuse them, the backend before Dwolla.
    fn branch_mixes(&self, bodies: &[Value]) -> Vec<Derived> {
        let mut out = Vec::new();
        for i in 0..bodies.len() {
            for j in i + 1..bodies.len() {
                out.push(Derived {
                    what: format!("branches {i} and {j} at once"),
                    body: merged(&bodies[i], &bodies[j]),
                    broken: Broken::Branches,
                    by_backend: true,
                });
            }
        }
        if bodies.len() > 2 {
            out.push(Derived {
                what: "every branch at once".into(),
                body: bodies.iter().fold(json!({}), |acc, b| merged(&acc, b)),
                broken: Broken::Branches,
                by_backend: true,
            });
        }
        out
    }

    /// The href `href` (on the backend's URL) as the document allows it: as is, on Dwolla's
    /// base, and with a query or fragment.
    fn href_variants(&self, href: &str, suffix: &str) -> Vec<String> {
        assert!(href.starts_with(&self.base), "{href}");
        vec![
            href.to_string(),
            format!("{}{}", self.s.simulator_url, &href[self.base.len()..]),
            format!("{href}{suffix}"),
        ]
    }
}

// ---------------------------------------------------------------------------------------------
// The validator itself

#[test]
fn the_strict_validator_refuses_what_its_keywords_refuse() {
    let spec = json!({"components": {"schemas": {
        "Code": {"type": "string", "pattern": "^[A-Z]{2}$"},
        "Name": {"type": "string", "minLength": 1, "maxLength": 3},
        "A": {"type": "object", "required": ["a"], "additionalProperties": false,
              "properties": {"a": {"type": "string"}, "n": {"$ref": "#/components/schemas/Name"}}},
        "B": {"type": "object", "required": ["b"], "additionalProperties": false,
              "properties": {"b": {"type": "string"}}},
        "Loose": {"type": "object"},
    }}});
    let v = |schema: Value, instance: Value| validate_strict(&spec, &schema, &instance);
    let code = json!({"$ref": "#/components/schemas/Code"});
    assert!(v(code.clone(), json!("IA")).is_empty());
    for bad in ["ia", "IAX", "", "I"] {
        assert_eq!(v(code.clone(), json!(bad)).len(), 1, "{bad}");
    }
    // A pattern is not anchored unless it says so.
    assert!(v(json!({"type": "string", "pattern": "b"}), json!("abc")).is_empty());
    let name = json!({"$ref": "#/components/schemas/Name"});
    assert!(v(name.clone(), json!("abc")).is_empty());
    // Characters, not bytes.
    assert!(v(name.clone(), json!("éèê")).is_empty());
    assert_eq!(v(name.clone(), json!("abcd")).len(), 1);
    assert_eq!(v(name.clone(), json!("")).len(), 1);
    let a = json!({"$ref": "#/components/schemas/A"});
    assert!(v(a.clone(), json!({"a": "x", "n": "n"})).is_empty());
    assert_eq!(v(a.clone(), json!({"a": "x", "other": 1})).len(), 1);
    assert_eq!(v(a.clone(), json!({"n": "n"})).len(), 1);
    assert_eq!(v(a.clone(), json!({"a": 1})).len(), 1);
    assert_eq!(v(a.clone(), json!({"a": "x", "n": "long"})).len(), 1);
    // oneOf: exactly one branch.
    let one =
        json!({"oneOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}]});
    assert!(v(one.clone(), json!({"a": "x"})).is_empty());
    assert!(v(one.clone(), json!({"b": "x"})).is_empty());
    assert_eq!(v(one.clone(), json!({"a": "x", "b": "y"})).len(), 1);
    assert_eq!(v(one.clone(), json!({})).len(), 1);
    let overlapping = json!({"oneOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/Loose"}]});
    let e = v(overlapping.clone(), json!({"a": "x"}));
    assert!(e.iter().any(|x| x.contains("matches 2 oneOf")), "{e:?}");
    assert!(v(overlapping, json!({"z": 1})).is_empty());
    // anyOf: at least one.
    let any = json!({"anyOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/Loose"}]});
    assert!(v(any.clone(), json!({"a": "x"})).is_empty());
    assert_eq!(v(any, json!("x")).len(), 1);
    // Numbers and enums.
    let month = json!({"type": "integer", "minimum": 1, "maximum": 12});
    assert!(v(month.clone(), json!(12)).is_empty());
    assert_eq!(v(month.clone(), json!(13)).len(), 1);
    assert_eq!(v(month, json!(0)).len(), 1);
    assert_eq!(v(json!({"enum": [true]}), json!(false)).len(), 1);
}

#[test]
#[should_panic(expected = "is not checked by validate_strict")]
fn the_strict_validator_refuses_a_keyword_it_cannot_check() {
    validate_strict(
        &json!({}),
        &json!({"type": "object", "minProperties": 1}),
        &json!({}),
    );
}

#[test]
fn the_document_refuses_what_the_backend_refuses_and_takes_what_it_takes() {
    let public = "http://127.0.0.1:1234";
    let dwolla = "http://127.0.0.1:5678";
    let doc = specialized(public, dwolla);
    let partner = format!("{public}/exchange-partners/ab-12");
    let links = json!({"exchange-partner": {"href": partner}});
    let schema = request_schema(&doc, "post", "/customers/{id}/exchanges");
    let ok = |body: Value| {
        let e = validate_strict(&doc, &schema, &body);
        assert!(e.is_empty(), "{body}: {e:?}");
    };
    let refused =
        |body: Value| assert!(!validate_strict(&doc, &schema, &body).is_empty(), "{body}");
    ok(json!({"_links": links, "plaid": {"publicToken": "p"}}));
    ok(json!({"_links": links, "mx": {"availableConnectionToken": "m"}}));
    ok(json!({"_links": links, "token": "t"}));
    ok(
        json!({"_links": {"exchange-partner": {"href": format!("{dwolla}/exchange-partners/ab-12?x=1")}}, "token": "t"}),
    );
    refused(json!({"_links": links}));
    refused(json!({"_links": links, "plaid": {"publicToken": "p"}, "token": "t"}));
    refused(
        json!({"_links": links, "plaid": {"publicToken": "p"}, "mx": {"availableConnectionToken": "m"}}),
    );
    for href in [
        "https://api-sandbox.dwolla.com/exchange-partners/ab-12",
        "http://127.0.0.1:8080/exchange-partners/ab-12",
        "http://elsewhere.example/exchange-partners/ab-12",
        "http://127.0.0.1:1234/exchanges/ab-12",
        "http://127.0.0.1:1234/exchange-partners/a.b",
        "http://127.0.0.1:1234/exchange-partners/ab-12/",
        "/exchange-partners/ab-12",
    ] {
        refused(json!({"_links": {"exchange-partner": {"href": href}}, "token": "t"}));
    }
    let schema = request_schema(&doc, "post", "/customers/{id}/funding-sources");
    let bank = json!({"_links": {"exchange": {"href": format!("{public}/exchanges/x1")}},
        "bankAccountType": "checking", "name": "n".repeat(50)});
    let card = json!({"cardToken": "src_x", "name": "Debit", "cardDetails": {"billingAddress": {
        "address1": "1 Main St", "city": "Des Moines", "stateProvinceRegion": "IA",
        "country": "US", "postalCode": "50309"}}});
    for body in [&bank, &card] {
        assert!(validate_strict(&doc, &schema, body).is_empty(), "{body}");
    }
    for body in [
        merged(&bank, &card),
        changed(&bank, "/name", |v| *v = json!("n".repeat(51))),
        changed(&card, "/name", |v| *v = json!("n".repeat(51))),
        json!({"routingNumber": "222222226", "accountNumber": "123456789",
               "bankAccountType": "checking", "name": "Raw"}),
        json!({"name": "x"}),
        changed(&bank, "/bankAccountType", |v| *v = json!("brokerage")),
        changed(&bank, "/_links/exchange/href", |v| {
            *v = json!(format!("{public}/exchange-partners/x1"))
        }),
        changed(
            &card,
            "/cardDetails/billingAddress/stateProvinceRegion",
            |v| *v = json!("ia"),
        ),
        changed(&card, "/cardDetails/billingAddress/country", |v| {
            *v = json!("USA")
        }),
        changed(&card, "/cardDetails/billingAddress/address1", |v| {
            *v = json!("a".repeat(51))
        }),
        changed(&card, "/cardDetails/billingAddress", |v| {
            v["address2"] = json!("a".repeat(101));
        }),
        changed(&card, "/cardDetails/billingAddress", |v| {
            v["street9"] = json!("x");
        }),
        changed(&card, "/cardDetails", |v| v["bin"] = json!("411111")),
    ] {
        assert!(!validate_strict(&doc, &schema, &body).is_empty(), "{body}");
    }
    // Sessions, re-authentication, removal.
    let schema = request_schema(&doc, "post", "/customers/{id}/exchange-sessions");
    assert!(validate_strict(&doc, &schema, &json!({"_links": links})).is_empty());
    for body in [
        json!({}),
        json!({"_links": links, "customer": "x"}),
        json!({"_links": {"exchange-partner": {"href": partner, "type": "x"}}}),
        json!({"_links": {"exchange-partner": {"href": "https://evil.example/exchange-partners/x"}}}),
    ] {
        assert!(!validate_strict(&doc, &schema, &body).is_empty(), "{body}");
    }
    let schema = request_schema(&doc, "post", "/exchanges/{id}/exchange-sessions");
    assert!(validate_strict(&doc, &schema, &json!({})).is_empty());
    for body in [
        json!({"_links": {}}),
        json!({"_links": {"redirect-url": {}}}),
        json!({"_links": {"redirect-url": {"href": "com.example.app"}, "exchange-partner": {"href": partner}}}),
    ] {
        assert!(!validate_strict(&doc, &schema, &body).is_empty(), "{body}");
    }
    let schema = request_schema(&doc, "post", "/funding-sources/{id}");
    for body in [
        json!({}),
        json!({"removed": false}),
        json!({"removed": true, "name": "x"}),
    ] {
        assert!(!validate_strict(&doc, &schema, &body).is_empty(), "{body}");
    }
}

// ---------------------------------------------------------------------------------------------
// The stack against the document

#[tokio::test]
async fn every_operation_answers_as_the_document_says() {
    let mut k = Contract::new().await;
    let customer = k.s.user("alice").unwrap().customer_id.clone();

    k.valid("get", "/health", "/health", None).await;
    let partners = k
        .valid("get", "/exchange-partners", "/exchange-partners", None)
        .await;
    let plaid = partner_in(&partners.body, "Plaid");
    let mx = partner_in(&partners.body, "MX");
    let finicity = partner_in(&partners.body, "Finicity");
    let checkout = partner_in(&partners.body, "Checkout.com");
    k.valid(
        "get",
        "/exchange-partners/{id}",
        &format!("/exchange-partners/{}", last(&plaid)),
        None,
    )
    .await;

    // Exchange sessions: each example, each href form; the derived bodies refused first.
    let sessions = "/customers/{id}/exchange-sessions";
    let schema = request_schema(&k.doc, "post", sessions);
    let mut link_tokens = Vec::new();
    let mut session_ids = Vec::new();
    for (i, href) in k.href_variants(&plaid, "#plaid").into_iter().enumerate() {
        let f = fill(&[
            ("/_links/exchange-partner/href", &href),
            ("/_links/redirect-url/href", "com.example.app"),
        ]);
        let bodies = examples(&k.doc, &schema, &f);
        assert_eq!(bodies.len(), 2, "with and without a redirect");
        if i == 0 {
            let url = "/customers/me/exchange-sessions";
            let d = derived(&k.doc, &schema, &bodies[1]);
            k.refused("post", sessions, url, d).await;
        }
        for (j, body) in bodies.iter().enumerate() {
            let url = if j == 0 {
                "/customers/me/exchange-sessions".to_string()
            } else {
                format!("/customers/{customer}/exchange-sessions")
            };
            let a = k.valid("post", sessions, &url, Some(body)).await;
            link_tokens.push(
                a.body["externalProviderSessionToken"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
            session_ids.push(last(&a.header("location").unwrap()));
        }
    }
    k.valid(
        "get",
        "/exchange-sessions/{id}",
        &format!("/exchange-sessions/{}", session_ids[0]),
        None,
    )
    .await;
    let mut public_tokens: Vec<String> = link_tokens
        .iter()
        .map(|l| k.s.simulator.complete_plaid_link(l).unwrap())
        .collect();

    // MX: a session without redirect, completed, its available connection.
    let mx_session = example(
        &k.doc,
        &schema,
        "",
        false,
        &fill(&[("/_links/exchange-partner/href", &mx)]),
    );
    let a = k
        .valid(
            "post",
            sessions,
            "/customers/me/exchange-sessions",
            Some(&mx_session),
        )
        .await;
    k.s.simulator
        .complete_mx_session(&last(&a.header("location").unwrap()))
        .unwrap();
    let connections = k
        .valid(
            "get",
            "/customers/{id}/available-exchange-connections",
            &format!("/customers/{customer}/available-exchange-connections"),
            None,
        )
        .await;
    let mx_token = connections.body["_embedded"]["available-exchange-connections"][0]
        ["availableConnectionToken"]
        .as_str()
        .unwrap()
        .to_string();

    // Exchanges: one body per branch; derived bodies and mixes of branches refused first.
    let exchanges = "/customers/{id}/exchanges";
    let schema = request_schema(&k.doc, "post", exchanges);
    let mut bodies = Vec::new();
    let mut kinds = Vec::new();
    for branch in branches(&k.doc, &schema) {
        let req = required(&k.doc, &branch);
        let (kind, partner, token_at, token) = if req.contains(&"plaid".to_string()) {
            (
                "plaid",
                &plaid,
                "/plaid/publicToken",
                public_tokens.remove(0),
            )
        } else if req.contains(&"mx".to_string()) {
            ("mx", &mx, "/mx/availableConnectionToken", mx_token.clone())
        } else if req.contains(&"token".to_string()) {
            // The simulator issues no token for the token-based partners: the body is taken
            // by the backend and Dwolla judges the token.
            ("token", &finicity, "/token", "not-issued-token".to_string())
        } else {
            panic!("an exchange branch this test does not know: {branch}")
        };
        let f = fill(&[
            ("/_links/exchange-partner/href", partner),
            (token_at, &token),
        ]);
        let b = examples(&k.doc, &branch, &f);
        assert_eq!(b.len(), 1, "{kind}: nothing optional");
        let d = derived(&k.doc, &branch, &b[0]);
        k.refused("post", exchanges, "/customers/me/exchanges", d)
            .await;
        bodies.push(b[0].clone());
        kinds.push(kind);
    }
    assert_eq!(kinds, ["plaid", "mx", "token"]);
    let mixes = k.branch_mixes(&bodies);
    k.refused("post", exchanges, "/customers/me/exchanges", mixes)
        .await;
    // Two tokens: the second is named, before Dwolla.
    let before = k.s.simulator.requests_received();
    let two = merged(&bodies[0], &bodies[1]);
    let a = k
        .send(
            "post",
            exchanges,
            "/customers/me/exchanges",
            Some(TOKEN),
            Some(&two),
        )
        .await;
    assert_eq!(a.status_and_code(), (400, Some("ValidationError")));
    assert_eq!(
        error_paths(&a),
        ["/mx/availableConnectionToken"],
        "{}",
        a.text
    );
    assert_eq!(k.s.simulator.requests_received(), before);
    let mut exchange_hrefs = Vec::new();
    for (kind, body) in kinds.iter().zip(&bodies) {
        if *kind == "token" {
            let before = k.s.simulator.requests_received();
            let a = k
                .send(
                    "post",
                    exchanges,
                    "/customers/me/exchanges",
                    Some(TOKEN),
                    Some(body),
                )
                .await;
            assert_eq!(
                a.status_and_code(),
                (400, Some("InvalidExchangeToken")),
                "{}",
                a.text
            );
            assert!(k.s.simulator.requests_received() > before, "sent to Dwolla");
            continue;
        }
        let a = k
            .valid("post", exchanges, "/customers/me/exchanges", Some(body))
            .await;
        exchange_hrefs.push(a.header("location").unwrap());
    }
    let exchange = exchange_hrefs[0].clone();
    k.valid(
        "get",
        "/exchanges/{id}",
        &format!("/exchanges/{}", last(&exchange)),
        None,
    )
    .await;
    // One more Plaid exchange, for the third href form of the funding sources.
    let p = public_tokens.remove(0);
    let body = merged(&bodies[0], &json!({"plaid": {"publicToken": p}}));
    let a = k
        .valid("post", exchanges, "/customers/me/exchanges", Some(&body))
        .await;
    exchange_hrefs.push(a.header("location").unwrap());

    // Re-authentication: no body, each example.
    let reauth = "/exchanges/{id}/exchange-sessions";
    let url = format!("/exchanges/{}/exchange-sessions", last(&exchange));
    let schema = request_schema(&k.doc, "post", reauth);
    k.valid("post", reauth, &url, None).await;
    let bodies = examples(
        &k.doc,
        &schema,
        &fill(&[("/_links/redirect-url/href", "com.example.app")]),
    );
    assert_eq!(bodies[0], json!({}));
    let d = derived(&k.doc, &schema, &bodies[1]);
    k.refused("post", reauth, &url, d).await;
    for body in &bodies {
        k.valid("post", reauth, &url, Some(body)).await;
    }

    // Funding sources: the bank form with each href form of an exchange, the card form with
    // and without its optional fields.
    let funding = "/customers/{id}/funding-sources";
    let schema = request_schema(&k.doc, "post", funding);
    let mut card_tokens = Vec::new();
    for _ in 0..2 {
        let body = example(
            &k.doc,
            &request_schema(&k.doc, "post", sessions),
            "",
            false,
            &fill(&[("/_links/exchange-partner/href", &checkout)]),
        );
        let a = k
            .valid(
                "post",
                sessions,
                "/customers/me/exchange-sessions",
                Some(&body),
            )
            .await;
        let ps = a.body["externalProviderSessionData"]["id"]
            .as_str()
            .unwrap();
        card_tokens.push(k.s.simulator.complete_checkout_payment(ps).unwrap());
    }
    let address = [
        ("/cardDetails/billingAddress/address1", "1 Main St"),
        ("/cardDetails/billingAddress/address2", "Apt 4B"),
        ("/cardDetails/billingAddress/address3", "Unit 1"),
        ("/cardDetails/billingAddress/city", "Des Moines"),
        ("/cardDetails/billingAddress/stateProvinceRegion", "IA"),
        ("/cardDetails/billingAddress/country", "US"),
        ("/cardDetails/billingAddress/postalCode", "50309"),
    ];
    let mut firsts = Vec::new();
    let mut funding_source = String::new();
    for branch in branches(&k.doc, &schema) {
        let req = required(&k.doc, &branch);
        let mut cases: Vec<(Value, Value)> = Vec::new();
        if req.contains(&"_links".to_string()) {
            let variants = k.href_variants(&exchange, "?from=app");
            for (href, x) in variants.iter().zip(&exchange_hrefs) {
                // Each form of the href names another exchange (one funding source each).
                let href = href.replace(&last(&exchange), &last(x));
                let f = fill(&[("/_links/exchange/href", &href), ("/name", "Checking")]);
                let b = examples(&k.doc, &branch, &f);
                assert_eq!(b.len(), 1, "bank: nothing optional");
                cases.push((branch.clone(), b[0].clone()));
            }
        } else if req.contains(&"cardToken".to_string()) {
            for all in [false, true] {
                let mut items = vec![
                    ("/cardToken", card_tokens.remove(0)),
                    ("/name", "Debit".into()),
                ];
                items.extend(address.iter().map(|(k, v)| (*k, v.to_string())));
                let f: Fill = items
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), json!(v)))
                    .collect();
                cases.push((branch.clone(), example(&k.doc, &branch, "", all, &f)));
            }
            assert_ne!(cases[0].1, cases[1].1, "card: optional address lines");
        } else {
            panic!("a funding-source branch this test does not know: {branch}")
        }
        // The bank form's plain href, the card form with every field.
        let (b, first) = cases[if cases.len() == 2 { 1 } else { 0 }].clone();
        let d = derived(&k.doc, &b, &first);
        k.refused("post", funding, "/customers/me/funding-sources", d)
            .await;
        firsts.push(first);
        for (_, body) in &cases {
            let a = k
                .valid("post", funding, "/customers/me/funding-sources", Some(body))
                .await;
            funding_source = a.header("location").unwrap();
        }
    }
    assert_eq!(firsts.len(), 2);
    let mixes = k.branch_mixes(&firsts);
    k.refused("post", funding, "/customers/me/funding-sources", mixes)
        .await;
    k.valid(
        "get",
        funding,
        &format!("/customers/{customer}/funding-sources"),
        None,
    )
    .await;
    let one = format!("/funding-sources/{}", last(&funding_source));
    k.valid("get", "/funding-sources/{id}", &one, None).await;
    let schema = request_schema(&k.doc, "post", "/funding-sources/{id}");
    let body = example(&k.doc, &schema, "", true, &Fill::new());
    assert_eq!(body, json!({"removed": true}));
    let d = derived(&k.doc, &schema, &body);
    k.refused("post", "/funding-sources/{id}", &one, d).await;
    let a = k
        .valid("post", "/funding-sources/{id}", &one, Some(&body))
        .await;
    assert_eq!(a.body["removed"], true);

    assert_eq!(
        k.exercised,
        operations(&k.doc),
        "every operation of the document"
    );
}

#[tokio::test]
async fn ids_off_the_parameter_pattern_are_404_before_dwolla() {
    let k = Contract::new().await;
    let before = k.s.simulator.requests_received();
    let mut checked = 0;
    for (method, path) in operations(&k.doc) {
        let op = &k.doc["paths"][&path][&method];
        let Some(params) = op["parameters"].as_array() else {
            continue;
        };
        let Some(id) = params
            .iter()
            .map(|p| deref(&k.doc, p))
            .find(|p| p["in"] == "path" && p["name"] == "id")
        else {
            continue;
        };
        for bad in ["x.y", "a_b", &"a".repeat(65), "%C3%A9"] {
            let decoded = bad.replace("%C3%A9", "é");
            assert!(
                !validate_strict(&k.doc, &id["schema"], &json!(decoded)).is_empty(),
                "{path}: the document takes the id {bad}"
            );
            let url = path.replace("{id}", bad);
            let body = (method == "post").then(|| json!({}));
            let a = k
                .send(&method, &path, &url, Some(TOKEN), body.as_ref())
                .await;
            assert_eq!(
                a.status_and_code(),
                (404, Some("NotFound")),
                "{method} {url}"
            );
            checked += 1;
        }
    }
    assert_eq!(k.s.simulator.requests_received(), before);
    assert!(checked >= 4 * 10, "{checked}");
}

#[tokio::test]
async fn another_method_on_a_documented_path_is_405_with_allow() {
    let k = Contract::new().await;
    let response = k.doc["components"]["responses"]["MethodNotAllowed"].clone();
    assert!(response.is_object(), "the document has MethodNotAllowed");
    let before = k.s.simulator.requests_received();
    let all = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
    let mut checked = 0;
    for (path, item) in k.doc["paths"].as_object().unwrap() {
        let mut allowed: BTreeSet<String> = METHODS
            .iter()
            .filter(|m| item.get(**m).is_some())
            .map(|m| m.to_uppercase())
            .collect();
        if allowed.contains("GET") {
            allowed.insert("HEAD".into());
        }
        let url = format!("{}{}", k.base, path.replace("{id}", "me"));
        for m in all.iter().filter(|m| !allowed.contains(**m)) {
            for token in [None, Some(TOKEN)] {
                let mut req = k.c.request(Method::from_bytes(m.as_bytes()).unwrap(), &url);
                if let Some(t) = token {
                    req = req.bearer_auth(t);
                }
                let a = read(req.send().await.unwrap()).await;
                let what = format!("{m} {path}");
                assert_eq!(a.status, 405, "{what}: {}", a.text);
                check_response(&k.doc, &response, &a, *m == "HEAD", &what);
                let allow: BTreeSet<String> = a
                    .header("allow")
                    .unwrap()
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .collect();
                assert_eq!(allow, allowed, "{what}");
                if *m != "HEAD" {
                    assert_eq!(a.body["code"], "MethodNotAllowed");
                    assert_eq!(
                        a.body["message"],
                        "The method is not allowed for the requested resource."
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 13 * 2 * 4, "{checked}");
    // Any other path is 404, whatever the method, and names no methods.
    for path in ["nope", "customers/me", "exchange-partners/a/b", "sim/stats"] {
        for m in ["GET", "POST", "DELETE"] {
            let a = read(
                k.c.request(
                    Method::from_bytes(m.as_bytes()).unwrap(),
                    format!("{}/{path}", k.base),
                )
                .bearer_auth(TOKEN)
                .send()
                .await
                .unwrap(),
            )
            .await;
            assert_eq!(a.status_and_code(), (404, Some("NotFound")), "{m} {path}");
            assert_eq!(a.header("allow"), None, "{m} {path}");
        }
    }
    assert_eq!(k.s.simulator.requests_received(), before);
}

#[tokio::test]
async fn a_429_of_the_client_limits_is_as_the_document_says() {
    let s = start_stack(StackOptions {
        limits: Limits {
            user_rate: 1,
            user_burst: 1,
            peer_rate: 1,
            peer_burst: 1,
            ..Limits::default()
        },
        ..StackOptions::default()
    })
    .await
    .expect("stack");
    let doc = specialized(s.backend_url.trim_end_matches('/'), &s.simulator_url);
    let c = client();
    // A signed-in user past her rate, and a peer past its own (no token: /health).
    for (path, token) in [("/exchange-partners", Some(TOKEN)), ("/health", None)] {
        let url = format!("{}{}", s.backend_url, &path[1..]);
        let first = get(&c, &url, token).await;
        assert_eq!(first.status, 200, "{}", first.text);
        let second = get(&c, &url, token).await;
        assert_eq!(second.status, 429, "{}", second.text);
        conform(&doc, "get", path, &second);
    }
}
