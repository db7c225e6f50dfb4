//! Test support shared by every test file of dwolla-simulator, included with `mod support;`: the
//! HTTP helpers (`http`, re-exported here), the simulator's (`simulator`) and Dwolla's `OpenAPI`
//! document with a schema validator (`openapi`). sample-backend's tests include `http.rs` and
//! `openapi.rs` from here rather than keeping copies.
// Each test file uses part of it.
#![allow(dead_code)]

mod http;
pub mod openapi;
pub mod simulator;

pub use http::*;
