//! Shared helpers of the simulator tests (included with `#[path]`): start a simulator on
//! loopback, get an access token, and check answers against Dwolla's OpenAPI document with a
//! small JSON-schema validator for the subset that document uses.
#![allow(dead_code)]

use std::path::PathBuf;

use sample_backend::simulator::{RunningSimulator, Simulator, SimulatorConfig};
use serde_json::{json, Value};

/// Dwolla's media type.
pub const HAL: &str = "application/vnd.dwolla.v1.hal+json";

/// A simulator served on 127.0.0.1 port 0 and a plain-HTTP client.
pub async fn start() -> (RunningSimulator, reqwest::Client) {
    start_with(SimulatorConfig::default()).await
}

/// Like [`start`] with a given configuration.
pub async fn start_with(config: SimulatorConfig) -> (RunningSimulator, reqwest::Client) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let running = Simulator::new(config)
        .serve(listener)
        .await
        .expect("serve simulator");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    (running, client)
}

/// `POST /token` with the default credentials; returns the access token.
pub async fn token(sim: &RunningSimulator, client: &reqwest::Client) -> String {
    let config = sim.simulator.config();
    let resp = client
        .post(format!("{}/token", sim.url))
        .basic_auth(&config.client_key, Some(&config.client_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token request");
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("token JSON");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

/// A GET with Dwolla's headers.
pub async fn get(client: &reqwest::Client, url: &str, token: &str) -> reqwest::Response {
    client
        .get(url)
        .bearer_auth(token)
        .header("Accept", HAL)
        .send()
        .await
        .expect("GET")
}

/// A POST of a JSON body with Dwolla's headers.
pub async fn post(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: &Value,
) -> reqwest::Response {
    client
        .post(url)
        .bearer_auth(token)
        .header("Accept", HAL)
        .header("Content-Type", HAL)
        .body(body.to_string())
        .send()
        .await
        .expect("POST")
}

/// The `Location` header of a 201, asserting the status.
pub fn location(resp: &reqwest::Response) -> String {
    assert_eq!(resp.status(), 201, "expected 201 Created");
    resp.headers()
        .get("location")
        .expect("Location header")
        .to_str()
        .expect("ASCII Location")
        .to_string()
}

/// The partner's href by name, from `GET /exchange-partners`.
pub async fn partner_href(
    sim: &RunningSimulator,
    client: &reqwest::Client,
    token: &str,
    name: &str,
) -> String {
    let list: Value = get(client, &format!("{}/exchange-partners", sim.url), token)
        .await
        .json()
        .await
        .expect("partners JSON");
    list["_embedded"]["exchange-partners"]
        .as_array()
        .expect("partners array")
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["_links"]["self"]["href"].as_str())
        .unwrap_or_else(|| panic!("partner {name} listed"))
        .to_string()
}

/// Creates an exchange session and returns its URL.
pub async fn create_session(
    sim: &RunningSimulator,
    client: &reqwest::Client,
    token: &str,
    customer_id: &str,
    partner: &str,
    redirect: Option<&str>,
) -> reqwest::Response {
    let partner = partner_href(sim, client, token, partner).await;
    let mut body = json!({ "_links": { "exchange-partner": { "href": partner } } });
    if let Some(r) = redirect {
        body["_links"]["redirect-url"] = json!({ "href": r });
    }
    post(
        client,
        &format!("{}/customers/{customer_id}/exchange-sessions", sim.url),
        token,
        &body,
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Dwolla's OpenAPI document and a validator for the subset of JSON Schema it uses.

/// Dwolla's OpenAPI document beside the repository, or `None` (after printing why) when absent.
pub fn openapi() -> Option<Value> {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/reference/dwolla-openapi.yml"
    ));
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("skipping: ../shared/reference/dwolla-openapi.yml not found");
        return None;
    };
    let yaml: serde_norway::Value = serde_norway::from_str(&text).expect("OpenAPI YAML parses");
    Some(serde_json::to_value(yaml).expect("OpenAPI as JSON"))
}

/// The response schema of `method path` for `status`, with its declared media type and headers.
pub struct ResponseSpec {
    /// Media type of the body, when the operation declares one.
    pub media_type: Option<String>,
    /// Schema of the body, when declared.
    pub schema: Option<Value>,
    /// Names of the headers the response declares.
    pub headers: Vec<String>,
}

/// Looks up the declared response of an operation.
pub fn response_spec(spec: &Value, path: &str, method: &str, status: u16) -> ResponseSpec {
    let response = &spec["paths"][path][method]["responses"][status.to_string()];
    assert!(
        response.is_object(),
        "the OpenAPI document declares {method} {path} -> {status}"
    );
    let (media_type, schema) = match response["content"]
        .as_object()
        .and_then(|c| c.iter().next())
    {
        Some((media, content)) => (Some(media.clone()), content.get("schema").cloned()),
        None => (None, None),
    };
    let headers = response["headers"]
        .as_object()
        .map(|h| h.keys().cloned().collect())
        .unwrap_or_default();
    ResponseSpec {
        media_type,
        schema,
        headers,
    }
}

/// Validates `instance` against `schema`; returns the errors (empty when valid).
pub fn validate(spec: &Value, schema: &Value, instance: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(spec, schema, instance, "", &mut errors, 0);
    errors
}

fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    let mut current = schema;
    for _ in 0..16 {
        match current.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let pointer = r.strip_prefix('#').expect("local $ref");
                current = spec
                    .pointer(pointer)
                    .unwrap_or_else(|| panic!("$ref {r} resolves"));
            }
            None => break,
        }
    }
    current
}

