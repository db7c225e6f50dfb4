//! Dwolla's HAL+JSON resources: the media type, the records the app receives or sends (exchange
//! partners, exchanges, funding sources with their kind and card summary, the bank account type,
//! a card's billing address), and in [`parse`] the parsers that read them from the backend's
//! bodies.
//!
//! The records are defined here, not in a module of their own, because uniffi's interface
//! checksums include the Rust module path of every exported type: moving them would change the
//! generated Kotlin and Swift bindings.

pub(crate) mod parse;

/// Dwolla's media type, sent as `Accept` and `Content-Type` (`application/vnd.dwolla.v1.hal+json`).
/// Public so that tests, benchmarks and Rust hosts use the same value; not part of the bindings.
pub const HAL_JSON: &str = "application/vnd.dwolla.v1.hal+json";

/// An open-banking partner the Dwolla account can use (Plaid, MX, Checkout.com, ...).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ExchangePartner {
    /// Dwolla's id for the partner; differs between sandbox and production.
    pub id: String,
    /// The partner's name, for example `Plaid`.
    pub name: String,
    /// `active` when usable.
    pub status: String,
    /// The partner's URL on the app's backend.
    pub href: String,
}

/// A verified connection to a bank account, made from a completed Link flow.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Exchange {
    /// The exchange's id.
    pub id: String,
    /// The exchange's URL on the app's backend.
    pub url: String,
    /// `active`, `deactivated` or `removed`.
    pub status: String,
}

/// A bank account or debit card attached to the Dwolla customer: what a "linked accounts"
/// screen shows. It never holds an account number, nor a card number beyond its last four
/// digits.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FundingSource {
    /// The funding source's id.
    pub id: String,
    /// The funding source's URL on the app's backend.
    pub url: String,
    /// The name given to it.
    pub name: String,
    /// A bank account or a debit card.
    pub kind: FundingSourceKind,
    /// Dwolla's status: `verified` or `unverified`.
    pub status: String,
    /// The bank's name, where Dwolla gives one (bank accounts only).
    pub bank_name: Option<String>,
    /// The card's brand, last four digits and expiry (debit cards only).
    pub card: Option<CardSummary>,
    /// When Dwolla created it (RFC 3339).
    pub created: String,
    /// Whether it was removed (`funding_sources` leaves removed ones out).
    pub removed: bool,
}

/// What a funding source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum FundingSourceKind {
    /// A bank account (Dwolla's `type: bank`), from an exchange (Plaid, MX).
    Bank,
    /// A debit card (Dwolla's `type: card`), from a Checkout.com card token (Push to Card).
    Card,
}

/// What a screen may show of a debit card: never the card number beyond its last four digits.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CardSummary {
    /// The card network as Dwolla names it, for example `VISA` or `MASTERCARD`.
    pub brand: String,
    /// The last four digits of the card number.
    pub last_four: String,
    /// The expiry month, 1 to 12.
    pub expiration_month: u32,
    /// The expiry year, four digits (for example 2027).
    pub expiration_year: u32,
}

/// The billing address of a debit card, as Dwolla's "Create Debit Card Funding Source" takes it.
/// `BridgeClient::create_card_funding_source` checks it before any request: `address1`, `city`,
/// `state_province_region`, `country` and `postal_code` are required; `address1` and `city` at
/// most 50 characters, `address2` and `address3` at most 100; the state, province or region a
/// two-letter code (`IA`); the country an ISO 3166-1 alpha-2 code (`US`), in upper case.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, uniffi::Record)]
pub struct BillingAddress {
    /// The first line of the street address (1 to 50 characters).
    pub address1: String,
    /// The second line of the street address (at most 100 characters), if any.
    #[uniffi(default = None)]
    pub address2: Option<String>,
    /// The third line of the street address (at most 100 characters), if any.
    #[uniffi(default = None)]
    pub address3: Option<String>,
    /// The city (1 to 50 characters).
    pub city: String,
    /// The two-letter state, province or region code, for example `IA`.
    pub state_province_region: String,
    /// The two-letter ISO 3166-1 alpha-2 country code, for example `US`.
    pub country: String,
    /// The postal code or ZIP code.
    pub postal_code: String,
}

/// The kind of bank account.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, uniffi::Enum,
)]
#[serde(rename_all = "lowercase")]
pub enum BankAccountType {
    /// A checking account.
    Checking,
    /// A savings account.
    Savings,
}

impl BankAccountType {
    /// Dwolla's wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            BankAccountType::Checking => "checking",
            BankAccountType::Savings => "savings",
        }
    }
}
