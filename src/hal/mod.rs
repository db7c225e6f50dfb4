//! Dwolla's HAL+JSON resources: the media type, the records the app receives (exchange
//! partners, exchanges, funding sources, the bank account type), and in [`parse`] the parsers
//! that read them from the backend's bodies.
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

/// A bank account attached to the Dwolla customer.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FundingSource {
    /// The funding source's id.
    pub id: String,
    /// The funding source's URL on the app's backend.
    pub url: String,
    /// The name given to it.
    pub name: String,
}

/// The kind of bank account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
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
