//! The app backend: the proxy the mobile library calls.
//!
//! It exposes Dwolla's exchange-session resources under its own public URL, authenticates app
//! users with bearer tokens, keeps Dwolla's client credentials to itself, checks redirect values
//! against an allow-list, remembers which customer created which resource, and rewrites every
//! href from Dwolla's base onto its public URL. The contract is in `docs/backend-contract.md`.

pub mod dwolla;
pub mod error;
pub mod logger;
pub mod rewrite;
mod routes;
pub mod users;

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use dwolla::{DwollaClient, DwollaCredentials, DwollaError};
pub use error::ApiError;
pub use rewrite::Rewriter;
pub use users::{AppUser, UsersFileError};

/// Dwolla's production API.
pub const DWOLLA_PRODUCTION: &str = "https://api.dwolla.com";
/// Dwolla's sandbox API.
pub const DWOLLA_SANDBOX: &str = "https://api-sandbox.dwolla.com";
/// The redirect values allowed by default in simulated mode: an Android package name and an
/// iOS universal link.
pub const DEFAULT_ALLOWED_REDIRECTS: [&str; 2] = ["com.example.app", "https://example.com/app"];

/// How a backend is set up.
#[derive(Clone)]
pub struct BackendConfig {
    /// Dwolla's base URL (`https://api-sandbox.dwolla.com`, or a simulator's URL).
    pub dwolla_url: String,
    /// Dwolla client credentials.
    pub credentials: DwollaCredentials,
    /// The URL apps reach this backend at; `None`: `http://<listening address>`.
    pub public_url: Option<String>,
    /// The app users (bearer token -> Dwolla customer).
    pub users: Vec<AppUser>,
    /// The redirect values (`_links.redirect-url.href`) accepted when creating exchange sessions.
    pub allowed_redirects: Vec<String>,
    /// The time limit of one request to Dwolla (default 10 s).
    pub dwolla_timeout: Duration,
    /// How long before expiry the Dwolla access token is replaced (default 60 s).
    pub token_refresh_margin: Duration,
}

impl BackendConfig {
    /// A configuration for Dwolla at `dwolla_url` with default timeouts, no users and an empty
    /// allow-list (every redirect value refused).
    pub fn new(dwolla_url: impl Into<String>, credentials: DwollaCredentials) -> Self {
        BackendConfig {
            dwolla_url: dwolla_url.into(),
            credentials,
            public_url: None,
            users: Vec::new(),
            allowed_redirects: Vec::new(),
            dwolla_timeout: Duration::from_secs(10),
            token_refresh_margin: Duration::from_secs(60),
        }
    }
}

impl fmt::Debug for BackendConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackendConfig")
            .field("dwolla_url", &self.dwolla_url)
            .field("credentials", &self.credentials)
            .field("public_url", &self.public_url)
            .field("users", &self.users)
            .field("allowed_redirects", &self.allowed_redirects)
            .field("dwolla_timeout", &self.dwolla_timeout)
            .field("token_refresh_margin", &self.token_refresh_margin)
            .finish()
    }
}

/// The kinds of resources whose creator the backend remembers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Session,
    Exchange,
    FundingSource,
}

impl Kind {
    pub(crate) fn collection(self) -> &'static str {
        match self {
            Kind::Session => "exchange-sessions",
            Kind::Exchange => "exchanges",
            Kind::FundingSource => "funding-sources",
        }
    }
}

pub(crate) struct Inner {
    pub(crate) dwolla: DwollaClient,
    pub(crate) rw: Rewriter,
    pub(crate) users: HashMap<String, AppUser>,
    pub(crate) allowed: Vec<String>,
    pub(crate) owners: Mutex<HashMap<(Kind, String), String>>,
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
            .field("users", &self.inner.users.len())
            .finish()
    }
}

impl Backend {
    /// A backend answering at `public_url`.
    pub fn new(config: BackendConfig, public_url: &str) -> Result<Self, DwollaError> {
        let dwolla = DwollaClient::new(
            &config.dwolla_url,
            config.credentials,
            config.dwolla_timeout,
            config.token_refresh_margin,
        )?;
        let rw = Rewriter::new(&config.dwolla_url, public_url);
        let users = config
            .users
            .into_iter()
            .map(|u| (u.token.clone(), u))
            .collect();
        Ok(Backend {
            inner: Arc::new(Inner {
                dwolla,
                rw,
                users,
                allowed: config.allowed_redirects,
                owners: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The router serving the backend contract.
    pub fn router(&self) -> Router {
        routes::router(self.clone())
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
/// `listener` until shut down.
pub async fn start_backend(
    config: BackendConfig,
    listener: TcpListener,
) -> std::io::Result<RunningBackend> {
    let addr = listener.local_addr()?;
    let public = config.public_url.clone().unwrap_or_else(|| http_url(addr));
    let backend =
        Backend::new(config, &public).map_err(|e| std::io::Error::other(e.to_string()))?;
    let app = backend.router();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    log::info!("backend listening on {addr}");
    Ok(RunningBackend {
        url: backend.public_url(),
        addr,
        backend,
        stop: Some(stop),
        task: Some(task),
    })
}
