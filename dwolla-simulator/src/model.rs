//! The simulator's in-memory state. Nothing here derives `Debug`: the state holds access tokens,
//! link tokens and public tokens, which must never reach a log line.

use std::collections::HashMap;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, Method, StatusCode};
use bytes::Bytes;

use super::{AccountSettings, Fault, Scopes, SimEnvironment};

/// Names of the partners the simulator knows, in the order `GET /exchange-partners` lists them.
pub(crate) const PARTNER_NAMES: [&str; 6] =
    ["Finicity", "MX", "Plaid", "Flinks", "Checkout.com", "Visa"];

/// The partners listed by default: all but Visa, which Dwolla removed from its API in 2025.
pub(crate) const DEFAULT_PARTNERS: [&str; 5] =
    ["Finicity", "MX", "Plaid", "Flinks", "Checkout.com"];

/// Partners that support exchange sessions.
fn supports_sessions(name: &str) -> bool {
    matches!(name, "MX" | "Plaid" | "Checkout.com" | "Visa")
}

pub(crate) struct Partner {
    pub id: String,
    pub name: String,
    pub created: String,
    pub supports_sessions: bool,
}

pub(crate) struct Customer {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub created: String,
    /// Dwolla's customer type: `unverified`, `receive-only`, `personal` or `business`.
    pub kind: &'static str,
    /// The fields read back beyond the common ones (address, business, controller), as created.
    pub details: serde_json::Map<String, serde_json::Value>,
}

pub(crate) enum SessionKind {
    Plaid {
        link_token: String,
    },
    Mx {
        url: String,
    },
    /// Visa open banking: a web page to open, like MX.
    Visa {
        url: String,
    },
    Checkout {
        id: String,
        secret: String,
        token: String,
    },
}

pub(crate) struct Session {
    pub customer_id: String,
    pub partner_id: String,
    pub created: String,
    pub kind: SessionKind,
    pub consumed: bool,
    pub reauth_exchange: Option<String>,
}

pub(crate) struct ExchangeToken {
    pub customer_id: String,
    pub partner_id: String,
    pub used: bool,
    /// Name of the bank account (MX available connections list it).
    pub account_name: String,
    /// Which bank account the user linked: two links of the same account (same customer, same
    /// value) make the second funding source a duplicate.
    pub account: String,
}

pub(crate) struct Exchange {
    pub customer_id: String,
    pub partner_id: String,
    pub created: String,
    pub needs_reauth: bool,
    /// The bank account behind the exchange (see [`ExchangeToken::account`]).
    pub account: String,
}

/// What a card funding source shows of the card: never more than the last four digits.
#[derive(Clone)]
pub(crate) struct CardDetails {
    pub brand: String,
    pub last_four: String,
    pub expiration_month: u32,
    pub expiration_year: u32,
    pub name_on_card: String,
}

/// A card token (`src_...`) handed out when a Checkout.com payment session completes.
pub(crate) struct CardToken {
    pub customer_id: String,
    pub used: bool,
    pub card: CardDetails,
}

pub(crate) enum FundingSourceKind {
    Bank {
        exchange_id: String,
        bank_account_type: String,
        account: String,
    },
    Card {
        card: CardDetails,
        billing_address: serde_json::Value,
    },
}

pub(crate) struct FundingSource {
    pub customer_id: String,
    pub name: String,
    pub created: String,
    pub fingerprint: String,
    pub removed: bool,
    /// Creation order, for lists.
    pub seq: u64,
    pub kind: FundingSourceKind,
}

/// A stored 2xx answer replayed for a repeated `Idempotency-Key`.
#[derive(Clone)]
pub(crate) struct StoredResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

pub(crate) enum Idempotency {
    InProgress,
    Done(StoredResponse),
}

pub(crate) struct ActiveFault {
    pub fault: Fault,
    pub remaining: u32,
}

