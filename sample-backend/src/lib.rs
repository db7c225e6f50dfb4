//! The reference app backend for iav-bridge and a Dwolla simulator.
//!
//! [`start_stack`] starts both on ephemeral loopback ports (for tests and examples);
//! [`backend::start_backend`] starts a backend in front of any Dwolla URL.

pub mod backend;
mod hal;
pub mod simulator;

pub use hal::HAL_JSON;

use std::fmt;
use std::time::Duration;

use backend::{AppUser, BackendConfig, DwollaCredentials, RunningBackend};
use simulator::{RunningSimulator, Simulator, SimulatorConfig};

/// Installs rustls' `ring` provider as the process default (needed before any TLS client or
/// server is built). Does nothing when a provider is already installed.
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// How [`start_stack`] sets up the simulator and the backend.
#[derive(Debug, Clone)]
pub struct StackOptions {
    /// Redirect values the backend and the simulated Dwolla account accept; `None`:
    /// [`backend::DEFAULT_ALLOWED_REDIRECTS`].
    pub allowed_redirects: Option<Vec<String>>,
    /// The backend's time limit for one Dwolla request.
    pub dwolla_timeout: Duration,
    /// The simulator's settings (credentials, token lifetime, environment).
    pub simulator: SimulatorConfig,
}

impl Default for StackOptions {
    fn default() -> Self {
        StackOptions {
            allowed_redirects: None,
            dwolla_timeout: Duration::from_secs(10),
            simulator: SimulatorConfig::default(),
        }
    }
}

/// A demo app user: a bearer token and the simulated customer it acts as. `Debug` hides the token.
#[derive(Clone, PartialEq, Eq)]
pub struct DemoUser {
    /// `alice` or `bob`.
    pub name: String,
    /// The bearer token (`demo-alice`, `demo-bob`).
    pub token: String,
    /// The simulated Dwolla customer's id.
    pub customer_id: String,
}

impl fmt::Debug for DemoUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DemoUser")
            .field("name", &self.name)
            .field("token", &"<redacted>")
            .field("customer_id", &self.customer_id)
            .finish()
    }
}

impl From<DemoUser> for AppUser {
    fn from(u: DemoUser) -> Self {
        AppUser {
            name: u.name,
            token: u.token,
            customer_id: u.customer_id,
        }
    }
}

/// Creates the demo users `alice` (token `demo-alice`) and `bob` (token `demo-bob`), each with a
/// new customer in `simulator`.
pub fn create_demo_users(simulator: &Simulator) -> Vec<DemoUser> {
    [("alice", "Alice"), ("bob", "Bob")]
        .into_iter()
        .map(|(name, first)| DemoUser {
            name: name.to_string(),
            token: format!("demo-{name}"),
            customer_id: simulator.create_customer(first, "Demo", &format!("{name}@example.com")),
        })
        .collect()
}

/// A simulator and a backend in front of it, on ephemeral 127.0.0.1 ports; both stop when the
/// stack is dropped.
pub struct Stack {
    /// The backend's URL, with a trailing slash (`http://127.0.0.1:PORT/`).
    pub backend_url: String,
    /// The simulator's URL, without a trailing slash (`http://127.0.0.1:PORT`).
    pub simulator_url: String,
    /// The simulator's controls.
    pub simulator: Simulator,
    /// The demo users `alice` and `bob`.
    pub users: Vec<DemoUser>,
    backend: RunningBackend,
    _sim: RunningSimulator,
}

impl fmt::Debug for Stack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stack")
            .field("backend_url", &self.backend_url)
            .field("simulator_url", &self.simulator_url)
            .field("users", &self.users)
            .finish()
    }
}

impl Stack {
    /// The demo user named `name` (`alice`, `bob`).
    pub fn user(&self, name: &str) -> Option<&DemoUser> {
        self.users.iter().find(|u| u.name == name)
    }

    /// The backend's state (e.g. how many Dwolla tokens it fetched).
    pub fn backend(&self) -> &backend::Backend {
        &self.backend.backend
    }
}

/// Starts the Dwolla simulator and a backend in front of it on ephemeral 127.0.0.1 ports, with
/// the demo users `alice` and `bob`.
pub async fn start_stack(opts: StackOptions) -> std::io::Result<Stack> {
    let allowed = opts.allowed_redirects.unwrap_or_else(|| {
        backend::DEFAULT_ALLOWED_REDIRECTS
            .iter()
            .map(|s| s.to_string())
            .collect()
    });
    let creds = DwollaCredentials {
        key: opts.simulator.client_key.clone(),
        secret: opts.simulator.client_secret.clone(),
    };
    let sim_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let sim = Simulator::new(opts.simulator).serve(sim_listener).await?;
    sim.simulator.set_allowed_redirect_urls(allowed.clone());
    let users = create_demo_users(&sim.simulator);
    let mut config = BackendConfig::new(sim.url.clone(), creds);
    config.users = users.iter().cloned().map(AppUser::from).collect();
    config.allowed_redirects = allowed;
    config.dwolla_timeout = opts.dwolla_timeout;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let backend = backend::start_backend(config, listener).await?;
    Ok(Stack {
        backend_url: backend.url.clone(),
        simulator_url: sim.url.clone(),
        simulator: sim.simulator.clone(),
        users,
        backend,
        _sim: sim,
    })
}
