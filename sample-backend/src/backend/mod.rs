//! The app backend: the proxy the mobile library calls.
//!
//! It exposes Dwolla's exchange-session resources under its own public URL, authenticates app
//! users with bearer tokens, keeps Dwolla's client credentials to itself, checks redirect values
//! against an allow-list, remembers which customer created which resource, and rewrites every
//! href from Dwolla's base onto its public URL. The contract is in `docs/backend-contract.md`.
//!
//! | Module | Holds |
//! | --- | --- |
//! | this one | [`BackendConfig`], [`Backend`], [`start_backend`] and [`RunningBackend`] |
//! | `routes` | the route table and its handlers |
//! | `request_log` | the middleware logging each request (method, path, status, duration) |
//! | [`auth`] | sign-in: [`AuthMode`] (users file or OIDC JWTs), the extractor of the app user, the subject's customer |
//! | [`jwt`] | [`JwtConfig`]: bearer JWTs verified (RS256, ES256; `iss`, `aud`, `exp`, `nbf`, `iat`) |
//! | `jwks` | the issuer URL rule, OIDC discovery, the JWKS cached and refreshed on an unknown `kid` (rate-limited) |
//! | `ownership` | the ownership check: own customer, own resources, 404 for the rest |
//! | [`store`] | [`Store`]: what must survive a restart and be shared by replicas (owners, idempotency keys, users and subjects, the secrets) |
//! | [`database`] | [`SqlStore`], the store on SQLite or PostgreSQL, and its migrations |
//! | `idempotency` | the app's `Idempotency-Key` checked, and the key sent to Dwolla derived from it |
//! | `create` | the create flow: key claimed, POST to Dwolla, resource claimed, read back, 201 |
//! | `accounts` | the customer's funding sources: the list (removed ones left out) and removal |
//! | `passthrough` | Dwolla's answers and errors passed on to the app |
//! | `redirects` | the redirect allow-list |
//! | `bodies` | request bodies: Content-Type, size, read timeout, and the bodies sent to Dwolla, built from the allowed fields |
//! | [`limits`] | [`Limits`] (timeouts, body rate, connection, body, Dwolla concurrency and answer caps, per-user and per-peer requests in flight and rates), the Dwolla slots and the client limits' middleware (429 + `Retry-After`) |
//! | [`server`] | the HTTP/1.1 server (plain or TLS) applying the connection limits (eviction of the connection that has done the least) |
//! | [`dwolla`] | the Dwolla client (token cache, HAL requests) |
//! | [`rewrite`] | hrefs moved between Dwolla's base and the public URL |
//! | [`error`] | the backend's Dwolla-style error answers |
//! | [`users`] | app users, the users file and the HMAC of its tokens |
//! | [`logger`] | the binary's stderr logger |

mod accounts;
pub mod auth;
mod bodies;
mod create;
pub mod database;
pub mod dwolla;
pub mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod idempotency;
mod jwks;
pub mod jwt;
pub mod limits;
pub mod logger;
mod ownership;
mod passthrough;
mod redirects;
mod request_log;
pub mod rewrite;
mod routes;
pub mod server;
pub mod store;
pub mod users;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use auth::{AuthMode, SignInError};
pub use database::SqlStore;
pub use dwolla::{DwollaClient, DwollaCredentials, DwollaError};
pub use error::ApiError;
pub use jwks::JwksError;
pub use jwt::{JwtConfig, NewSubjects};
pub use limits::Limits;
pub use redirects::DEFAULT_ALLOWED_REDIRECTS;
pub use rewrite::Rewriter;
pub use server::{serve, Tls};
pub use store::{
    KeyClaim, KeyUse, ResourceKind, Store, StoreError, StoredUser, Subject, UsersImport,
};
pub use users::{AppUser, UsersFile, UsersFileError};