fn type_matches(expected: &str, instance: &Value) -> bool {
    match expected {
        "object" => instance.is_object(),
        "array" => instance.is_array(),
        "string" => instance.is_string(),
        "integer" => instance.is_i64() || instance.is_u64(),
        "number" => instance.is_number(),
        "boolean" => instance.is_boolean(),
        "null" => instance.is_null(),
        _ => true,
    }
}

fn check(
    spec: &Value,
    schema: &Value,
    instance: &Value,
    at: &str,
    errors: &mut Vec<String>,
    depth: u32,
) {
    assert!(depth < 64, "schema too deep at {at}");
    let schema = resolve(spec, schema);
    if let Some(types) = schema.get("type") {
        let ok = match types {
            Value::String(t) => type_matches(t, instance),
            Value::Array(ts) => ts
                .iter()
                .filter_map(Value::as_str)
                .any(|t| type_matches(t, instance)),
            _ => true,
        };
        if !ok {
            errors.push(format!("{at}: expected type {types}, got {instance}"));
            return;
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        if !values.contains(instance) {
            errors.push(format!("{at}: {instance} not in enum {values:?}"));
        }
    }
    if let (Some(format), Some(s)) = (
        schema.get("format").and_then(Value::as_str),
        instance.as_str(),
    ) {
        let ok = match format {
            "date-time" => is_date_time(s),
            "uri" => s.starts_with("http://") || s.starts_with("https://"),
            _ => true,
        };
        if !ok {
            errors.push(format!("{at}: {s:?} is not a {format}"));
        }
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for sub in all {
            check(spec, sub, instance, at, errors, depth + 1);
        }
    }
    // Dwolla's oneOf alternatives overlap (several error objects of the same shape), so an
    // instance is accepted when it matches at least one alternative.
    for key in ["oneOf", "anyOf"] {
        if let Some(alternatives) = schema.get(key).and_then(Value::as_array) {
            let mut all_errors = Vec::new();
            let matched = alternatives.iter().any(|sub| {
                let mut sub_errors = Vec::new();
                check(spec, sub, instance, at, &mut sub_errors, depth + 1);
                let ok = sub_errors.is_empty();
                all_errors.extend(sub_errors);
                ok
            });
            if !matched {
                errors.push(format!(
                    "{at}: matches no {key} alternative: {all_errors:?}"
                ));
            }
        }
    }
    if let Some(object) = instance.as_object() {
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for name in required.iter().filter_map(Value::as_str) {
                if !object.contains_key(name) {
                    errors.push(format!("{at}: missing required property {name:?}"));
                }
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        for (name, value) in object {
            let child = format!("{at}/{name}");
            match properties.and_then(|p| p.get(name)) {
                Some(sub) => check(spec, sub, value, &child, errors, depth + 1),
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        errors.push(format!("{child}: property not allowed"))
                    }
                    Some(sub @ Value::Object(_)) => {
                        check(spec, sub, value, &child, errors, depth + 1)
                    }
                    _ => {}
                },
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), instance.as_array()) {
        for (i, item) in array.iter().enumerate() {
            check(spec, items, item, &format!("{at}/{i}"), errors, depth + 1);
        }
    }
}

/// RFC 3339 date-time, as `2024-03-25T17:13:38.430Z`.
pub fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && (b[10] == b'T' || b[10] == b't')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && (s.ends_with('Z') || s[19..].contains('+') || s[19..].contains('-'))
}

