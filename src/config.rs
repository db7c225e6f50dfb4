//! The client's configuration, its defaults, and its validation (pure, no I/O): the platform
//! and its redirect value (checked by the rules in [`crate::redirect`]), the backend URL, the
//! limits, the certificates, and the [`Environment`] with its link-token environment check.

use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use url::Url;

use crate::error::BridgeError;
use crate::quote::Quoted;
use crate::redirect::ios_url::check_ios_redirect_url;
use crate::redirect::package_name::check_android_package_name;

/// The platform the app runs on, with the redirect value Dwolla passes to Plaid.
#[derive(Debug, Clone, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Platform {
    /// An Android app: Plaid identifies it by its package name (applicationId), which must be
    /// registered with Plaid and configured for the Dwolla account.
    Android {
        /// The app's package name, for example `com.example.app`.
        package_name: String,
    },
    /// An iOS app: Plaid returns to it through an https universal link, which must be registered
    /// with Plaid and configured for the Dwolla account, byte for byte.
    Ios {
        /// The universal link, for example `https://example.com/app`.
        redirect_url: String,
    },
    /// A web view or desktop: no redirect value is sent.
    Web,
}

/// Which Dwolla and Plaid environment the app's backend talks to. The library refuses link
/// tokens of the other environment: they mean the app points at the wrong backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Environment {
    /// Dwolla's sandbox and Plaid's sandbox (`link-sandbox-...` tokens).
    Sandbox,
    /// Real bank accounts (`link-production-...` tokens). Plain http is never allowed.
    Production,
}

/// Why a Plaid link token from the backend is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum LinkTokenError {
    /// The token does not start with one of Plaid's link-token prefixes.
    #[error("the session's externalProviderSessionToken is not a Plaid link token (it does not start with 'link-')")]
    NotALinkToken,
    /// The token belongs to the other environment: the backend and the client disagree.
    #[error("{}", wrong_environment_reason(*configured))]
    WrongEnvironment {
        /// The environment the client is configured for.
        configured: Environment,
    },
}

fn wrong_environment_reason(configured: Environment) -> &'static str {
    match configured {
        Environment::Sandbox => "the backend returned a Plaid production link token, but the client is configured for Sandbox: backend_url points at a production backend, or environment should be Production",
        Environment::Production => "the backend returned a Plaid sandbox link token, but the client is configured for Production: backend_url points at a sandbox backend, or environment should be Sandbox",
    }
}

impl Environment {
    /// Checks that a Plaid link token belongs to this environment.
    pub(crate) fn check_link_token(self, token: &str) -> Result<(), LinkTokenError> {
        let production = token.starts_with("link-production-");
        let non_production =
            token.starts_with("link-sandbox-") || token.starts_with("link-development-");
        if !production && !non_production {
            return Err(LinkTokenError::NotALinkToken);
        }
        match (self, production) {
            (Environment::Sandbox, true) | (Environment::Production, false) => {
                Err(LinkTokenError::WrongEnvironment { configured: self })
            }
            _ => Ok(()),
        }
    }
}

/// How a `BridgeClient` reaches the app's backend.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BridgeConfig {
    /// The base URL of the app's backend, which exposes Dwolla's exchange-session resources
    /// (see docs/backend-contract.md), for example `https://api.example.com/dwolla/`.
    /// International domain names go in their ASCII (`xn--`) form.
    pub backend_url: String,
    /// The platform and its redirect value.
    pub platform: Platform,
    /// Sandbox or Production.
    pub environment: Environment,
    /// The deadline of one call, retries included, in milliseconds. Default 15000.
    #[uniffi(default = 15000)]
    pub timeout_ms: u64,
    /// How many times a failed request is retried (network errors, 5xx, 429). Default 2.
    #[uniffi(default = 2)]
    pub max_retries: u32,
    /// Allows a plain `http` backend URL, for a development backend in Sandbox only.
    /// Default false.
    #[uniffi(default = false)]
    pub allow_insecure_http: bool,
    /// Extra trusted root certificates (PEM), added to the platform's trust store. Not
    /// supported on Android: declare extra trust anchors in the app's network security config.
    #[uniffi(default)]
    pub additional_root_certificates: Vec<String>,
    /// A `User-Agent` for the backend's logs. Default `iav-bridge/<version>`.
    #[uniffi(default)]
    pub user_agent: Option<String>,
    /// How long a session made by `prepare_plaid_link` or `prepare_reauth` may wait for its
    /// `start_plaid_link` or `start_reauth`, in milliseconds; an older one is dropped and a new
    /// one created. Default none: 3 hours for Plaid Link (Plaid's link tokens live 4 hours) and
    /// 20 minutes for re-authentication (update-mode tokens live 30 minutes). A value applies
    /// to both, capped at those defaults, so it can only shorten them (tests use it to age a
    /// prepared session); 1 to 10800000.
    #[uniffi(default)]
    pub prepared_max_age_ms: Option<u64>,
}

