//! The backend's limits ([`Limits`]): how long a client may take to send a request's head and
//! body, how long an idle keep-alive connection stays open, how many connections are open at
//! once (at the limit, an idle or half-open one is evicted for a new one), how large a request
//! body and one of Dwolla's answers may be, and how many app requests talk to Dwolla at once.
//! Past that last limit a request is answered 503 `ServiceUnavailable` with `Retry-After` before
//! anything is sent to Dwolla, so such an answer never hides work Dwolla did.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::ApiError;

/// The limits a backend applies to its clients and to its use of Dwolla.
///
/// The connection-level ones (`header_read_timeout`, `idle_timeout`, `max_connections`) are
/// applied by the server ([`super::server::serve`]); the others by the request handlers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// How long a client may take to send a request's head, counted from its first byte (and,
    /// on a new connection, from the connection's start). Also bounds a TLS handshake. Default
    /// 10 s.
    pub header_read_timeout: Duration,
    /// How long a client may take to send a request's body once its head arrived; past it the
    /// answer is 408 `RequestTimeout` and the connection is closed. Default 30 s.
    pub body_read_timeout: Duration,
    /// How long a keep-alive connection may stay open with no request on it. Default 60 s.
    pub idle_timeout: Duration,
    /// How many client connections are open at once. At the limit, a new connection makes room
    /// by evicting the connection that has waited longest without a request in flight (idle
    /// between keep-alive requests, or still sending its request head or TLS handshake), which
    /// is closed without an answer. A connection whose request head was received is never
    /// evicted while its body is read, its handler runs or its answer is written; while every
    /// connection has a request in flight, further connections wait in the listen backlog.
    /// Keep it below the process's file-descriptor limit. Default 1,024.
    pub max_connections: usize,
    /// The largest request body accepted (larger: 413 `RequestEntityTooLarge`). Default 64 KiB;
    /// the contract's bodies are well under 4 KiB.
    pub max_body_bytes: usize,
    /// How many app requests may talk to Dwolla at once (each holds one slot for all of its
    /// Dwolla calls, so this also caps the connections to Dwolla). Default 64.
    pub max_dwolla_requests: usize,
    /// How long a request waits for a free Dwolla slot before it is answered 503 with
    /// `Retry-After` (zero: not at all). Default 2 s.
    pub dwolla_queue_timeout: Duration,
    /// The largest answer of Dwolla the backend reads (larger: 502 `BadGateway`). Default 1 MiB.
    pub max_dwolla_answer_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
            max_body_bytes: 64 * 1024,
            max_dwolla_requests: 64,
            dwolla_queue_timeout: Duration::from_secs(2),
            max_dwolla_answer_bytes: 1024 * 1024,
        }
    }
}

/// The seconds a client is told to wait (`Retry-After`) when every Dwolla slot is taken.
const BUSY_RETRY_AFTER_SECS: u64 = 1;

/// The Dwolla slots: at most [`Limits::max_dwolla_requests`] app requests talk to Dwolla at once.
pub(crate) struct DwollaSlots {
    slots: Arc<Semaphore>,
    wait: Duration,
}

impl DwollaSlots {
    /// Slots for `limits` (at least one).
    pub(crate) fn new(limits: &Limits) -> Self {
        DwollaSlots {
            slots: Arc::new(Semaphore::new(limits.max_dwolla_requests.max(1))),
            wait: limits.dwolla_queue_timeout,
        }
    }

    /// A slot, held until dropped; 503 `ServiceUnavailable` with `Retry-After` when none frees
    /// up within the queue timeout. Taken before the first Dwolla call of a request, so a 503
    /// from here means nothing was sent.
    pub(crate) async fn acquire(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        let slot = if self.wait.is_zero() {
            self.slots.clone().try_acquire_owned().ok()
        } else {
            tokio::time::timeout(self.wait, self.slots.clone().acquire_owned())
                .await
                .ok()
                .and_then(Result::ok)
        };
        slot.ok_or_else(busy)
    }
}

/// 503 `ServiceUnavailable` with `Retry-After`: every Dwolla slot is taken.
fn busy() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "ServiceUnavailable",
        "The backend is handling as many requests to Dwolla as it allows; nothing was sent. Retry after the time in Retry-After.",
    )
    .with_retry_after(HeaderValue::from(BUSY_RETRY_AFTER_SECS))
}