/// Why a backend could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// The Dwolla client could not be built.
    #[error(transparent)]
    Dwolla(#[from] DwollaError),
    /// Sign-in could not be set up.
    #[error(transparent)]
    SignIn(#[from] SignInError),
}

/// Dwolla's production API.
pub const DWOLLA_PRODUCTION: &str = "https://api.dwolla.com";
/// Dwolla's sandbox API.
pub const DWOLLA_SANDBOX: &str = "https://api-sandbox.dwolla.com";

/// How a backend is set up.
#[derive(Clone)]
pub struct BackendConfig {
    /// Dwolla's base URL (`https://api-sandbox.dwolla.com`, or a simulator's URL).
    pub dwolla_url: String,
    /// Dwolla client credentials.
    pub credentials: DwollaCredentials,
    /// The URL apps reach this backend at; `None`: `http://<listening address>`.
    pub public_url: Option<String>,
    /// How app users sign in (default [`AuthMode::Users`]).
    pub auth: AuthMode,
    /// The app users of [`AuthMode::Users`] (bearer token -> Dwolla customer): stored in the
    /// database as a generation when the backend starts ([`Store::import_users`]); none: the
    /// database's users as they are.
    pub users: Vec<AppUser>,
    /// The users file's own `generation`, if it names one.
    pub users_generation: Option<i64>,
    /// The secret with which users' tokens are hashed (HMAC-SHA256, at least 32 bytes); `None`:
    /// one drawn at random and kept in the database ([`Store::users_secret`], development).
    pub users_secret: Option<Vec<u8>>,
    /// The redirect values (`_links.redirect-url.href`) accepted when creating exchange sessions.
    pub allowed_redirects: Vec<String>,
    /// The time limit of one request to Dwolla (default 10 s).
    pub dwolla_timeout: Duration,
    /// How long before expiry the Dwolla access token is replaced (default 60 s).
    pub token_refresh_margin: Duration,
    /// Where owners, idempotency keys, stored users and the key secret are kept (default: a new
    /// in-memory SQLite, [`SqlStore::memory`]; several instances share one PostgreSQL store).
    pub store: Arc<dyn Store>,
    /// Timeouts and size, connection and concurrency limits (default: [`Limits::default`]).
    pub limits: Limits,
}

impl BackendConfig {
    /// A configuration for Dwolla at `dwolla_url` with default timeouts, no users and an empty
    /// allow-list (every redirect value refused).
    pub fn new(dwolla_url: impl Into<String>, credentials: DwollaCredentials) -> Self {
        BackendConfig {
            dwolla_url: dwolla_url.into(),
            credentials,
            public_url: None,
            auth: AuthMode::Users,
            users: Vec::new(),
            users_generation: None,
            users_secret: None,
            allowed_redirects: Vec::new(),
            dwolla_timeout: Duration::from_secs(10),
            token_refresh_margin: Duration::from_secs(60),
            store: Arc::new(SqlStore::memory()),
            limits: Limits::default(),
        }
    }
}

impl fmt::Debug for BackendConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackendConfig")
            .field("dwolla_url", &self.dwolla_url)
            .field("credentials", &self.credentials)
            .field("public_url", &self.public_url)
            .field("auth", &self.auth)
            .field("users", &self.users)
            .field("users_generation", &self.users_generation)
            .field(
                "users_secret",
                &self.users_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("allowed_redirects", &self.allowed_redirects)
            .field("dwolla_timeout", &self.dwolla_timeout)
            .field("token_refresh_margin", &self.token_refresh_margin)
            .field("limits", &self.limits)
            // `store` is left out: a store's own `Debug` could show a connection string.
            .finish()
    }
}

/// The state every request shares.
pub(crate) struct Inner {
    /// The Dwolla client.
    pub(crate) dwolla: DwollaClient,
    /// Moves hrefs between Dwolla's base and the public URL.
    pub(crate) rw: Rewriter,
    /// Sign-in: the mode, the users to store at start, the users secret.
    pub(crate) sign_in: auth::SignIn,
    /// The redirect allow-list.
    pub(crate) allowed: Vec<String>,
    /// Owners, idempotency keys, stored users, the key secret.
    pub(crate) store: Arc<dyn Store>,
    /// The limits.
    pub(crate) limits: Limits,
    /// The slots of requests talking to Dwolla.
    pub(crate) dwolla_slots: limits::DwollaSlots,
    /// The requests in flight and request rates per user and per peer.
    pub(crate) client_limits: Arc<limits::ClientLimits>,
    /// How long an attempt with an app's `Idempotency-Key` counts as in flight (a retry with the
    /// key meanwhile is 503 with `Retry-After`, nothing sent) unless it ends first: the Dwolla
    /// time limit and 2 s, in seconds. An attempt that outlives it (a slow token request before
    /// its POST) is safe all the same: the retry sends the same derived key, which Dwolla
    /// answers "in progress" (503 again) or replays.
    pub(crate) key_lease_secs: i64,
}

/// A backend: its state and its axum router. Cheap to clone.
#[derive(Clone)]
pub struct Backend {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Backend")
            .field("dwolla", &self.inner.dwolla)
            .field("public_url", &self.inner.rw.public_base())
            .field("sign_in", &self.inner.sign_in)
            .finish()
    }
}

