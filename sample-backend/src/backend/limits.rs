//! The backend's limits ([`Limits`]): how long a client may take to send a request's head and
//! body (and the least rate a body must keep), how long an idle keep-alive connection stays
//! open, how many connections are open at once (at the limit, the connection that has done the
//! least is evicted for a new one), how large a request body and one of Dwolla's answers may
//! be, how many app requests talk to Dwolla at once, and how many requests, and how many a
//! second, each client may send.
//!
//! Past the Dwolla limit a request is answered 503 `ServiceUnavailable` with `Retry-After`
//! before anything is sent to Dwolla, so such an answer never hides work Dwolla did.
//!
//! The client limits ([`limit_requests`], a middleware in front of every route) count per
//! signed-in user (its Dwolla customer) for a request with a valid bearer token, and per peer
//! address (an IPv6 peer by its /64) for any other. A client past its requests in flight, or
//! past its rate (a token bucket of [`governor`]: `*_burst` requests at once, refilled at
//! `*_rate` a second), is answered 429 `TooManyRequests` with `Retry-After` before its body is
//! read (and the connection is closed when a body was coming), so that one user cannot hold the
//! connections, Dwolla slots or Dwolla rate that the others need.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::auth::Caller;
use super::bodies::has_body;
use super::error::ApiError;
use super::Backend;

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
    /// The least rate, in bytes a second, at which a request body must arrive once
    /// [`Limits::body_rate_grace`] has passed: a body that has not sent `body_min_rate` bytes
    /// for each second past the grace is answered 408 `RequestTimeout` and its connection
    /// closed (within [`Limits::body_read_timeout`] in any case). Default 500 (Apache's
    /// `mod_reqtimeout` default); the contract's bodies are well under 4 KiB.
    pub body_min_rate: u32,
    /// How long a request body may take before [`Limits::body_min_rate`] applies. Default 2 s.
    pub body_rate_grace: Duration,
    /// How many requests one signed-in user may have in flight at once (from its head received
    /// to its answer made); more are answered 429 with `Retry-After`. Default 64, the Dwolla
    /// slots: one user can never hold more connections than that.
    pub user_max_requests: usize,
    /// How many requests a second one signed-in user may send, sustained. Default 20.
    pub user_rate: u32,
    /// How many requests one signed-in user may send at once above [`Limits::user_rate`]
    /// (the token bucket's size). Default 200.
    pub user_burst: u32,
    /// How many requests without a valid bearer token (a health check, a refused token) one
    /// peer address may have in flight at once. Default 64.
    pub peer_max_requests: usize,
    /// How many requests a second without a valid bearer token one peer address may send,
    /// sustained. Default 20.
    pub peer_rate: u32,
    /// How many requests without a valid bearer token one peer address may send at once above
    /// [`Limits::peer_rate`]. Default 200.
    pub peer_burst: u32,
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
            body_min_rate: 500,
            body_rate_grace: Duration::from_secs(2),
            user_max_requests: 64,
            user_rate: 20,
            user_burst: 200,
            peer_max_requests: 64,
            peer_rate: 20,
            peer_burst: 200,
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

/// Who a request is counted against by the client limits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Client {
    /// A signed-in user, by Dwolla customer.
    User(String),
    /// A peer address (an IPv6 one cut to its /64, which one host usually holds whole); the
    /// unspecified address when the server did not say (a router served without [`super::serve`]).
    Peer(IpAddr),
}

impl Client {
    /// The peer client of `addr`.
    pub(crate) fn peer(addr: IpAddr) -> Client {
        Client::Peer(peer_key(addr))
    }
}

/// A peer address as the limits count it: IPv4 (also IPv4-mapped IPv6) as it is, IPv6 by /64.
pub(crate) fn peer_key(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(bits))
            }
        },
    }
}

/// The seconds a client past its requests in flight is told to wait.
const IN_FLIGHT_RETRY_AFTER_SECS: u64 = 1;

/// How many rate checks pass between two sweeps of the rate limiters' idle keys.
const SWEEP_EVERY: u64 = 4096;

/// The per-client limits: requests in flight and request rates, per user and per peer.
#[derive(Debug)]
pub(crate) struct ClientLimits {
    users: DefaultKeyedRateLimiter<Client>,
    peers: DefaultKeyedRateLimiter<Client>,
    in_flight: Mutex<HashMap<Client, usize>>,
    user_max: usize,
    peer_max: usize,
    checks: AtomicU64,
}

/// A quota of `rate` a second with `burst` at once (each at least 1; the rate at most one a
/// nanosecond, the clock's step).
fn quota(rate: u32, burst: u32) -> Quota {
    let one = NonZeroU32::MIN;
    let rate = rate.min(1_000_000_000);
    Quota::per_second(NonZeroU32::new(rate).unwrap_or(one))
        .allow_burst(NonZeroU32::new(burst).unwrap_or(one))
}

