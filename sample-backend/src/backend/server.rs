//! The backend's HTTP/1.1 server ([`serve`]), plain or TLS ([`Tls`]), applying the
//! connection-level [`Limits`]:
//!
//! - at most `max_connections` connections at once. A connection arriving at the limit makes
//!   room by evicting one that is not serving a request (idle between keep-alive requests, or
//!   still sending its request head or TLS handshake): the one that has done the least. First
//!   the connections that have completed the fewest requests (a fresh socket that never sent a
//!   whole request goes before a keep-alive client that has been answered), then those of the
//!   peer address (IPv6: /64) holding the most connections, then the one that has waited
//!   longest (from its start or its last answer). So a flood of fresh sockets evicts its own
//!   sockets, never the clients that have been answered, and a flood from one address goes
//!   before the others. A connection with a request in
//!   flight is never evicted: from the moment its head is received, while its body is read
//!   (bounded by the body-read timeout and the least body rate), its handler runs and its
//!   answer is written, until the answer is flushed. When every connection has a request in
//!   flight, the new connection waits for one to close or to become idle, and further
//!   connections wait in the listen backlog. Evictions are counted
//!   ([`OpenConnections::evicted`]) and logged at debug level;
//! - a failed accept (e.g. "Too many open files") pauses accepting for 50 ms and never ends the
//!   loop;
//! - `header_read_timeout` for a request's head, counted from its first byte (on a new
//!   connection, from the connection's start: a connection that sends nothing is a slow head),
//!   and for a TLS handshake;
//! - `idle_timeout` for a keep-alive connection between requests.
//!
//! Each request carries its peer's address as [`axum::extract::ConnectInfo`]`<SocketAddr>`, for
//! the per-peer limits (`limits.rs`).
//!
//! A connection past a timeout, or evicted, is closed without an answer, as hyper does for its
//! own header timeout. The body-read timeout is applied where bodies are read (`bodies.rs`).
//! Shutdown stops accepting, closes idle connections and lets requests in flight finish.

use std::cmp::Reverse;
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tower::ServiceExt;

use super::limits::{peer_key, Limits};

/// How long accepting pauses after a failed accept (out of file descriptors, for instance).
const ACCEPT_PAUSE: Duration = Duration::from_millis(50);

/// A TLS server configuration (rustls on ring) for [`serve`]; HTTP/1.1 only.
#[derive(Clone)]
pub struct Tls(tokio_rustls::TlsAcceptor);

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tls { .. }")
    }
}

impl Tls {
    /// The certificate chain and private key of two PEM files.
    pub fn from_pem_files(cert: &Path, key: &Path) -> io::Result<Tls> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let invalid = |what: &str, e: &dyn std::fmt::Display| {
            io::Error::new(io::ErrorKind::InvalidData, format!("{what}: {e}"))
        };
        let certs = CertificateDer::pem_file_iter(cert)
            .and_then(|i| i.collect::<Result<Vec<_>, _>>())
            .map_err(|e| invalid("certificate file", &e))?;
        if certs.is_empty() {
            return Err(invalid("certificate file", &"no certificate in it"));
        }
        let key = PrivateKeyDer::from_pem_file(key).map_err(|e| invalid("key file", &e))?;
        crate::install_crypto_provider();
        let mut config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| invalid("certificate and key", &e))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls(tokio_rustls::TlsAcceptor::from(Arc::new(config))))
    }
}

/// A server's connection counters: how many connections are open, and how many were evicted to
/// make room at the connection limit. Clones share them; a [`super::RunningBackend`] reads its
/// server's.
#[derive(Debug, Clone, Default)]
pub struct OpenConnections {
    open: Arc<AtomicUsize>,
    evicted: Arc<AtomicU64>,
}

