//! The simulated stack: a Dwolla simulator and a backend configured in front of it, with demo
//! users. [`start_simulated_dwolla`] is the one builder behind [`start_stack`] (tests, examples)
//! and `sample-backend serve --dwolla simulated`.

use std::fmt;
use std::time::Duration;

use crate::backend::{self, AppUser, BackendConfig, DwollaCredentials, RunningBackend};
use dwolla_simulator::{RunningSimulator, Simulator, SimulatorConfig};

/// How [`start_stack`] and [`start_simulated_dwolla`] set up the simulator and the backend.
#[derive(Debug, Clone)]
pub struct StackOptions {
    /// Redirect values the backend and the simulated Dwolla account accept; `None`:
    /// [`backend::DEFAULT_ALLOWED_REDIRECTS`].
    pub allowed_redirects: Option<Vec<String>>,
    /// The backend's time limit for one Dwolla request.
    pub dwolla_timeout: Duration,
    /// The simulator's settings (credentials, token lifetime, environment).
    pub simulator: SimulatorConfig,
    /// The app users; `None`: the demo users `alice` and `bob`, each with a new simulated
    /// customer.
    pub users: Option<Vec<AppUser>>,
    /// The backend's limits (default: [`backend::Limits::default`]).
    pub limits: backend::Limits,
}

impl Default for StackOptions {
    fn default() -> Self {
        StackOptions {
            allowed_redirects: None,
            dwolla_timeout: Duration::from_secs(10),
            simulator: SimulatorConfig::default(),
            users: None,
            limits: backend::Limits::default(),
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
    /// The demo users `alice` and `bob` (none when [`StackOptions::users`] was given).
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

/// A Dwolla simulator being served, and the configuration of a backend in front of it.
pub struct SimulatedDwolla {
    /// The simulator, served.
    pub simulator: RunningSimulator,
    /// The demo users created in it (none when [`StackOptions::users`] was given).
    pub demo_users: Vec<DemoUser>,
    /// A backend configuration for it: its URL and credentials, the app users, the allow-list
    /// and the Dwolla timeout (`public_url` unset).
    pub config: BackendConfig,
}

impl fmt::Debug for SimulatedDwolla {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimulatedDwolla")
            .field("simulator", &self.simulator)
            .field("demo_users", &self.demo_users)
            .field("config", &self.config)
            .finish()
    }
}

/// Serves a Dwolla simulator on `listener` and configures a backend in front of it: the allowed
/// redirects (also set on the simulated account), the app users (by default the demo users
/// `alice` and `bob`, created in the simulator) and the simulator's credentials.
pub async fn start_simulated_dwolla(
    opts: StackOptions,
    listener: tokio::net::TcpListener,
) -> std::io::Result<SimulatedDwolla> {
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
    let sim = Simulator::new(opts.simulator).serve(listener).await?;
    sim.simulator.set_allowed_redirect_urls(allowed.clone());
    let (demo_users, users) = match opts.users {
        Some(users) => (Vec::new(), users),
        None => {
            let demo = create_demo_users(&sim.simulator);
            let users = demo.iter().cloned().map(AppUser::from).collect();
            (demo, users)
        }
    };
    let mut config = BackendConfig::new(sim.url.clone(), creds);
    config.users = users;
    config.allowed_redirects = allowed;
    config.dwolla_timeout = opts.dwolla_timeout;
    config.limits = opts.limits;
    Ok(SimulatedDwolla {
        simulator: sim,
        demo_users,
        config,
    })
}

/// Starts the Dwolla simulator and a backend in front of it on ephemeral 127.0.0.1 ports, with
/// the demo users `alice` and `bob` (unless [`StackOptions::users`] is given).
pub async fn start_stack(opts: StackOptions) -> std::io::Result<Stack> {
    let sim_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let dwolla = start_simulated_dwolla(opts, sim_listener).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let backend = backend::start_backend(dwolla.config, listener).await?;
    let sim = dwolla.simulator;
    Ok(Stack {
        backend_url: backend.url.clone(),
        simulator_url: sim.url.clone(),
        simulator: sim.simulator.clone(),
        users: dwolla.demo_users,
        backend,
        _sim: sim,
    })
}