impl ClientLimits {
    /// The client limits of `limits`.
    pub(crate) fn new(limits: &Limits) -> Self {
        ClientLimits {
            users: RateLimiter::keyed(quota(limits.user_rate, limits.user_burst)),
            peers: RateLimiter::keyed(quota(limits.peer_rate, limits.peer_burst)),
            in_flight: Mutex::new(HashMap::new()),
            user_max: limits.user_max_requests.max(1),
            peer_max: limits.peer_max_requests.max(1),
            checks: AtomicU64::new(0),
        }
    }

    fn in_flight(&self) -> std::sync::MutexGuard<'_, HashMap<Client, usize>> {
        self.in_flight.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Admits a request of `client`: a guard counting it in flight until dropped, or 429
    /// `TooManyRequests` with `Retry-After` when the client has as many requests in flight as it
    /// may, or has used up its rate.
    pub(crate) fn admit(self: &Arc<Self>, client: Client) -> Result<InFlight, ApiError> {
        let (max, limiter, who) = match client {
            Client::User(_) => (self.user_max, &self.users, "this user"),
            Client::Peer(_) => (self.peer_max, &self.peers, "this address"),
        };
        {
            let mut in_flight = self.in_flight();
            let n = in_flight.entry(client.clone()).or_insert(0);
            if *n >= max {
                return Err(too_many(
                    &format!(
                        "{who} has {max} requests in flight, as many as the backend allows; wait for their answers. Retry after the time in Retry-After."
                    ),
                    IN_FLIGHT_RETRY_AFTER_SECS,
                ));
            }
            *n += 1;
        }
        // Counted from here: the guard gives the slot back however this ends.
        let guard = InFlight {
            limits: self.clone(),
            client,
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.users.retain_recent();
            self.peers.retain_recent();
        }
        if let Err(not_until) = limiter.check_key(&guard.client) {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return Err(too_many(
                &format!(
                    "{who} sent more requests than the backend allows per second. Retry after the time in Retry-After."
                ),
                secs.max(1),
            ));
        }
        Ok(guard)
    }
}

/// A request counted in flight for its client, until dropped.
#[derive(Debug)]
pub(crate) struct InFlight {
    limits: Arc<ClientLimits>,
    client: Client,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut in_flight = self.limits.in_flight();
        if let Some(n) = in_flight.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                in_flight.remove(&self.client);
            }
        }
    }
}

/// 429 `TooManyRequests` with `Retry-After: secs`.
fn too_many(message: &str, secs: u64) -> ApiError {
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, "TooManyRequests", message)
        .with_retry_after(HeaderValue::from(secs))
}

/// The middleware applying the client limits to every request before its handler: a request
/// with a valid bearer token counts against its user (the user found is kept for the handler,
/// which does not look it up again), any other against its peer address. A refused request is
/// answered 429 with `Retry-After` before its body is read, with `Connection: close` when a
/// body was coming.
pub(crate) async fn limit_requests(State(b): State<Backend>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let peer = Client::peer(
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED), |c| c.0.ip()),
    );
    let client = if parts.headers.contains_key(header::AUTHORIZATION) {
        match Caller::from_request_parts(&mut parts, &b).await {
            Ok(caller) => {
                let client = Client::User(caller.0.customer_id.clone());
                parts.extensions.insert(caller);
                client
            }
            Err(_) => peer,
        }
    } else {
        peer
    };
    let admitted = match b.inner.client_limits.admit(client) {
        Ok(admitted) => admitted,
        Err(e) if has_body(&parts.headers) => return e.closing().into_response(),
        Err(e) => return e.into_response(),
    };
    let answer = next.run(Request::from_parts(parts, body)).await;
    drop(admitted);
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_peers_count_by_their_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(peer_key(a), peer_key(b));
        assert_ne!(peer_key(a), peer_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(peer_key(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn in_flight_and_rate_are_counted_per_client() {
        let limits = Limits {
            user_max_requests: 2,
            user_rate: 1,
            user_burst: 3,
            ..Limits::default()
        };
        let l = Arc::new(ClientLimits::new(&limits));
        let alice = || Client::User("alice".into());
        let first = l.admit(alice()).unwrap();
        let _second = l.admit(alice()).unwrap();
        let refused = l.admit(alice()).unwrap_err();
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        // Another user is not affected.
        let _bob = l.admit(Client::User("bob".into())).unwrap();
        drop(first);
        // A slot is back; the burst of 3 is then used up (the refused one took no token).
        let _third = l.admit(alice()).unwrap();
        drop(_third);
        let limited = l.admit(alice()).unwrap_err();
        assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    }
}
