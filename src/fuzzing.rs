//! Internal entry points for the fuzz targets in `fuzz/` (cargo feature `fuzzing`, off by
//! default). Not part of the supported API and not in the bindings: thin wrappers that run the
//! internal parsers and the href rule and hand their results back as plain public data.
//!
//! - [`partners`], [`session`], [`exchange`], [`funding_source`], [`funding_sources`],
//!   [`available_connections`], [`json`]: the HAL+JSON parsers of `hal::parse`;
//! - [`Hrefs`]: `Transport::resolve_href` against a fixed `backend_url`.
//!
//! The redirect validators need no wrapper: [`crate::validate_android_package_name`] and
//! [`crate::validate_ios_redirect_url`] are exported as they are.

use serde_json::Value;
use url::Url;

use crate::config::{BridgeConfig, Environment, Platform};
use crate::hal::parse::{self, RawConnection, RawResource, RawSession};
use crate::transport::{HrefSupplier, Transport};

pub use crate::hal::{CardSummary, ExchangePartner, FundingSource, FundingSourceKind};

/// `hal::parse::Malformed`: the resource, the problem, and the message as displayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// The resource, for example `exchange partner [0]`.
    pub what: String,
    /// What is wrong with it.
    pub detail: String,
    /// `Display` of the internal error (what reaches a `BridgeError`).
    pub message: String,
}

impl From<parse::Malformed> for Malformed {
    fn from(e: parse::Malformed) -> Self {
        Malformed {
            message: e.to_string(),
            what: e.what,
            detail: e.detail,
        }
    }
}

/// `hal::parse::SessionKind`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionKind {
    /// `externalProviderSessionToken`.
    Plaid { link_token: String },
    /// `_links.external-provider-session.href`.
    Web { url: String },
    /// `externalProviderSessionData`.
    Checkout {
        id: String,
        secret: String,
        token: String,
    },
    /// None of them.
    Unknown,
}

/// `hal::parse::RawSession`, with its `Debug` text (which must not show tokens or secrets).
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    pub self_href: Option<String>,
    pub created: String,
    pub kind: SessionKind,
    /// `format!("{:?}")` of the internal session.
    pub debug: String,
}

/// `hal::parse::RawResource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub id: String,
    pub self_href: String,
    /// The status (exchange) or name (funding source).
    pub label: String,
}

impl From<RawResource> for Resource {
    fn from(r: RawResource) -> Self {
        Resource {
            id: r.id,
            self_href: r.self_href,
            label: r.label,
        }
    }
}

/// `hal::parse::json`: the body as a JSON object.
pub fn json(body: &[u8]) -> Result<Value, Malformed> {
    parse::json("fuzz", body).map_err(Malformed::from)
}

/// `hal::parse::partners`.
pub fn partners(body: &[u8]) -> Result<Vec<ExchangePartner>, Malformed> {
    parse::partners(body).map_err(Malformed::from)
}

/// `hal::parse::session`.
pub fn session(body: &[u8]) -> Result<Session, Malformed> {
    let raw: RawSession = parse::session(body)?;
    let debug = format!("{raw:?}");
    let kind = match raw.kind {
        parse::SessionKind::Plaid { link_token } => SessionKind::Plaid { link_token },
        parse::SessionKind::Web { url } => SessionKind::Web { url },
        parse::SessionKind::Checkout { id, secret, token } => {
            SessionKind::Checkout { id, secret, token }
        }
        parse::SessionKind::Unknown => SessionKind::Unknown,
    };
    Ok(Session {
        self_href: raw.self_href,
        created: raw.created,
        kind,
        debug,
    })
}

/// `hal::parse::exchange`.
pub fn exchange(v: &Value) -> Result<Resource, Malformed> {
    parse::exchange(v)
        .map(Resource::from)
        .map_err(Malformed::from)
}

/// `hal::parse::funding_source`.
pub fn funding_source(v: &Value) -> Result<FundingSource, Malformed> {
    parse::funding_source(v).map_err(Malformed::from)
}

/// `hal::parse::funding_sources`.
pub fn funding_sources(body: &[u8]) -> Result<Vec<FundingSource>, Malformed> {
    parse::funding_sources(body).map_err(Malformed::from)
}

/// `hal::parse::RawConnection`: an MX connection's name and one-time token.
#[derive(Clone, PartialEq, Eq)]
pub struct Connection {
    pub name: String,
    pub token: String,
}

/// `hal::parse::available_connections`.
pub fn available_connections(body: &[u8]) -> Result<Vec<Connection>, Malformed> {
    let list = parse::available_connections(body)?;
    Ok(list
        .into_iter()
        .map(|RawConnection { name, token }| Connection { name, token })
        .collect())
}

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