impl Backend {
    /// A backend answering at `public_url`. Its users are stored and the issuer's keys fetched
    /// by [`Backend::prepare`] (or at the first request).
    pub fn new(config: BackendConfig, public_url: &str) -> Result<Self, BackendError> {
        let dwolla = DwollaClient::new(
            &config.dwolla_url,
            config.credentials,
            config.dwolla_timeout,
            config.token_refresh_margin,
        )?
        .with_answer_limit(config.limits.max_dwolla_answer_bytes);
        let rw = Rewriter::new(&config.dwolla_url, public_url);
        let sign_in = auth::SignIn::new(
            config.auth,
            config.users,
            config.users_generation,
            config.users_secret,
        )?;
        let key_lease_secs = i64::try_from(config.dwolla_timeout.as_secs())
            .unwrap_or(i64::MAX / 4)
            .saturating_add(2);
        Ok(Backend {
            inner: Arc::new(Inner {
                dwolla,
                rw,
                sign_in,
                allowed: config.allowed_redirects,
                store: config.store,
                dwolla_slots: limits::DwollaSlots::new(&config.limits),
                client_limits: Arc::new(limits::ClientLimits::new(&config.limits)),
                key_lease_secs,
                limits: config.limits,
            }),
        })
    }

    /// Sets up sign-in once: stores the configuration's users as a generation (refusing an
    /// older set: [`SignInError::Superseded`]), or fetches the issuer's keys (a failure there is
    /// logged, not returned: they are fetched again at the first token).
    pub async fn prepare(&self) -> Result<(), SignInError> {
        self.inner.sign_in.prepare(self.inner.store.as_ref()).await
    }

    /// How many times the OIDC issuer's JWKS was fetched (0 with a users file).
    pub fn jwks_fetches(&self) -> u64 {
        self.inner.sign_in.jwks_fetches()
    }

    /// The router serving the backend contract.
    pub fn router(&self) -> Router {
        routes::router(self.clone())
    }

    /// The limits it applies.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// The public URL, with a trailing slash.
    pub fn public_url(&self) -> String {
        format!("{}/", self.inner.rw.public_base())
    }

    /// How many access tokens the backend has requested from Dwolla.
    pub fn token_fetches(&self) -> u64 {
        self.inner.dwolla.token_fetches()
    }
}

/// A backend serving on a loopback (or other) listener; shut down by [`RunningBackend::shutdown`]
/// or when dropped.
pub struct RunningBackend {
    /// The public URL, with a trailing slash (`http://127.0.0.1:PORT/` by default).
    pub url: String,
    /// The address the backend listens on.
    pub addr: SocketAddr,
    /// The backend's state.
    pub backend: Backend,
    open: server::OpenConnections,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl fmt::Debug for RunningBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningBackend")
            .field("url", &self.url)
            .field("addr", &self.addr)
            .finish()
    }
}

impl RunningBackend {
    /// How many client connections are open now.
    pub fn open_connections(&self) -> usize {
        self.open.get()
    }

    /// How many connections were closed to make room at the connection limit (idle or still
    /// sending their request head).
    pub fn evicted_connections(&self) -> u64 {
        self.open.evicted()
    }

    /// Stops accepting, lets requests in flight finish, and waits for the server to end.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.unwrap_or(Ok(())),
            None => Ok(()),
        }
    }
}

impl Drop for RunningBackend {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The plain-HTTP URL of a listening address: `http://127.0.0.1:PORT`.
pub fn http_url(addr: SocketAddr) -> String {
    format!("http://{addr}")
}

/// Starts a backend in front of the Dwolla API at `config.dwolla_url`, serving plain HTTP on
/// `listener` with the connection limits of `config.limits` (see [`server`]) until shut down.
pub async fn start_backend(
    config: BackendConfig,
    listener: TcpListener,
) -> std::io::Result<RunningBackend> {
    let addr = listener.local_addr()?;
    let public = config.public_url.clone().unwrap_or_else(|| http_url(addr));
    let backend =
        Backend::new(config, &public).map_err(|e| std::io::Error::other(e.to_string()))?;
    backend
        .prepare()
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let app = backend.router();
    let (stop, stopped) = oneshot::channel::<()>();
    let open = server::OpenConnections::default();
    let limits = backend.inner.limits.clone();
    let task = tokio::spawn(server::serve_counted(
        listener,
        app,
        limits,
        None,
        async move {
            let _ = stopped.await;
        },
        open.clone(),
    ));
    log::info!("backend listening on {addr}");
    Ok(RunningBackend {
        url: backend.public_url(),
        addr,
        backend,
        open,
        stop: Some(stop),
        task: Some(task),
    })
}