pub(crate) struct State {
    pub partners: Vec<Partner>,
    pub customers: HashMap<String, Customer>,
    pub demo_customer_id: String,
    /// Access token -> expiry.
    pub tokens: HashMap<String, Instant>,
    pub sessions: HashMap<String, Session>,
    /// Plaid link token -> session id.
    pub link_tokens: HashMap<String, String>,
    /// Plaid public tokens and MX available-connection tokens.
    pub exchange_tokens: HashMap<String, ExchangeToken>,
    pub exchanges: HashMap<String, Exchange>,
    pub funding_sources: HashMap<String, FundingSource>,
    /// Checkout.com card tokens (`src_...`).
    pub card_tokens: HashMap<String, CardToken>,
    next_seq: u64,
    pub account: AccountSettings,
    pub faults: Vec<ActiveFault>,
    pub idempotency: HashMap<String, Idempotency>,
}

impl State {
    pub fn new() -> Self {
        let partners = PARTNER_NAMES
            .iter()
            .map(|name| Partner {
                id: new_id(),
                name: (*name).to_string(),
                created: "2022-08-30T19:31:59.106Z".to_string(),
                supports_sessions: supports_sessions(name),
            })
            .collect();
        let mut state = State {
            partners,
            customers: HashMap::new(),
            demo_customer_id: String::new(),
            tokens: HashMap::new(),
            sessions: HashMap::new(),
            link_tokens: HashMap::new(),
            exchange_tokens: HashMap::new(),
            exchanges: HashMap::new(),
            funding_sources: HashMap::new(),
            card_tokens: HashMap::new(),
            next_seq: 0,
            account: AccountSettings {
                redirect_urls: vec![
                    "com.example.app".to_string(),
                    "https://example.com/app".to_string(),
                ],
                partners: DEFAULT_PARTNERS.iter().map(ToString::to_string).collect(),
                enabled_partners: vec!["MX".into(), "Plaid".into(), "Checkout.com".into()],
                scopes: Scopes {
                    exchange_sessions: true,
                },
            },
            faults: Vec::new(),
            idempotency: HashMap::new(),
        };
        state.demo_customer_id = state.add_customer("Jane", "Demo", "jane.demo@example.com");
        state
    }

    /// Adds an unverified customer; returns its id.
    pub fn add_customer(&mut self, first_name: &str, last_name: &str, email: &str) -> String {
        self.add_customer_of_kind(
            "unverified",
            first_name,
            last_name,
            email,
            serde_json::Map::new(),
        )
    }

    /// Adds a customer of type `kind` reading back `details`; returns its id.
    pub fn add_customer_of_kind(
        &mut self,
        kind: &'static str,
        first_name: &str,
        last_name: &str,
        email: &str,
        details: serde_json::Map<String, serde_json::Value>,
    ) -> String {
        let id = new_id();
        self.customers.insert(
            id.clone(),
            Customer {
                id: id.clone(),
                first_name: first_name.to_string(),
                last_name: last_name.to_string(),
                email: email.to_string(),
                created: now_iso(),
                kind,
                details,
            },
        );
        id
    }

    pub fn customer_by_email(&self, email: &str) -> Option<String> {
        self.customers
            .values()
            .find(|c| c.email.eq_ignore_ascii_case(email))
            .map(|c| c.id.clone())
    }

    pub fn partner(&self, id: &str) -> Option<&Partner> {
        self.partners.iter().find(|p| p.id == id)
    }

    pub fn partner_by_name(&self, name: &str) -> Option<&Partner> {
        self.partners.iter().find(|p| p.name == name)
    }

    /// A partner the account lists (`PUT /sim/account` `partners`); an unlisted one is unknown.
    pub fn listed_partner(&self, id: &str) -> Option<&Partner> {
        self.partner(id)
            .filter(|p| self.account.partners.iter().any(|n| n == &p.name))
    }

