//! What the core's integration tests share: a scriptable HTTP server on loopback
//! ([`server`]), the token provider ([`tokens`]) and a capture of the core's log records
//! ([`logs`]). Dwolla's media type is the core's own
//! [`iav_bridge::HAL_JSON`].

#![allow(dead_code, unused_imports)]

pub mod logs;
pub mod server;
pub mod tokens;

pub use server::{partners_body, plaid_session_body, FakeServer, Recorded, Reply, Script};
pub use tokens::Tokens;
