//! The one `AccessTokenProvider` of the tests, the benchmarks and the example: hands out tokens
//! in order (the last one repeats) and counts how often it was asked.
//!
//! Shared by `#[path]` from benches/bridge.rs and examples/link.rs, which need nothing else of
//! tests/support. An app's provider does the same with its signed-in user's session token.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use iav_bridge::{AccessTokenError, AccessTokenProvider};

/// Tokens handed out in order (the last one repeats); counts how often it was asked.
pub struct Tokens {
    tokens: Vec<Result<String, AccessTokenError>>,
    /// How many times the library asked for a token.
    pub asked: AtomicUsize,
}

impl Tokens {
    /// Hands out `tokens` in order, the last one repeating. `tokens` must not be empty.
    pub fn new(tokens: Vec<Result<String, AccessTokenError>>) -> Arc<Tokens> {
        assert!(!tokens.is_empty(), "Tokens needs at least one token");
        Arc::new(Tokens {
            tokens,
            asked: AtomicUsize::new(0),
        })
    }

    /// Always hands out `token`.
    pub fn always(token: impl Into<String>) -> Arc<Tokens> {
        Tokens::new(vec![Ok(token.into())])
    }
}

#[async_trait::async_trait]
impl AccessTokenProvider for Tokens {
    async fn access_token(&self) -> Result<String, AccessTokenError> {
        let i = self.asked.fetch_add(1, Ordering::SeqCst);
        self.tokens[i.min(self.tokens.len() - 1)].clone()
    }
}