/// The default deadline of one call.
pub const DEFAULT_TIMEOUT_MS: u64 = 15_000;
/// The default number of retries.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// The most retries a configuration may ask for.
pub const MAX_RETRIES_LIMIT: u32 = 10;
/// The longest `prepared_max_age_ms` (3 hours, the Plaid Link default).
pub const MAX_PREPARED_AGE_MS: u64 = 3 * 60 * 60 * 1000;
/// The longest deadline a configuration may ask for (10 minutes).
pub const MAX_TIMEOUT_MS: u64 = 600_000;

impl BridgeConfig {
    /// A configuration with the defaults: 15 s deadline, 2 retries, https only, the platform's
    /// trust store, the library's own User-Agent.
    pub fn new(
        backend_url: impl Into<String>,
        platform: Platform,
        environment: Environment,
    ) -> Self {
        BridgeConfig {
            backend_url: backend_url.into(),
            platform,
            environment,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            max_retries: DEFAULT_MAX_RETRIES,
            allow_insecure_http: false,
            additional_root_certificates: Vec::new(),
            user_agent: None,
            prepared_max_age_ms: None,
        }
    }
}

/// A configuration that passed every check, in the forms the client uses.
#[derive(Debug, Clone)]
pub(crate) struct ValidConfig {
    /// The backend URL, its path ending in `/` so relative paths join under it.
    pub base: Url,
    pub platform: Platform,
    pub environment: Environment,
    pub timeout: Duration,
    pub max_retries: u32,
    pub allow_http: bool,
    pub extra_roots: Vec<CertificateDer<'static>>,
    pub user_agent: String,
    /// The configured `prepared_max_age_ms`, if any (each kind caps it at its own default).
    pub prepared_max_age: Option<Duration>,
}

fn invalid(reason: impl Into<String>) -> BridgeError {
    BridgeError::InvalidConfiguration {
        reason: reason.into(),
    }
}

impl BridgeConfig {
    /// Checks everything and returns the forms the client uses. No I/O.
    pub(crate) fn validate(&self) -> Result<ValidConfig, BridgeError> {
        match &self.platform {
            Platform::Android { package_name } => check_android_package_name(package_name)?,
            Platform::Ios { redirect_url } => check_ios_redirect_url(redirect_url)?,
            Platform::Web => {}
        }
        let base = validate_backend_url(
            &self.backend_url,
            self.environment,
            self.allow_insecure_http,
        )?;
        if self.timeout_ms == 0 || self.timeout_ms > MAX_TIMEOUT_MS {
            return Err(invalid(format!(
                "timeout_ms is {}; use a value from 1 to {MAX_TIMEOUT_MS} (the default is {DEFAULT_TIMEOUT_MS})",
                self.timeout_ms
            )));
        }
        if self.max_retries > MAX_RETRIES_LIMIT {
            return Err(invalid(format!(
                "max_retries is {}; use at most {MAX_RETRIES_LIMIT} (the default is {DEFAULT_MAX_RETRIES})",
                self.max_retries
            )));
        }
        let extra_roots = parse_root_certificates(&self.additional_root_certificates)?;
        let user_agent = match &self.user_agent {
            None => format!("iav-bridge/{}", env!("CARGO_PKG_VERSION")),
            Some(ua) => {
                if ua.is_empty()
                    || ua.len() > 512
                    || ua.chars().any(|c| c.is_control() || !c.is_ascii())
                {
                    return Err(invalid(
                        "user_agent must be 1 to 512 printable ASCII characters",
                    ));
                }
                ua.clone()
            }
        };
        let prepared_max_age = match self.prepared_max_age_ms {
            None => None,
            Some(ms) if (1..=MAX_PREPARED_AGE_MS).contains(&ms) => Some(Duration::from_millis(ms)),
            Some(ms) => {
                return Err(invalid(format!(
                    "prepared_max_age_ms is {ms}; use 1 to {MAX_PREPARED_AGE_MS} (3 hours), or none for the defaults"
                )))
            }
        };
        Ok(ValidConfig {
            base,
            platform: self.platform.clone(),
            environment: self.environment,
            timeout: Duration::from_millis(self.timeout_ms),
            max_retries: self.max_retries,
            allow_http: self.allow_insecure_http,
            extra_roots,
            user_agent,
            prepared_max_age,
        })
    }
}