impl OpenConnections {
    /// The number of open connections (each holding a slot of the connection limit).
    pub fn get(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// How many connections were closed to make room for a new one at the connection limit.
    pub fn evicted(&self) -> u64 {
        self.evicted.load(Ordering::Relaxed)
    }

    fn hold(&self) -> OpenGuard {
        self.open.fetch_add(1, Ordering::Relaxed);
        OpenGuard(self.open.clone())
    }
}

struct OpenGuard(Arc<AtomicUsize>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Serves `app` on `listener` (over TLS when `tls` is given) with the connection limits of
/// `limits` until `shutdown` completes; then stops accepting, closes idle connections and waits
/// for the requests in flight.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    tls: Option<Tls>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    serve_counted(
        listener,
        app,
        limits,
        tls,
        shutdown,
        OpenConnections::default(),
    )
    .await
}

/// A connection accepted and waiting for a slot of the connection limit.
type Admission =
    Pin<Box<dyn Future<Output = (TcpStream, SocketAddr, OwnedSemaphorePermit)> + Send>>;

/// [`serve`], counting open and evicted connections in `counters`.
pub async fn serve_counted(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    tls: Option<Tls>,
    shutdown: impl Future<Output = ()>,
    counters: OpenConnections,
) -> io::Result<()> {
    let slots = Arc::new(Slots::new(limits.max_connections.max(1), counters.clone()));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let mut last_warned: Option<Instant> = None;
    // The connection accepted last, until it has a slot; kept across the loop's turns (a turn
    // that reaps a finished task must not drop it), and accepting waits meanwhile.
    let mut admitting: Option<Admission> = None;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            (stream, peer, permit) = async {
                match admitting.as_mut() {
                    Some(admission) => admission.await,
                    None => std::future::pending().await,
                }
            }, if admitting.is_some() => {
                admitting = None;
                let activity = Arc::new(Activity::new(slots.evictable.clone(), peer_key(peer.ip())));
                let conn = Connection {
                    app: app.clone(),
                    peer,
                    limits: limits.clone(),
                    stop: stop_rx.clone(),
                    _slot: slots.register(&activity, permit),
                    activity,
                    _open: counters.hold(),
                };
                tasks.spawn(conn.run(stream, tls.clone()));
            }
            accepted = listener.accept(), if admitting.is_none() => match accepted {
                Ok((stream, peer)) => {
                    let slots = slots.clone();
                    admitting = Some(Box::pin(async move {
                        let permit = slots.make_room().await;
                        (stream, peer, permit)
                    }));
                }
                Err(e) if is_per_connection(&e) => {}
                Err(e) => {
                    // Out of file descriptors (or another resource): log at most once a second,
                    // pause, and go on accepting.
                    if last_warned.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                        log::warn!("accepting a connection failed: {e}; pausing accepts briefly");
                        last_warned = Some(Instant::now());
                    }
                    tokio::time::sleep(ACCEPT_PAUSE).await;
                }
            },
        }
    }
    drop(admitting);
    drop(listener);
    let _ = stop_tx.send(true);
    while tasks.join_next().await.is_some() {}
    Ok(())
}

/// Errors of one connection that failed before it was accepted: nothing to pause for.
fn is_per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
    )
}

/// The slots of the connection limit and the connections holding them, for eviction.
struct Slots {
    permits: Arc<Semaphore>,
    /// The open connections by a number of their own, and how many each peer address holds.
    held: Mutex<Held>,
    next_id: AtomicU64,
    /// Notified when a connection may have become evictable (an answer was flushed).
    evictable: Arc<Notify>,
    counters: OpenConnections,
}

