//! The href rule (`Transport::resolve_href`) on arbitrary hrefs against fixed backend URLs (an
//! https one with a path, an http one on loopback with a port): it never panics; an `Ok` URL is
//! on the backend's origin (scheme, host, port), carries no user info (the client would send it
//! as `Authorization: Basic`), and resolves to itself again (the rule is stable); a Dwolla href
//! rebased onto the backend stays under `backend_url`'s path.

use std::sync::OnceLock;

use iav_bridge::fuzzing::Hrefs;

fn backends() -> &'static [Hrefs] {
    static BACKENDS: OnceLock<Vec<Hrefs>> = OnceLock::new();
    BACKENDS.get_or_init(|| {
        vec![
            Hrefs::new("https://api.example.com/dwolla", false).expect("https backend"),
            Hrefs::new("http://127.0.0.1:8080/", true).expect("http backend"),
        ]
    })
}

const DWOLLA_HOSTS: [&str; 2] = ["api.dwolla.com", "api-sandbox.dwolla.com"];

/// One input: the properties above, checked; a violation panics.
pub fn run(data: &[u8]) {
    let Ok(href) = std::str::from_utf8(data) else {
        return;
    };
    for backend in backends() {
        let base = backend.base();
        let Ok(url) = backend.resolve(href) else {
            continue;
        };
        assert_eq!(
            url.origin(),
            base.origin(),
            "{href:?} resolved off the backend's origin: {url}"
        );
        assert_eq!(url.scheme(), base.scheme());
        assert_eq!(url.host_str(), base.host_str());
        assert_eq!(url.port_or_known_default(), base.port_or_known_default());
        assert!(
            url.username().is_empty() && url.password().is_none(),
            "{href:?} resolved with user info ({url}) against {base}"
        );
        let again = backend
            .resolve(url.as_str())
            .unwrap_or_else(|e| panic!("{url} (from {href:?}) is refused on a second look: {e}"));
        assert_eq!(again, url, "resolving {href:?} twice moves it");
        // Parsed as the client does (joined onto the base: `https:/x` is then a path on the
        // base's host, not the host `x`).
        let rebased = base.join(href).ok().is_some_and(|h| {
            h.host_str()
                .is_some_and(|host| DWOLLA_HOSTS.contains(&host))
        });
        if rebased {
            assert!(
                url.path().starts_with(base.path()),
                "the Dwolla href {href:?} was rebased outside {base}: {url}"
            );
        }
    }
}