    /// The next creation-order number.
    pub fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// Creates an exchange session for `partner_id` and returns its id.
    pub fn add_session(
        &mut self,
        customer_id: &str,
        partner_id: &str,
        env: SimEnvironment,
        reauth_exchange: Option<String>,
    ) -> String {
        let id = new_id();
        let partner_name = self
            .partner(partner_id)
            .map(|p| p.name.clone())
            .unwrap_or_default();
        let kind = match partner_name.as_str() {
            "Plaid" => {
                let link_token = format!("link-{}-{}", env.plaid_word(), new_id());
                self.link_tokens.insert(link_token.clone(), id.clone());
                SessionKind::Plaid { link_token }
            }
            "Checkout.com" => {
                let ps = format!("ps_{}", random_alnum(27));
                let payload = format!(
                    "{{\"id\":\"{ps}\",\"environment\":\"{}\"}}",
                    env.plaid_word()
                );
                SessionKind::Checkout {
                    secret: format!("pss_{}", new_id()),
                    token: base64_encode(payload.as_bytes()),
                    id: ps,
                }
            }
            "Visa" => SessionKind::Visa {
                url: format!(
                    "https://open-banking.visa.invalid/authorize/{}",
                    random_alnum(64)
                ),
            },
            _ => SessionKind::Mx {
                url: format!(
                    "https://int-widgets.moneydesktop.com/md/connect/{}",
                    random_alnum(64)
                ),
            },
        };
        self.sessions.insert(
            id.clone(),
            Session {
                customer_id: customer_id.to_string(),
                partner_id: partner_id.to_string(),
                created: now_iso(),
                kind,
                consumed: false,
                reauth_exchange,
            },
        );
        id
    }

    fn consume_session(&mut self, session_id: &str) -> Option<(String, String)> {
        let session = self.sessions.get_mut(session_id)?;
        if session.consumed {
            return None;
        }
        session.consumed = true;
        let result = (session.customer_id.clone(), session.partner_id.clone());
        if let Some(exchange_id) = session.reauth_exchange.clone() {
            if let Some(exchange) = self.exchanges.get_mut(&exchange_id) {
                exchange.needs_reauth = false;
            }
        }
        Some(result)
    }

    pub fn complete_plaid_link(
        &mut self,
        link_token: &str,
        env: SimEnvironment,
        account: Option<&str>,
    ) -> Option<String> {
        let session_id = self.link_tokens.remove(link_token)?;
        let (customer_id, partner_id) = self.consume_session(&session_id)?;
        let public_token = format!("public-{}-{}", env.plaid_word(), new_id());
        self.exchange_tokens.insert(
            public_token.clone(),
            ExchangeToken {
                customer_id,
                partner_id,
                used: false,
                account_name: "Plaid Checking".to_string(),
                account: account.map_or_else(new_id, str::to_string),
            },
        );
        Some(public_token)
    }

    pub fn complete_mx_session(
        &mut self,
        session_id: &str,
        account: Option<&str>,
    ) -> Option<String> {
        match self.sessions.get(session_id) {
            Some(Session {
                kind: SessionKind::Mx { .. },
                consumed: false,
                ..
            }) => {}
            _ => return None,
        }
        let (customer_id, partner_id) = self.consume_session(session_id)?;
        let payload = format!(
            "{{\"accountId\":\"ACT-{}\",\"memberId\":\"MBR-{}\"}}",
            new_id(),
            new_id()
        );
        let token = base64_encode(payload.as_bytes());
        self.exchange_tokens.insert(
            token.clone(),
            ExchangeToken {
                customer_id,
                partner_id,
                used: false,
                account_name: "MX Bank Checking".to_string(),
                account: account.map_or_else(new_id, str::to_string),
            },
        );
        Some(token)
    }

