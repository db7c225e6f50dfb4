//! Dwolla's `OpenAPI` document (`../shared/reference/dwolla-openapi.yml`) and a small validator
//! for the subset of JSON Schema it uses; [`conforms`] checks an answer against it.

use std::path::PathBuf;

use serde_json::Value;

/// Dwolla's `OpenAPI` document beside the repository, or `None` (after printing why) when absent.
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
                        errors.push(format!("{child}: property not allowed"));
                    }
                    Some(sub @ Value::Object(_)) => {
                        check(spec, sub, value, &child, errors, depth + 1);
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

/// Checks an answer against the `OpenAPI` document: status declared, media type, body schema,
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

// ---------------------------------------------------------------------------------------------
// Strict validation, for docs/backend-openapi.yml (whose `oneOf` branches exclude each other)

/// The keywords [`validate_strict`] checks or may ignore (annotations); any other keyword in a
/// schema it reads is a panic, so that a rule it cannot check is never taken as passed.
const STRICT_KEYWORDS: [&str; 19] = [
    "type",
    "enum",
    "format",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "allOf",
    "anyOf",
    "oneOf",
    "required",
    "properties",
    "additionalProperties",
    "items",
    "description",
    "example",
    "title",
    "$ref",
];

/// `schema` with its `$ref`s followed (a response, a parameter, a schema).
pub fn deref<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    resolve(spec, schema)
}

/// Validates `instance` against `schema` as JSON Schema reads it: like [`validate`], but a
/// `oneOf` must match exactly one alternative, and `pattern` (unanchored, as ECMA-262's
/// `test`), `minLength`/`maxLength` (in characters) and `minimum`/`maximum` are checked too.
/// Panics on a keyword it does not know. Returns the errors (empty when valid).
pub fn validate_strict(spec: &Value, schema: &Value, instance: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check_strict(spec, schema, instance, "", &mut errors, 0);
    errors
}

/// Whether `s` matches the ECMA-262 `pattern` (anywhere in `s`, as JSON Schema reads it).
pub fn pattern_matches(pattern: &str, s: &str) -> bool {
    regex_lite::Regex::new(pattern)
        .unwrap_or_else(|e| panic!("pattern {pattern:?} does not compile: {e}"))
        .is_match(s)
}

fn check_strict(
    spec: &Value,
    schema: &Value,
    instance: &Value,
    at: &str,
    errors: &mut Vec<String>,
    depth: u32,
) {
    assert!(depth < 64, "schema too deep at {at}");
    let schema = resolve(spec, schema);
    if let Some(keywords) = schema.as_object() {
        for k in keywords.keys() {
            assert!(
                STRICT_KEYWORDS.contains(&k.as_str()),
                "{at}: schema keyword {k:?} is not checked by validate_strict"
            );
        }
    }
    if let Some(types) = schema.get("type") {
        let ok = match types {
            Value::String(t) => type_matches(t, instance),
            _ => panic!("{at}: type {types} is not a string"),
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
    if let Some(s) = instance.as_str() {
        let chars = s.chars().count() as u64;
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
            if chars > max {
                errors.push(format!(
                    "{at}: {chars} characters, more than maxLength {max}"
                ));
            }
        }
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64) {
            if chars < min {
                errors.push(format!(
                    "{at}: {chars} characters, fewer than minLength {min}"
                ));
            }
        }
        if let Some(p) = schema.get("pattern").and_then(Value::as_str) {
            if !pattern_matches(p, s) {
                errors.push(format!("{at}: {s:?} does not match the pattern {p:?}"));
            }
        }
        match schema.get("format").and_then(Value::as_str) {
            Some("date-time") if !is_date_time(s) => {
                errors.push(format!("{at}: {s:?} is not a date-time"));
            }
            Some("uri") if !(s.starts_with("http://") || s.starts_with("https://")) => {
                errors.push(format!("{at}: {s:?} is not a uri"));
            }
            _ => {}
        }
    }
    if let Some(n) = instance.as_f64() {
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
            if n < min {
                errors.push(format!("{at}: {n} is less than the minimum {min}"));
            }
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
            if n > max {
                errors.push(format!("{at}: {n} is more than the maximum {max}"));
            }
        }
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for sub in all {
            check_strict(spec, sub, instance, at, errors, depth + 1);
        }
    }
    for key in ["oneOf", "anyOf"] {
        let Some(alternatives) = schema.get(key).and_then(Value::as_array) else {
            continue;
        };
        let results: Vec<Vec<String>> = alternatives
            .iter()
            .map(|sub| {
                let mut sub_errors = Vec::new();
                check_strict(spec, sub, instance, at, &mut sub_errors, depth + 1);
                sub_errors
            })
            .collect();
        let matched = results.iter().filter(|e| e.is_empty()).count();
        if matched == 0 {
            errors.push(format!("{at}: matches no {key} alternative: {results:?}"));
        } else if key == "oneOf" && matched > 1 {
            errors.push(format!(
                "{at}: matches {matched} oneOf alternatives, not exactly one"
            ));
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
                Some(sub) => check_strict(spec, sub, value, &child, errors, depth + 1),
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        errors.push(format!("{child}: property not allowed"));
                    }
                    Some(sub @ Value::Object(_)) => {
                        check_strict(spec, sub, value, &child, errors, depth + 1);
                    }
                    _ => {}
                },
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), instance.as_array()) {
        for (i, item) in array.iter().enumerate() {
            check_strict(spec, items, item, &format!("{at}/{i}"), errors, depth + 1);
        }
    }
}
