//! Exchange partners: the names the library knows, finding an active partner in the backend's
//! list, and the per-client partner cache.

use std::sync::Arc;

use crate::error::BridgeError;
use crate::hal::ExchangePartner;

/// Plaid's name in Dwolla's partner list.
pub const PLAID: &str = "Plaid";
/// MX's name in Dwolla's partner list.
pub const MX: &str = "MX";
/// Visa's name in Dwolla's partner list (removed from Dwolla's API in September 2025; see
/// [`crate::redirect::policy`] for why the library still knows it).
pub const VISA: &str = "Visa";

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
