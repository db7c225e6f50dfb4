//! iav-bridge: instant bank account verification through Dwolla exchange sessions, for
//! Android and iOS apps.
//!
//! The app calls its own backend, which holds Dwolla's credentials and exposes Dwolla's
//! exchange-session resources (docs/backend-contract.md). This crate validates the platform's
//! redirect value, creates and reads exchange sessions through that backend, returns the Plaid
//! Link token that Plaid's native Link SDKs open, and completes the flow. uniffi generates its
//! Kotlin and Swift bindings.
//!
//! The exported surface, in one place:
//! - functions: [`validate_android_package_name`], [`validate_ios_redirect_url`], [`set_log_sink`];
//! - the client: [`BridgeClient`] with [`BridgeConfig`], [`Platform`], [`Environment`];
//! - foreign traits the app implements: [`AccessTokenProvider`], [`LogSink`];
//! - results: [`PlaidLinkSession`], [`ExchangeSession`], [`CheckoutPaymentSession`],
//!   [`MxConnection`], [`ExchangePartner`], [`Exchange`], [`FundingSource`] with
//!   [`FundingSourceKind`] and [`CardSummary`], [`BankAccountType`];
//! - arguments: [`BillingAddress`] (a debit card's);
//! - errors: [`BridgeError`], [`RedirectUrlError`], [`AccessTokenError`];
//! - Rust-only constants (not in the bindings): [`HAL_JSON`], [`MAX_BODY_BYTES`].
//!
//! Where things are (one concern per module):
//! - `client`: [`BridgeClient`], its constructor and the `call` every exported call runs
//!   through, with one module per partner area: `client::plaid` (Plaid Link, re-auth),
//!   `client::mx` (MX connections), `client::cards` (Checkout.com cards),
//!   `client::accounts` (the customer's funding sources), `client::sessions` (exchange
//!   sessions with any partner, Visa's among them, and the partner list), and
//!   `client::requests`, the request path they share;
//! - `card`: a debit card funding source's checks (billing address, ISO 3166-1 countries) and
//!   its request body;
//! - `config`: [`BridgeConfig`], [`Platform`], [`Environment`], their validation and the
//!   link-token environment check;
//! - `redirect`: the redirect rules, `redirect::package_name` (Android) and `redirect::ios_url`
//!   (iOS), and `redirect::policy` (which value each partner takes per platform);
//! - `partners`: partner names, lookup and the per-client cache; `prepared`: the sessions
//!   `prepare_plaid_link` and `prepare_reauth` keep for the tap (freshness, handed out once,
//!   a prepare in flight awaited, aborted with the client), pure logic with an injected clock;
//! - `transport`: HTTP to the backend and the origin rule for hrefs; `retry`: the retry
//!   policy; `status`: the status-to-error mapping;
//! - `hal`: Dwolla's media type, the exported records (in `hal` itself) and the HAL+JSON
//!   parsers (`hal::parse`); `session`: the exported sessions and the MX connection;
//! - `error`: the exported errors and where internal errors become [`BridgeError`];
//!   `redaction`: token redaction; `quote`: quoting values in messages;
//! - `journal`: the completion journal (entries, derived keys, the `CompletionStore` trait);
//! - `logging`, `runtime`, `tls`, and `android` (the JNI entry point, the only `unsafe` code).

uniffi::setup_scaffolding!();

#[cfg(target_os = "android")]
mod android;
mod card;
mod client;
mod config;
mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod hal;
mod journal;
mod logging;
mod partners;
mod prepared;
mod quote;
mod redaction;
mod redirect;
mod retry;
mod runtime;
mod session;
mod status;
mod tls;
mod transport;

pub use client::{
    AccessTokenProvider, BridgeClient, CompletionOutcome, PendingCompletion, ResumedCompletion,
};
pub use config::{BridgeConfig, Environment, Platform};
pub use error::{AccessTokenError, BridgeError};
pub use hal::{
    BankAccountType, BillingAddress, CardSummary, Exchange, ExchangePartner, FundingSource,
    FundingSourceKind, HAL_JSON,
};
pub use journal::{CompletionKind, CompletionStore, CompletionStoreError, StoredCompletion};
pub use logging::{set_log_sink, LogLevel, LogRecord, LogSink};
pub use redirect::{validate_android_package_name, validate_ios_redirect_url, RedirectUrlError};
pub use session::{CheckoutPaymentSession, ExchangeSession, MxConnection, PlaidLinkSession};
pub use transport::MAX_BODY_BYTES;