    /// Completes the Checkout.com payment session `ps_...` (what the Flow component does in the
    /// app); returns a new card token, or `None` when the payment session is unknown or used.
    pub fn complete_checkout_payment(&mut self, payment_session_id: &str) -> Option<String> {
        let session_id = self
            .sessions
            .iter()
            .find(|(_, s)| {
                !s.consumed
                    && matches!(&s.kind, SessionKind::Checkout { id, .. } if id == payment_session_id)
            })
            .map(|(id, _)| id.clone())?;
        let (customer_id, _) = self.consume_session(&session_id)?;
        let name_on_card = self
            .customers
            .get(&customer_id)
            .map(|c| format!("{} {}", c.first_name, c.last_name))
            .unwrap_or_default();
        let year: u32 = now_iso()[..4].parse().unwrap_or(2026);
        let last_four: String = uuid::Uuid::new_v4().as_bytes()[..4]
            .iter()
            .map(|b| char::from(b'0' + b % 10))
            .collect();
        let token = format!("src_{}", random_alnum(26).to_ascii_lowercase());
        self.card_tokens.insert(
            token.clone(),
            CardToken {
                customer_id,
                used: false,
                card: CardDetails {
                    brand: "VISA".to_string(),
                    last_four,
                    expiration_month: 12,
                    expiration_year: year + 3,
                    name_on_card,
                },
            },
        );
        Some(token)
    }

    pub fn require_reauth(&mut self, exchange_id: &str) -> bool {
        match self.exchanges.get_mut(exchange_id) {
            Some(exchange) => {
                exchange.needs_reauth = true;
                true
            }
            None => false,
        }
    }

    pub fn add_fault(&mut self, fault: Fault) {
        let remaining = fault.count.max(1);
        self.faults.push(ActiveFault { fault, remaining });
    }

    /// Takes one use of the first fault matching the request, if any.
    pub fn take_fault(&mut self, method: &Method, path: &str) -> Option<Fault> {
        let index = self.faults.iter().position(|f| {
            path.starts_with(&f.fault.path)
                && f.fault
                    .method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method.as_str()))
        })?;
        let active = &mut self.faults[index];
        active.remaining = active.remaining.saturating_sub(1);
        let fault = active.fault.clone();
        if active.remaining == 0 {
            self.faults.remove(index);
        }
        Some(fault)
    }
}

/// A new random id (a UUID v4, as Dwolla's ids are).
pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A random string of ASCII letters and digits.
pub(crate) fn random_alnum(len: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for byte in uuid::Uuid::new_v4().as_bytes() {
            if out.len() == len {
                break;
            }
            out.push(CHARS[usize::from(*byte) % CHARS.len()] as char);
        }
    }
    out
}

pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The current time as Dwolla writes it: `2024-03-25T17:13:38.430Z`.
pub(crate) fn now_iso() -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    iso_from_unix_millis(since.as_millis())
}

fn iso_from_unix_millis(millis: u128) -> String {
    // Past year 292 million the seconds saturate; the clock is not that far.
    let secs = i64::try_from(millis / 1000).unwrap_or(i64::MAX);
    let ms = u32::try_from(millis % 1000).unwrap_or_default();
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (h, m, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{ms:03}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates_match_known_instants() {
        assert_eq!(iso_from_unix_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            iso_from_unix_millis(1_711_386_818_430),
            "2024-03-25T17:13:38.430Z"
        );
        assert_eq!(
            iso_from_unix_millis(951_782_400_000),
            "2000-02-29T00:00:00.000Z"
        );
    }

    #[test]
    fn faults_are_consumed_by_count_and_matched_by_method() {
        let mut state = State::new();
        state.add_fault(Fault {
            method: Some("POST".into()),
            count: 2,
            ..Fault::respond("/customers", 503)
        });
        assert!(state.take_fault(&Method::GET, "/customers/x").is_none());
        assert!(state
            .take_fault(&Method::POST, "/exchange-partners")
            .is_none());
        assert!(state
            .take_fault(&Method::POST, "/customers/x/exchanges")
            .is_some());
        assert!(state.take_fault(&Method::POST, "/customers").is_some());
        assert!(state.take_fault(&Method::POST, "/customers").is_none());
    }

    #[test]
    fn random_alnum_has_the_asked_length() {
        let s = random_alnum(27);
        assert_eq!(s.len(), 27);
        assert!(s.bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
