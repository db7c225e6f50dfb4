//! Which redirect value an exchange session carries, per partner and platform.
//!
//! Plaid: the Android package name, the iOS universal link, nothing on the web.
//! MX and Checkout.com: nothing. Others: nothing (the backend answers whether the partner
//! supports sessions).
//!
//! Visa: an https URL, which only iOS has. Dwolla removed the Visa partner from its API in
//! September 2025. The branch stays on purpose: the Dwolla documents this library was specified
//! from describe Visa as a supported partner whose exchange sessions require a redirect URL, and
//! a backend that still lists a Visa partner gets a clear error on Android and the web instead
//! of a session Dwolla would refuse. Remove it together with [`crate::partners::VISA`] once no
//! supported backend can list Visa.

use crate::config::Platform;
use crate::partners::{PLAID, VISA};

/// A partner needs a redirect value that the platform cannot give.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RedirectPolicyError {
    /// The partner needs an https redirect URL, which only [`Platform::Ios`] carries.
    #[error("{partner} needs an https redirect URL, which only the iOS platform carries ({}): offer {partner} on iOS only", platform_has(*on))]
    NeedsHttpsUrl {
        /// The partner, as Dwolla names it.
        partner: &'static str,
        /// The platform the client is configured for.
        on: PlatformKind,
    },
}

/// A platform without its redirect value, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PlatformKind {
    Android,
    Web,
}

fn platform_has(on: PlatformKind) -> &'static str {
    match on {
        PlatformKind::Android => "on Android the redirect value is the app's package name",
        PlatformKind::Web => "the web platform has no redirect value",
    }
}

/// The redirect value to send with a new exchange session for `partner` on `platform`.
pub(crate) fn redirect_value(
    partner: &str,
    platform: &Platform,
) -> Result<Option<String>, RedirectPolicyError> {
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
            Platform::Android { .. } => Err(RedirectPolicyError::NeedsHttpsUrl {
                partner: VISA,
                on: PlatformKind::Android,
            }),
            Platform::Web => Err(RedirectPolicyError::NeedsHttpsUrl {
                partner: VISA,
                on: PlatformKind::Web,
            }),
        };
    }
    Ok(None)
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
        let e = redirect_value("Visa", &android).unwrap_err().to_string();
        assert!(
            e.starts_with("Visa needs an https redirect URL, which only the iOS platform carries")
                && e.contains("package name"),
            "{e}"
        );
        let e = redirect_value("visa", &Platform::Web)
            .unwrap_err()
            .to_string();
        assert!(e.contains("the web platform has no redirect value"), "{e}");
        assert_eq!(
            redirect_value("Visa", &ios).unwrap().as_deref(),
            Some("https://example.com/app")
        );
    }
}
