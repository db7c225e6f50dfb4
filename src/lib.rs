//! iav-bridge: instant bank account verification through Dwolla exchange sessions, for
//! Android and iOS apps. See README.md.

uniffi::setup_scaffolding!();

pub mod error;
pub mod redirect;

pub use error::{AccessTokenError, BridgeError};
pub use redirect::RedirectUrlError;