impl Slots {
    fn new(max_connections: usize, counters: OpenConnections) -> Self {
        Slots {
            permits: Arc::new(Semaphore::new(max_connections)),
            held: Mutex::new(Held::default()),
            next_id: AtomicU64::new(0),
            evictable: Arc::new(Notify::new()),
            counters,
        }
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A slot for a new connection: a free one, else the slot of a connection evicted for it;
    /// while every connection has a request in flight, waits for a slot to free up or for a
    /// connection to become evictable.
    async fn make_room(&self) -> OwnedSemaphorePermit {
        loop {
            if let Ok(permit) = self.permits.clone().try_acquire_owned() {
                return permit;
            }
            // Taken before looking, so that a connection becoming evictable meanwhile is seen.
            let became_evictable = self.evictable.notified();
            tokio::pin!(became_evictable);
            became_evictable.as_mut().enable();
            if self.evict_one() {
                // The evicted connection's task ends at once, freeing its slot (or another
                // connection closes first).
                return self.acquire().await;
            }
            tokio::select! {
                permit = self.acquire() => return permit,
                () = &mut became_evictable => {}
            }
        }
    }

    async fn acquire(&self) -> OwnedSemaphorePermit {
        match self.permits.clone().acquire_owned().await {
            Ok(permit) => permit,
            // The semaphore is never closed.
            Err(_) => std::future::pending().await,
        }
    }

    /// Evicts the connection without a request in flight that has done the least: the fewest
    /// requests completed, then the peer holding the most connections, then the one waiting
    /// longest; false when every connection has a request in flight.
    fn evict_one(&self) -> bool {
        let held = self.held();
        // A candidate can begin a request between the look and the eviction: look again.
        for _ in 0..=held.connections.len() {
            let Some((_, least)) = held
                .connections
                .values()
                .filter_map(|a| {
                    let since = a.evictable_since()?;
                    let rank = (
                        a.served.load(Ordering::Relaxed),
                        Reverse(held.peers.get(&a.peer).copied().unwrap_or(0)),
                        since,
                    );
                    Some((rank, a))
                })
                .min_by_key(|(rank, _)| *rank)
            else {
                return false;
            };
            if least.evict() {
                let evicted = self.counters.evicted.fetch_add(1, Ordering::Relaxed) + 1;
                log::debug!(
                    "connection limit reached: closed the connection without a request in flight that had done the least ({evicted} so far)"
                );
                return true;
            }
        }
        false
    }

    /// Registers an admitted connection; its slot is held until the returned guard is dropped.
    fn register(self: &Arc<Self>, activity: &Arc<Activity>, permit: OwnedSemaphorePermit) -> Slot {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut held = self.held();
        held.connections.insert(id, activity.clone());
        *held.peers.entry(activity.peer).or_insert(0) += 1;
        drop(held);
        Slot {
            slots: self.clone(),
            id,
            _permit: permit,
        }
    }
}

/// The open connections, and how many of them each peer address (IPv6 by /64) holds.
#[derive(Default)]
struct Held {
    connections: HashMap<u64, Arc<Activity>>,
    peers: HashMap<IpAddr, usize>,
}

/// A connection's slot of the connection limit, freed when dropped.
struct Slot {
    slots: Arc<Slots>,
    id: u64,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Slot {
    fn drop(&mut self) {
        // Unregistered before the permit is released (fields drop after this).
        let mut held = self.slots.held();
        if let Some(activity) = held.connections.remove(&self.id) {
            if let Some(n) = held.peers.get_mut(&activity.peer) {
                *n -= 1;
                if *n == 0 {
                    held.peers.remove(&activity.peer);
                }
            }
        }
    }
}

/// Where a connection is between requests, for its timeouts and for eviction.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for the first byte of a request since `since` (its start or its last answer);
    /// `fresh` on a new connection (or one in its TLS handshake). Evictable.
    Waiting { since: Instant, fresh: bool },
    /// A request head has been arriving since `since`, after waiting since `waited`.
    /// Evictable.
    Head { since: Instant, waited: Instant },
    /// This many requests are being answered (head received, body read, handler running,
    /// answer written): no connection timeout applies, never evicted.
    Busy(usize),
    /// The last answer was handed to hyper at `since` and is being written out: the idle
    /// timeout applies, never evicted.
    Flushing { since: Instant },
    /// The last answer, handed to hyper at `since`, closes the connection (`Connection: close`)
    /// once written: the idle timeout applies, never evicted.
    Closing { since: Instant },
    /// Evicted: its task closes it.
    Evicted,
}

/// A connection's phase, updated by its reads, writes and service, watched by its task; and
/// what eviction weighs: its peer, its start, the requests it completed.
struct Activity {
    phase: Mutex<Phase>,
    changed: Notify,
    /// The server's, notified when this connection becomes evictable again.
    evictable: Arc<Notify>,
    /// The peer address, as the limits count it.
    peer: IpAddr,
    /// How many requests it has had answered.
    served: AtomicU64,
}

impl Activity {
    fn new(evictable: Arc<Notify>, peer: IpAddr) -> Self {
        let now = Instant::now();
        Activity {
            phase: Mutex::new(Phase::Waiting {
                since: now,
                fresh: true,
            }),
            changed: Notify::new(),
            evictable,
            peer,
            served: AtomicU64::new(0),
        }
    }

