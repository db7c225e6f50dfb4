//! The reference app backend for iav-bridge and a Dwolla simulator.
//!
//! [`start_stack`] starts both on ephemeral loopback ports (for tests and examples);
//! [`start_simulated_dwolla`] starts the simulator and configures a backend in front of it (what
//! `start_stack` and `sample-backend serve --dwolla simulated` both build on);
//! [`backend::start_backend`] starts a backend in front of any Dwolla URL.
//!
//! | Module | Holds |
//! | --- | --- |
//! | [`backend`] | the app backend |
//! | [`simulator`] | the Dwolla simulator |
//! | `stack` | [`StackOptions`], [`start_simulated_dwolla`], [`start_stack`], the demo users |
//! | `hal` | [`HAL_JSON`] and the HAL+JSON answer writer both use |

pub mod backend;
mod hal;
pub mod simulator;
mod stack;

pub use hal::HAL_JSON;
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