/// Checks an answer against the OpenAPI document: status declared, media type, body schema,
/// declared headers present. Returns the body (Null when empty).
pub async fn conforms(
    spec: &Value,
    path: &str,
    method: &str,
    resp: reqwest::Response,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    let declared = response_spec(spec, path, method, status);
    for name in &declared.headers {
        assert!(
            headers.contains_key(name.to_ascii_lowercase().as_str()),
            "{method} {path} -> {status}: header {name} declared but missing"
        );
    }
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!("{method} {path} -> {status}: body is not JSON ({e}): {text}")
        })
    };
    if let Some(media) = &declared.media_type {
        let content_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert_eq!(
            content_type, media,
            "{method} {path} -> {status}: Content-Type"
        );
    }
    if let Some(schema) = &declared.schema {
        let errors = validate(spec, schema, &body);
        assert!(
            errors.is_empty(),
            "{method} {path} -> {status}: body does not match the OpenAPI schema: {errors:#?}\nbody: {body}"
        );
    }
    (status, headers, body)
}

/// Checks that a value holds no secret-looking string (`link-`, `public-`, access token).
pub fn assert_no_secret(text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!secret.is_empty());
        assert!(!text.contains(secret), "a secret leaked into: {text}");
    }
}

#[test]
fn validator_catches_what_it_should() {
    let spec = json!({ "components": { "schemas": { "L": { "type": "object", "required": ["href"], "properties": { "href": { "type": "string", "format": "uri" } } } } } });
    let schema = json!({
        "type": "object",
        "required": ["id", "created"],
        "properties": {
            "id": { "type": "string" },
            "n": { "type": "integer" },
            "status": { "type": "string", "enum": ["active"] },
            "created": { "type": "string", "format": "date-time" },
            "items": { "type": "array", "items": { "$ref": "#/components/schemas/L" } },
            "_links": { "additionalProperties": { "$ref": "#/components/schemas/L" } },
            "one": { "oneOf": [ { "type": "string" }, { "type": "integer" } ] }
        }
    });
    let good = json!({ "id": "x", "n": 3, "status": "active", "created": "2024-03-25T17:13:38.430Z",
        "items": [ { "href": "http://a" } ], "_links": { "self": { "href": "http://a/b" } }, "one": 1 });
    assert_eq!(validate(&spec, &schema, &good), Vec::<String>::new());
    for (bad, what) in [
        (
            json!({ "created": "2024-03-25T17:13:38.430Z" }),
            "missing required",
        ),
        (
            json!({ "id": 1, "created": "2024-03-25T17:13:38.430Z" }),
            "expected type",
        ),
        (json!({ "id": "x", "created": "yesterday" }), "date-time"),
        (
            json!({ "id": "x", "created": "2024-03-25T17:13:38.430Z", "status": "gone" }),
            "enum",
        ),
        (
            json!({ "id": "x", "created": "2024-03-25T17:13:38.430Z", "items": [ {} ] }),
            "href",
        ),
        (
            json!({ "id": "x", "created": "2024-03-25T17:13:38.430Z", "_links": { "self": { "href": "nope" } } }),
            "uri",
        ),
        (
            json!({ "id": "x", "created": "2024-03-25T17:13:38.430Z", "one": true }),
            "oneOf",
        ),
        (
            json!({ "id": "x", "created": "2024-03-25T17:13:38.430Z", "n": 1.5 }),
            "integer",
        ),
    ] {
        let errors = validate(&spec, &schema, &bad);
        assert!(
            errors.iter().any(|e| e.contains(what)),
            "{what}: {errors:?}"
        );
    }
}
