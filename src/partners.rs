//! Exchange partners: which redirect value each one takes, and the per-client partner cache.

use std::sync::Arc;

use crate::config::{Environment, Platform};
use crate::error::BridgeError;
use crate::hal::ExchangePartner;

/// Plaid's name in Dwolla's partner list.
pub const PLAID: &str = "Plaid";
/// Visa's name in Dwolla's partner list (removed from Dwolla's API in September 2025).
pub const VISA: &str = "Visa";

/// The redirect value to send with a new exchange session for `partner` on `platform`.
///
/// Plaid: the Android package name, the iOS universal link, nothing on the web.
/// MX and Checkout.com: nothing. Visa: an https URL, which only iOS has.
/// Others: nothing (the backend answers whether the partner supports sessions).
pub(crate) fn redirect_value(
    partner: &str,
    platform: &Platform,
) -> Result<Option<String>, BridgeError> {
    if partner.eq_ignore_ascii_case(PLAID) {
        return Ok(match platform {
            Platform::Android { package_name } => Some(package_name.clone()),
            Platform::Ios { redirect_url } => Some(redirect_url.clone()),
            Platform::Web => None,
        });
    }
    if partner.eq_ignore_ascii_case(VISA) {
        return match platform {
            Platform::Ios { redirect_url } => Ok(Some(redirect_url.clone())),
            _ => Err(BridgeError::InvalidRedirectUrl {
                reason: "Visa needs an https redirect URL, which only Platform::Ios carries".into(),
            }),
        };
    }
    Ok(None)
}

/// Finds a partner by name (case-insensitive) that is `active`.
pub(crate) fn find<'a>(
    partners: &'a [ExchangePartner],
    name: &str,
) -> Result<&'a ExchangePartner, BridgeError> {
    partners
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name) && p.status.eq_ignore_ascii_case("active"))
        .ok_or_else(|| BridgeError::PartnerUnavailable {
            partner: name.to_string(),
        })
}

/// Checks that a Plaid link token belongs to the configured environment.
pub(crate) fn check_link_token(token: &str, environment: Environment) -> Result<(), BridgeError> {
    let production = token.starts_with("link-production-");
    let non_production =
        token.starts_with("link-sandbox-") || token.starts_with("link-development-");
    if !production && !non_production {
        return Err(BridgeError::InvalidResponse {
            detail: "the session's externalProviderSessionToken is not a Plaid link token (it does not start with 'link-')".into(),
        });
    }
    match (environment, production) {
        (Environment::Sandbox, true) => Err(BridgeError::InvalidConfiguration {
            reason: "the backend returned a Plaid production link token, but the client is configured for Sandbox: backend_url points at a production backend, or environment should be Production".into(),
        }),
        (Environment::Production, false) => Err(BridgeError::InvalidConfiguration {
            reason: "the backend returned a Plaid sandbox link token, but the client is configured for Production: backend_url points at a sandbox backend, or environment should be Sandbox".into(),
        }),
        _ => Ok(()),
    }
}

/// The partner list, fetched once per client and refreshed when a partner href is refused.
#[derive(Default)]
pub(crate) struct PartnerCache {
    list: tokio::sync::Mutex<Option<Arc<Vec<ExchangePartner>>>>,
}

impl PartnerCache {
    /// The cached list, or the one `fetch` returns (one fetch at a time).
    pub(crate) async fn get_or_fetch<F, Fut>(
        &self,
        fetch: F,
    ) -> Result<Arc<Vec<ExchangePartner>>, BridgeError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Vec<ExchangePartner>, BridgeError>>,
    {
        let mut slot = self.list.lock().await;
        if let Some(list) = slot.as_ref() {
            return Ok(list.clone());
        }
        let list = Arc::new(fetch().await?);
        *slot = Some(list.clone());
        Ok(list)
    }

    /// Forgets the list if it is still `stale` (so concurrent callers refetch once).
    pub(crate) async fn invalidate(&self, stale: &Arc<Vec<ExchangePartner>>) {
        let mut slot = self.list.lock().await;
        if slot.as_ref().is_some_and(|l| Arc::ptr_eq(l, stale)) {
            *slot = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_by_partner_and_platform() {
        let android = Platform::Android {
            package_name: "com.example.app".into(),
        };
        let ios = Platform::Ios {
            redirect_url: "https://example.com/app".into(),
        };
        assert_eq!(
            redirect_value("Plaid", &android).unwrap().as_deref(),
            Some("com.example.app")
        );
        assert_eq!(
            redirect_value("plaid", &ios).unwrap().as_deref(),
            Some("https://example.com/app")
        );
        assert_eq!(redirect_value("Plaid", &Platform::Web).unwrap(), None);
        assert_eq!(redirect_value("MX", &ios).unwrap(), None);
        assert_eq!(redirect_value("Checkout.com", &android).unwrap(), None);
        assert!(redirect_value("Visa", &android).is_err());
        assert_eq!(
            redirect_value("Visa", &ios).unwrap().as_deref(),
            Some("https://example.com/app")
        );
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

    #[test]
    fn find_needs_an_active_partner() {
        let p = |name: &str, status: &str| ExchangePartner {
            id: "1".into(),
            name: name.into(),
            status: status.into(),
            href: "h".into(),
        };
        let list = vec![p("MX", "inactive"), p("Plaid", "active")];
        assert_eq!(find(&list, "plaid").unwrap().name, "Plaid");
        assert_eq!(
            find(&list, "MX").unwrap_err(),
            BridgeError::PartnerUnavailable {
                partner: "MX".into()
            }
        );
    }
}
