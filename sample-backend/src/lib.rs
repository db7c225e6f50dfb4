//! The reference app backend for iav-bridge, and its simulated Dwolla.
//!
//! The Dwolla simulator is the `dwolla-simulator` crate (re-exported as [`simulator`]);
//! [`start_stack`] starts a simulator and a backend on ephemeral loopback ports (for tests and
//! examples);
//! [`start_simulated_dwolla`] starts the simulator and configures a backend in front of it (what
//! `start_stack` and `sample-backend serve --dwolla simulated` both build on);
//! [`backend::start_backend`] starts a backend in front of any Dwolla URL.
//!
//! | Module | Holds |
//! | --- | --- |
//! | [`backend`] | the app backend |
//! | `stack` | [`StackOptions`], [`start_simulated_dwolla`], [`start_stack`], the demo users |
//!
//! [`HAL_JSON`] and the HAL+JSON answer writer are the simulator crate's (`dwolla_simulator::hal`),
//! which both sides use.

pub mod backend;
mod stack;

/// The Dwolla simulator: the `dwolla-simulator` crate, re-exported for code that names it
/// `sample_backend::simulator`.
pub use dwolla_simulator as simulator;
pub use dwolla_simulator::HAL_JSON;
pub use stack::{
    create_demo_users, start_simulated_dwolla, start_stack, DemoUser, SimulatedDwolla, Stack,
    StackOptions,
};

/// Installs rustls' `ring` provider as the process default (needed before any TLS client or
/// server is built). Does nothing when a provider is already installed.
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