    fn phase(&self) -> std::sync::MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn update(&self, f: impl FnOnce(Phase) -> Phase) {
        let mut phase = self.phase();
        *phase = f(*phase);
        drop(phase);
        // One waiter (the connection's task); a permit is kept when it is not waiting yet.
        self.changed.notify_one();
    }

    /// A new connection's TLS handshake is done: its header timeout starts now.
    fn handshake_done(&self) {
        self.update(|p| match p {
            Phase::Waiting { fresh: true, .. } => Phase::Waiting {
                since: Instant::now(),
                fresh: true,
            },
            other => other,
        });
    }

    /// Bytes arrived: a request head begins unless one is already arriving or being answered.
    fn bytes_read(&self) {
        if matches!(*self.phase(), Phase::Waiting { .. }) {
            self.update(|p| match p {
                Phase::Waiting { since, .. } => Phase::Head {
                    since: Instant::now(),
                    waited: since,
                },
                other => other,
            });
        }
    }

    /// The connection's output was flushed: an answer handed over before is written out, and the
    /// connection is idle.
    fn flushed(&self) {
        if matches!(*self.phase(), Phase::Flushing { .. }) {
            self.update(|p| match p {
                Phase::Flushing { since } => Phase::Waiting {
                    since,
                    fresh: false,
                },
                other => other,
            });
            self.evictable.notify_one();
        }
    }

    /// A request head was read: its answer is being made until the guard is dropped. `None`
    /// when the connection was evicted before its head was complete: it is not answered.
    fn begin(self: &Arc<Self>) -> Option<BusyGuard> {
        let mut phase = self.phase();
        *phase = match *phase {
            Phase::Evicted => return None,
            Phase::Busy(n) => Phase::Busy(n + 1),
            _ => Phase::Busy(1),
        };
        drop(phase);
        self.changed.notify_one();
        Some(BusyGuard {
            activity: self.clone(),
            closing: false,
        })
    }

    /// Since when the connection has been waiting without a request in flight (from its start
    /// or its last answer); `None` when it has one (or is evicted already).
    fn evictable_since(&self) -> Option<Instant> {
        match *self.phase() {
            Phase::Waiting { since, .. } | Phase::Head { waited: since, .. } => Some(since),
            Phase::Busy(_) | Phase::Flushing { .. } | Phase::Closing { .. } | Phase::Evicted => {
                None
            }
        }
    }

    /// Evicts the connection unless it has a request in flight; true when it did.
    fn evict(&self) -> bool {
        let mut phase = self.phase();
        if !matches!(*phase, Phase::Waiting { .. } | Phase::Head { .. }) {
            return false;
        }
        *phase = Phase::Evicted;
        drop(phase);
        self.changed.notify_one();
        true
    }

    fn is_evicted(&self) -> bool {
        matches!(*self.phase(), Phase::Evicted)
    }

    /// When the current phase's timeout runs out; `None` while a request is answered.
    fn deadline(&self, limits: &Limits) -> Option<Instant> {
        let (since, limit) = match *self.phase() {
            Phase::Waiting { since, fresh: true } | Phase::Head { since, .. } => {
                (since, limits.header_read_timeout)
            }
            Phase::Waiting {
                since,
                fresh: false,
            }
            | Phase::Flushing { since }
            | Phase::Closing { since } => (since, limits.idle_timeout),
            Phase::Busy(_) | Phase::Evicted => return None,
        };
        // A timeout too large for the clock never runs out.
        since.checked_add(limit)
    }
}

/// Marks a request as being answered; dropping it (with the answer's body, once hyper has
/// taken all of it) ends that.
struct BusyGuard {
    activity: Arc<Activity>,
    /// The request or its answer says `Connection: close`.
    closing: bool,
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        let closing = self.closing;
        self.activity.served.fetch_add(1, Ordering::Relaxed);
        self.activity.update(|p| match p {
            Phase::Busy(n) if n > 1 => Phase::Busy(n - 1),
            Phase::Busy(_) if closing => Phase::Closing {
                since: Instant::now(),
            },
            Phase::Busy(_) => Phase::Flushing {
                since: Instant::now(),
            },
            other => other,
        });
    }
}

