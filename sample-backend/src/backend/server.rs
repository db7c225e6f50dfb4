//! The backend's HTTP/1.1 server ([`serve`]), plain or TLS ([`Tls`]), applying the
//! connection-level [`Limits`]:
//!
//! - at most `max_connections` connections at once: beyond it the accept loop waits for one to
//!   close, and new connections wait in the listen backlog;
//! - a failed accept (e.g. "Too many open files") pauses accepting for 50 ms and never ends the
//!   loop;
//! - `header_read_timeout` for a request's head, counted from its first byte (on a new
//!   connection, from the connection's start: a connection that sends nothing is a slow head),
//!   and for a TLS handshake;
//! - `idle_timeout` for a keep-alive connection between requests.
//!
//! A connection past a timeout is closed without an answer, as hyper does for its own header
//! timeout. The body-read timeout is applied where bodies are read (`bodies.rs`). Shutdown stops
//! accepting, closes idle connections and lets requests in flight finish.

use std::future::Future;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tower::ServiceExt;

use super::limits::Limits;

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

/// How many connections a server has open; shared with [`super::RunningBackend`].
#[derive(Debug, Clone, Default)]
pub(crate) struct OpenConnections(Arc<AtomicUsize>);

impl OpenConnections {
    /// The number of open connections.
    pub(crate) fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    fn hold(&self) -> OpenGuard {
        self.0.fetch_add(1, Ordering::Relaxed);
        OpenGuard(self.0.clone())
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

/// [`serve`], counting open connections in `open`.
pub(crate) async fn serve_counted(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    tls: Option<Tls>,
    shutdown: impl Future<Output = ()>,
    open: OpenConnections,
) -> io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let mut last_warned: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            accepted = accept_within_limit(&listener, &permits) => match accepted {
                Ok((stream, permit)) => {
                    let conn = Connection {
                        app: app.clone(),
                        limits: limits.clone(),
                        stop: stop_rx.clone(),
                        _permit: permit,
                        _open: open.hold(),
                    };
                    let tls = tls.clone();
                    tasks.spawn(conn.run(stream, tls));
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

/// Waits for a free connection slot, then accepts one connection.
async fn accept_within_limit(
    listener: &TcpListener,
    permits: &Arc<Semaphore>,
) -> io::Result<(tokio::net::TcpStream, OwnedSemaphorePermit)> {
    let permit = permits
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| io::Error::other("connection limit closed"))?;
    let (stream, _) = listener.accept().await?;
    Ok((stream, permit))
}

/// Where a connection is between requests, for its timeouts.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for the first byte of a request since `since`; `fresh` on a new connection.
    Waiting { since: Instant, fresh: bool },
    /// A request head has been arriving since `since`.
    Head { since: Instant },
    /// This many requests are being answered: no connection timeout applies.
    Busy(usize),
}

/// A connection's phase, updated by its reads and its service, watched by its task.
struct Activity {
    phase: Mutex<Phase>,
    changed: Notify,
}

impl Activity {
    fn new() -> Self {
        Activity {
            phase: Mutex::new(Phase::Waiting {
                since: Instant::now(),
                fresh: true,
            }),
            changed: Notify::new(),
        }
    }

    fn update(&self, f: impl FnOnce(Phase) -> Phase) {
        let mut phase = self.phase.lock().unwrap_or_else(|p| p.into_inner());
        *phase = f(*phase);
        drop(phase);
        // One waiter (the connection's task); a permit is kept when it is not waiting yet.
        self.changed.notify_one();
    }

    /// Bytes arrived: a request head begins unless one is already arriving or being answered.
    fn bytes_read(&self) {
        let waiting = matches!(
            *self.phase.lock().unwrap_or_else(|p| p.into_inner()),
            Phase::Waiting { .. }
        );
        if waiting {
            self.update(|p| match p {
                Phase::Waiting { .. } => Phase::Head {
                    since: Instant::now(),
                },
                other => other,
            });
        }
    }

    /// A request head was read: its answer is being made until the guard is dropped.
    fn begin(self: &Arc<Self>) -> BusyGuard {
        self.update(|p| match p {
            Phase::Busy(n) => Phase::Busy(n + 1),
            _ => Phase::Busy(1),
        });
        BusyGuard(self.clone())
    }

    /// When the current phase's timeout runs out; `None` while a request is answered.
    fn deadline(&self, limits: &Limits) -> Option<Instant> {
        let phase = *self.phase.lock().unwrap_or_else(|p| p.into_inner());
        let (since, limit) = match phase {
            Phase::Waiting { since, fresh: true } | Phase::Head { since } => {
                (since, limits.header_read_timeout)
            }
            Phase::Waiting {
                since,
                fresh: false,
            } => (since, limits.idle_timeout),
            Phase::Busy(_) => return None,
        };
        // A timeout too large for the clock never runs out.
        since.checked_add(limit)
    }
}

/// Marks a request as being answered; dropping it ends that.
struct BusyGuard(Arc<Activity>);

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0.update(|p| match p {
            Phase::Busy(n) if n > 1 => Phase::Busy(n - 1),
            _ => Phase::Waiting {
                since: Instant::now(),
                fresh: false,
            },
        });
    }
}

/// A connection's IO, reporting arriving bytes to its [`Activity`].
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

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
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
    limits: Limits,
    stop: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
    _open: OpenGuard,
}

impl Connection {
    async fn run(self, stream: tokio::net::TcpStream, tls: Option<Tls>) {
        let _ = stream.set_nodelay(true);
        match tls {
            None => self.serve(stream).await,
            Some(Tls(acceptor)) => {
                let handshake = acceptor.accept(stream);
                // A failed or too slow handshake: the connection is dropped.
                if let Ok(Ok(tls_stream)) =
                    tokio::time::timeout(self.limits.header_read_timeout, handshake).await
                {
                    self.serve(tls_stream).await;
                }
            }
        }
    }

    async fn serve<T>(mut self, io: T)
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let activity = Arc::new(Activity::new());
        let io = Watched {
            inner: io,
            activity: activity.clone(),
        };
        let app = self.app.clone();
        let on_request = activity.clone();
        let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let busy = on_request.begin();
            let app = app.clone();
            async move {
                let answer = app.oneshot(req.map(Body::new)).await;
                drop(busy);
                answer
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
            let deadline = activity.deadline(&self.limits);
            let expiry = async move {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = conn.as_mut() => return,
                _ = expiry => {
                    if activity
                        .deadline(&self.limits)
                        .is_some_and(|at| at <= Instant::now())
                    {
                        // Dropping the connection closes it.
                        return;
                    }
                }
                _ = activity.changed.notified() => {}
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
