//! Test support shared by every test file of sample-backend, included with `mod support;`: the
//! HTTP helpers (re-exported here) and Dwolla's OpenAPI document with a schema validator
//! (`openapi`), both the simulator's tests' own (included from dwolla-simulator/tests/support/),
//! then the backend's helpers (`backend`), a fresh PostgreSQL database (`postgres`), the
//! binary's processes (`process`) and raw HTTP/1.1 reads (`raw`).
// Each test file uses part of it.
#![allow(dead_code)]

#[path = "../../../dwolla-simulator/tests/support/http.rs"]
mod http;
#[path = "../../../dwolla-simulator/tests/support/openapi.rs"]
pub mod openapi;

pub mod backend;
pub mod postgres;
pub mod process;
pub mod raw;

pub use http::*;