/// Whether `Connection` headers hold the `close` option.
fn says_close(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get_all(axum::http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|option| option.trim().eq_ignore_ascii_case("close"))
}

/// An answer's body, holding its request's [`BusyGuard`] until hyper is done with it.
struct Answering {
    body: Body,
    _busy: BusyGuard,
}

impl hyper::body::Body for Answering {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

/// A request on a connection evicted before its head was complete; it is not answered.
#[derive(Debug, thiserror::Error)]
#[error("the connection was evicted at the connection limit")]
struct EvictedConnection;

/// A connection's IO, reporting arriving bytes and flushed output to its [`Activity`].
struct Watched<T> {
    inner: T,
    activity: Arc<Activity>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.bytes_read();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    /// hyper flushes the connection once its own buffer is written out: then an answer whose
    /// body hyper finished is written.
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_flush(cx);
        if matches!(polled, Poll::Ready(Ok(()))) {
            self.activity.flushed();
        }
        polled
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// One accepted connection, holding its slot of the connection limit until it ends.
struct Connection {
    app: Router,
    peer: SocketAddr,
    limits: Limits,
    stop: watch::Receiver<bool>,
    activity: Arc<Activity>,
    _slot: Slot,
    _open: OpenGuard,
}

impl Connection {
    async fn run(self, stream: TcpStream, tls: Option<Tls>) {
        let _ = stream.set_nodelay(true);
        match tls {
            None => self.serve(stream).await,
            Some(Tls(acceptor)) => {
                // A failed, too slow or evicted handshake: the connection is dropped.
                let handshake =
                    tokio::time::timeout(self.limits.header_read_timeout, acceptor.accept(stream));
                tokio::pin!(handshake);
                let tls_stream = loop {
                    tokio::select! {
                        done = &mut handshake => match done {
                            Ok(Ok(tls_stream)) => break tls_stream,
                            _ => return,
                        },
                        () = self.activity.changed.notified() => {
                            if self.activity.is_evicted() {
                                return;
                            }
                        }
                    }
                };
                self.activity.handshake_done();
                self.serve(tls_stream).await;
            }
        }
    }

    async fn serve<T>(mut self, io: T)
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let activity = self.activity.clone();
        let io = Watched {
            inner: io,
            activity: activity.clone(),
        };
        let app = self.app.clone();
        let on_request = activity.clone();
        let peer = self.peer;
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            let busy = on_request.begin();
            let app = app.clone();
            req.extensions_mut().insert(ConnectInfo(peer));
            async move {
                let Some(mut busy) = busy else {
                    return Err(EvictedConnection);
                };
                let closing = says_close(req.headers());
                let Ok(answer) = app.oneshot(req.map(Body::new)).await;
                busy.closing = closing || says_close(answer.headers());
                Ok(answer.map(|body| Answering { body, _busy: busy }))
            }
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .keep_alive(true)
            // The timeouts are this module's (hyper's would also cut idle connections).
            .header_read_timeout(None)
            .serve_connection(TokioIo::new(io), service);
        tokio::pin!(conn);
        let mut stopping = *self.stop.borrow();
        if stopping {
            conn.as_mut().graceful_shutdown();
        }
        loop {
            if activity.is_evicted() {
                // Dropping the connection closes it.
                return;
            }
            let deadline = activity.deadline(&self.limits);
            let expiry = async move {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = conn.as_mut() => return,
                () = expiry => {
                    if activity
                        .deadline(&self.limits)
                        .is_some_and(|at| at <= Instant::now())
                    {
                        return;
                    }
                }
                () = activity.changed.notified() => {}
                changed = self.stop.changed(), if !stopping => {
                    stopping = true;
                    if changed.is_ok() {
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
        }
    }
}
