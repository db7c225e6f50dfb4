//! Internal entry points for the fuzz targets in `fuzz/` (cargo feature `fuzzing`, off by
//! default). Not part of the supported API and not in the bindings.
//!
//! - the HAL+JSON parsers of `hal::parse`, re-exported as they are ([`partners`], [`session`],
//!   [`exchange`], [`funding_source`], [`funding_sources`], [`available_connections`], [`json`]
//!   and what they return);
//! - [`Hrefs`]: `Transport::resolve_href` against a fixed `backend_url`.
//!
//! The redirect validators need no entry point: [`crate::validate_android_package_name`] and
//! [`crate::validate_ios_redirect_url`] are exported as they are.

use url::Url;

use crate::config::{BridgeConfig, Environment, Platform};
use crate::transport::{HrefSupplier, Transport};

pub use crate::hal::parse::{
    available_connections, exchange, funding_source, funding_sources, json, partners, session,
    Malformed, RawConnection, RawResource, RawSession, SessionKind,
};
pub use crate::hal::{CardSummary, ExchangePartner, FundingSource, FundingSourceKind};

/// The href rule of a client configured with one `backend_url` (platform `Web`, sandbox).
pub struct Hrefs {
    transport: Transport,
    base: Url,
}

impl Hrefs {
    /// A client's transport for `backend_url` (`http` allowed when `allow_http`).
    ///
    /// Errors: the configuration's own error, as text, when `backend_url` is refused.
    pub fn new(backend_url: &str, allow_http: bool) -> Result<Self, String> {
        let mut cfg = BridgeConfig::new(backend_url, Platform::Web, Environment::Sandbox);
        cfg.allow_insecure_http = allow_http;
        let valid = cfg.validate().map_err(|e| e.to_string())?;
        let base = valid.base.clone();
        let transport = Transport::new(&valid, None).map_err(|e| e.to_string())?;
        Ok(Hrefs { transport, base })
    }

    /// The configured base as the client holds it (its path ends in `/`).
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// `Transport::resolve_href` for an href from the backend; the refusal as displayed.
    pub fn resolve(&self, href: &str) -> Result<Url, String> {
        self.transport
            .resolve_href(href, HrefSupplier::Backend)
            .map_err(|e| e.to_string())
    }
}
