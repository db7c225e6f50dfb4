//! Moving hrefs between Dwolla's base URL and the backend's public URL.

use serde_json::Value;

/// Rewrites absolute URLs between Dwolla's base and the backend's public base.
///
/// Both bases are kept without a trailing slash. A string is on a base when it equals it or
/// continues it with `/` or `?`.
#[derive(Debug, Clone)]
pub struct Rewriter {
    dwolla: String,
    public: String,
}

fn strip(base: &str) -> String {
    base.trim_end_matches('/').to_string()
}

fn swap(s: &str, from: &str, to: &str) -> Option<String> {
    let rest = s.strip_prefix(from)?;
    if rest.is_empty() || rest.starts_with('/') || rest.starts_with('?') {
        Some(format!("{to}{rest}"))
    } else {
        None
    }
}

fn walk(v: &mut Value, f: &dyn Fn(&str) -> Option<String>) {
    match v {
        Value::String(s) => {
            if let Some(n) = f(s) {
                *s = n;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| walk(i, f)),
        Value::Object(map) => map.values_mut().for_each(|i| walk(i, f)),
        _ => {}
    }
}

impl Rewriter {
    /// A rewriter between `dwolla` (e.g. `https://api-sandbox.dwolla.com`) and `public`.
    pub fn new(dwolla: &str, public: &str) -> Self {
        Rewriter {
            dwolla: strip(dwolla),
            public: strip(public),
        }
    }

    /// The public base, without a trailing slash.
    pub fn public_base(&self) -> &str {
        &self.public
    }

    /// A Dwolla URL moved onto the public base; `None` when it is not on Dwolla's base.
    pub fn to_public(&self, s: &str) -> Option<String> {
        swap(s, &self.dwolla, &self.public)
    }

    /// A URL on the public base (or already on Dwolla's) as Dwolla's URL; `None` otherwise.
    pub fn to_dwolla(&self, s: &str) -> Option<String> {
        swap(s, &self.public, &self.dwolla).or_else(|| swap(s, &self.dwolla, &self.dwolla))
    }

    /// Every string in `v` that is on Dwolla's base, moved onto the public base.
    pub fn json_to_public(&self, v: &mut Value) {
        walk(v, &|s| self.to_public(s));
    }

    /// Every string in `v` that is on the public base, moved onto Dwolla's base.
    pub fn json_to_dwolla(&self, v: &mut Value) {
        walk(v, &|s| swap(s, &self.public, &self.dwolla));
    }

    /// The URL of a Dwolla resource on Dwolla's base: `<dwolla>/<collection>/<id>`.
    pub fn dwolla_href(&self, collection: &str, id: &str) -> String {
        format!("{}/{collection}/{id}", self.dwolla)
    }

    /// The id in a Dwolla or public URL of the form `<base>/<collection>/<id>`.
    pub fn id_in(&self, url: &str, collection: &str) -> Option<String> {
        let dw = self.to_dwolla(url)?;
        let rest = dw.strip_prefix(&self.dwolla)?.strip_prefix('/')?;
        let rest = rest.split(['?', '#']).next().unwrap_or("");
        let mut parts = rest.split('/');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(c), Some(id), None) if c == collection && valid_id(id) => Some(id.to_string()),
            _ => None,
        }
    }
}

/// Whether `id` may be used as one path segment of a Dwolla URL: 1 to 64 characters of
/// `[A-Za-z0-9-]` (Dwolla ids are UUIDs). Anything else could step out of the segment.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn moves_nested_hrefs_both_ways() {
        let r = Rewriter::new("http://127.0.0.1:9/", "https://app.example.com");
        let mut v = json!({"_links":{"self":{"href":"http://127.0.0.1:9/exchange-sessions/a"}},
            "list":[{"href":"http://127.0.0.1:9"}], "other":"http://127.0.0.1:99/x", "n": 3});
        r.json_to_public(&mut v);
        assert_eq!(
            v["_links"]["self"]["href"],
            "https://app.example.com/exchange-sessions/a"
        );
        assert_eq!(v["list"][0]["href"], "https://app.example.com");
        assert_eq!(v["other"], "http://127.0.0.1:99/x");
        r.json_to_dwolla(&mut v);
        assert_eq!(
            v["_links"]["self"]["href"],
            "http://127.0.0.1:9/exchange-sessions/a"
        );
    }

    #[test]
    fn ids_are_taken_only_from_known_bases_and_shapes() {
        let r = Rewriter::new("http://d", "http://p");
        assert_eq!(
            r.id_in("http://p/exchanges/ab-1", "exchanges").as_deref(),
            Some("ab-1")
        );
        assert_eq!(
            r.id_in("http://d/exchanges/ab-1", "exchanges").as_deref(),
            Some("ab-1")
        );
        assert_eq!(r.id_in("http://x/exchanges/ab-1", "exchanges"), None);
        assert_eq!(r.id_in("http://p/exchanges/a/b", "exchanges"), None);
        assert_eq!(r.id_in("http://p/customers/a", "exchanges"), None);
        assert!(!valid_id("a/b"));
        assert!(!valid_id(".."));
        assert!(!valid_id(""));
    }
}