/// Parses and checks the backend URL; returns it with a path ending in `/`.
pub(crate) fn validate_backend_url(
    raw: &str,
    environment: Environment,
    allow_insecure_http: bool,
) -> Result<Url, BridgeError> {
    if raw.trim() != raw {
        return Err(invalid("backend_url has leading or trailing whitespace"));
    }
    let mut url = Url::parse(raw).map_err(|e| {
        invalid(format!(
            "backend_url {} is not an absolute URL ({e}); use for example https://api.example.com/",
            Quoted::long(raw)
        ))
    })?;
    match url.scheme() {
        "https" => {}
        "http" => {
            if environment == Environment::Production {
                return Err(invalid(
                    "backend_url uses http, which is never allowed in Production; use https",
                ));
            }
            if !allow_insecure_http {
                return Err(invalid(
                    "backend_url uses http; use https, or set allow_insecure_http = true for a development backend in Sandbox",
                ));
            }
        }
        other => {
            return Err(invalid(format!(
                "backend_url has scheme {}; use https",
                Quoted::long(other)
            )))
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("backend_url has no host name"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "backend_url contains user info (user:password@); authenticate with an AccessTokenProvider instead",
        ));
    }
    if url.query().is_some() {
        return Err(invalid("backend_url must not have a query (?...)"));
    }
    if url.fragment().is_some() {
        return Err(invalid("backend_url must not have a fragment (#...)"));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

fn parse_root_certificates(pems: &[String]) -> Result<Vec<CertificateDer<'static>>, BridgeError> {
    if !pems.is_empty() && cfg!(target_os = "android") {
        return Err(invalid(
            "additional_root_certificates is not supported on Android: declare extra trust anchors in the app's network security config (res/xml/network_security_config.xml), which the platform verifier honours",
        ));
    }
    let mut roots = Vec::new();
    for (i, pem) in pems.iter().enumerate() {
        let mut found = 0;
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let cert = cert.map_err(|e| {
                invalid(format!(
                    "additional_root_certificates[{i}] is not valid PEM: {e}"
                ))
            })?;
            roots.push(cert);
            found += 1;
        }
        if found == 0 {
            return Err(invalid(format!(
                "additional_root_certificates[{i}] holds no '-----BEGIN CERTIFICATE-----' block"
            )));
        }
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(url: &str) -> BridgeConfig {
        BridgeConfig::new(url, Platform::Web, Environment::Sandbox)
    }

    fn reason(r: Result<ValidConfig, BridgeError>) -> String {
        match r {
            Err(BridgeError::InvalidConfiguration { reason }) => reason,
            other => panic!("expected InvalidConfiguration, got {other:?}"),
        }
    }

    #[test]
    fn base_url_gets_a_trailing_slash_once() {
        assert_eq!(
            cfg("https://api.example.com/dwolla")
                .validate()
                .unwrap()
                .base
                .as_str(),
            "https://api.example.com/dwolla/"
        );
        assert_eq!(
            cfg("https://api.example.com/dwolla/")
                .validate()
                .unwrap()
                .base
                .as_str(),
            "https://api.example.com/dwolla/"
        );
        assert_eq!(
            cfg("https://api.example.com")
                .validate()
                .unwrap()
                .base
                .as_str(),
            "https://api.example.com/"
        );
    }

    #[test]
    fn http_needs_opt_in_and_never_in_production() {
        assert!(reason(cfg("http://127.0.0.1:8080/").validate()).contains("allow_insecure_http"));
        let mut c = cfg("http://127.0.0.1:8080/");
        c.allow_insecure_http = true;
        assert!(c.validate().is_ok());
        c.environment = Environment::Production;
        assert!(reason(c.validate()).contains("never allowed in Production"));
    }

    #[test]
    fn bad_urls_are_refused_with_the_reason() {
        assert!(reason(cfg("api.example.com").validate()).contains("not an absolute URL"));
        assert!(reason(cfg("ftp://api.example.com/").validate()).contains("scheme 'ftp'"));
        assert!(reason(cfg("https://u:p@api.example.com/").validate()).contains("user info"));
        assert!(reason(cfg("https://api.example.com/?a=1").validate()).contains("query"));
        assert!(reason(cfg("https://api.example.com/#x").validate()).contains("fragment"));
        assert!(reason(cfg(" https://api.example.com/").validate()).contains("whitespace"));
    }

    #[test]
    fn limits_and_user_agent() {
        let mut c = cfg("https://api.example.com/");
        c.timeout_ms = 0;
        assert!(reason(c.validate()).contains("timeout_ms is 0"));
        c.timeout_ms = 1000;
        c.max_retries = 11;
        assert!(reason(c.validate()).contains("max_retries is 11"));
        c.max_retries = 0;
        c.user_agent = Some("bad\nagent".into());
        assert!(reason(c.validate()).contains("user_agent"));
        c.user_agent = Some("MyApp/1.0".into());
        assert_eq!(c.validate().unwrap().user_agent, "MyApp/1.0");
        c.prepared_max_age_ms = Some(0);
        assert!(reason(c.validate()).contains("prepared_max_age_ms"));
        c.prepared_max_age_ms = Some(MAX_PREPARED_AGE_MS + 1);
        assert!(reason(c.validate()).contains("prepared_max_age_ms"));
        c.prepared_max_age_ms = Some(5);
        assert_eq!(
            c.validate().unwrap().prepared_max_age,
            Some(Duration::from_millis(5))
        );
    }

    #[test]
    fn pem_must_hold_a_certificate() {
        let mut c = cfg("https://api.example.com/");
        c.additional_root_certificates = vec!["not a pem".into()];
        assert!(reason(c.validate()).contains("additional_root_certificates[0]"));
    }

    #[test]
    fn platform_value_is_checked() {
        let c = BridgeConfig::new(
            "https://api.example.com/",
            Platform::Ios {
                redirect_url: "myapp://callback".into(),
            },
            Environment::Sandbox,
        );
        assert!(matches!(
            c.validate(),
            Err(BridgeError::InvalidRedirectUrl { .. })
        ));
    }

    fn check_link_token(token: &str, environment: Environment) -> Result<(), BridgeError> {
        environment
            .check_link_token(token)
            .map_err(BridgeError::from)
    }

    #[test]
    fn link_token_environment() {
        assert!(check_link_token("link-sandbox-1", Environment::Sandbox).is_ok());
        assert!(check_link_token("link-production-1", Environment::Production).is_ok());
        let e = check_link_token("link-production-1", Environment::Sandbox).unwrap_err();
        assert!(e.to_string().contains("configured for Sandbox"));
        assert!(!e.to_string().contains("link-production-1"));
        assert!(check_link_token("link-sandbox-1", Environment::Production).is_err());
        assert!(matches!(
            check_link_token("abc", Environment::Sandbox),
            Err(BridgeError::InvalidResponse { .. })
        ));
    }
}
