//! `sample-backend`: the reference app backend for iav-bridge, and a Dwolla simulator.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use dwolla_simulator::cli::{self as simulator_cli, write_ready_file, SimulateArgs};
use dwolla_simulator::{RunningSimulator, SimulatorConfig};
use sample_backend::backend::{
    self, logger, AppUser, AuthMode, Backend, BackendConfig, DwollaCredentials, JwtConfig, Limits,
    NewSubjects, SqlStore, Tls, UsersFile, DWOLLA_PRODUCTION, DWOLLA_SANDBOX,
};
use sample_backend::{start_simulated_dwolla, StackOptions};
use serde_json::json;
use tokio::net::TcpListener;

/// The reference app backend for iav-bridge.
///
/// Serves Dwolla's exchange-session resources (exchange partners, exchange sessions, exchanges,
/// funding sources) under its own URL to mobile apps that authenticate with
/// `Authorization: Bearer <app user token>`, keeping Dwolla's client credentials on the server.
/// With `--dwolla simulated` (the default) it starts a Dwolla simulator in-process and creates the
/// demo users `demo-alice` and `demo-bob`. Logs go to stderr (level from RUST_LOG, default info)
/// and never contain credentials or tokens. Stops gracefully on SIGINT or SIGTERM.
#[derive(Debug, Parser)]
#[command(
    name = "sample-backend",
    version,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

// Parsed once at start: the size of the serve arguments does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the app backend (the default when no subcommand is given).
    Serve(Box<ServeArgs>),
    /// Serve only the simulated Dwolla API (plus its /sim/ control surface); prints its URL,
    /// client key and secret, and the demo customer's id. The `dwolla-simulator` binary does
    /// the same.
    Simulate(SimulateArgs),
}

/// Which Dwolla the backend talks to (`--dwolla`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum DwollaMode {
    /// An in-process Dwolla simulator on an ephemeral loopback port.
    Simulated,
    /// Dwolla's sandbox (https://api-sandbox.dwolla.com).
    Sandbox,
    /// Dwolla's production API (https://api.dwolla.com).
    Production,
    /// Any Dwolla-compatible base URL, such as a `sample-backend simulate` shared by several
    /// backends.
    Url(String),
}

/// Parses `--dwolla`: `simulated`, `sandbox`, `production` or an http(s) base URL. The refusal
/// does not repeat the value (it could hold credentials).
fn parse_dwolla(value: &str) -> Result<DwollaMode, String> {
    let base_url = |u: &url::Url| {
        matches!(u.scheme(), "http" | "https")
            && u.has_host()
            && u.username().is_empty()
            && u.password().is_none()
    };
    match value {
        "simulated" => Ok(DwollaMode::Simulated),
        "sandbox" => Ok(DwollaMode::Sandbox),
        "production" => Ok(DwollaMode::Production),
        url => match url::Url::parse(url) {
            Ok(u) if base_url(&u) => Ok(DwollaMode::Url(url.trim_end_matches('/').to_string())),
            _ => Err(
                "--dwolla: expected simulated, sandbox, production or an http(s) base URL \
                      without credentials (e.g. http://127.0.0.1:8081)"
                    .into(),
            ),
        },
    }
}

#[derive(Debug, Clone, Args)]
struct ServeArgs {
    /// Address to listen on (port 0: any free port; see --ready-file).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Which Dwolla to talk to: `simulated` (an in-process simulator), `sandbox`
    /// (https://api-sandbox.dwolla.com), `production` (https://api.dwolla.com), or the base URL
    /// of any Dwolla-compatible API (such as a `sample-backend simulate` that several backends
    /// share). All but `simulated` take DWOLLA_KEY and DWOLLA_SECRET from the environment and
    /// require --users or --auth jwt.
    #[arg(long, default_value = "simulated", value_name = "MODE|URL")]
    dwolla: String,
    /// Where owners of resources, idempotency keys and the users file's users are kept:
    /// `sqlite:PATH`, `sqlite::memory:` or `postgres://USER:PASSWORD@HOST:PORT/DATABASE` (several
    /// instances behind one load balancer share one PostgreSQL database). Also read from
    /// DATABASE_URL, which keeps a password off the command line. Default: in memory with the
    /// simulated Dwolla; otherwise the SQLite file sample-backend.db in the working directory.
    /// Migrations run at start.
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// The URL apps reach this backend at; hrefs and Location headers are rewritten onto it. An
    /// absolute http(s) URL with a host and without user info, query or fragment (a path such
    /// as https://api.example.com/dwolla/ is fine). Default: http://<listen address> (https
    /// with --tls-cert).
    #[arg(long)]
    public_url: Option<String>,
    /// How app users sign in: `users` (bearer tokens of --users, or the simulated mode's demo
    /// users; for development) or `jwt` (bearer JWTs of the OIDC issuer --jwt-issuer, for
    /// deployment).
    #[arg(long, default_value = "users", value_name = "users|jwt")]
    auth: String,
    /// TOML file of app users (--auth users): a [users] table of `"<bearer token>" = "<Dwolla
    /// customer id>"` (or `name = { token = "...", customer = "..." }`), tokens of at least 16
    /// characters, and optionally `generation = N`. Stored in the database at start as a new
    /// generation when it changed (users it no longer lists are refused on every instance); a
    /// file older than the database's refuses to start. Required for sandbox and production
    /// without --auth jwt; in simulated mode without it, the demo users demo-alice and demo-bob
    /// are created.
    #[arg(long, value_name = "FILE")]
    users: Option<PathBuf>,
    /// File holding the secret (at least 32 bytes) with which the users' tokens are stored as
    /// HMAC-SHA256; also read from IAV_USERS_SECRET. Every instance on one database must have
    /// the same. Default: a random secret kept in the database (development only).
    #[arg(long, value_name = "FILE")]
    users_secret_file: Option<PathBuf>,
    /// The OIDC issuer of the bearer JWTs (--auth jwt): its `iss`, whose
    /// /.well-known/openid-configuration gives the JWKS. https only (http on 127.0.0.1, ::1 and
    /// localhost for development).
    #[arg(long, value_name = "URL")]
    jwt_issuer: Option<String>,
    /// The audience (`aud`) the JWTs must name: this backend's client id or API identifier.
    #[arg(long, value_name = "AUD")]
    jwt_audience: Option<String>,
    /// The issuer's JWKS URL, instead of the one of its openid-configuration.
    #[arg(long, value_name = "URL")]
    jwks_url: Option<String>,
    /// A signed-in subject with no Dwolla customer in the database: `create` one (unverified,
    /// from the token's email, given_name and family_name) or `refuse` (403).
    #[arg(long, default_value = "refuse", value_name = "create|refuse")]
    jwt_new_users: String,
    /// The clock skew allowed on a JWT's exp, nbf and iat, in seconds.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    jwt_leeway: f64,
    /// The shortest time between two JWKS fetches for tokens naming an unknown key id, in
    /// seconds (a key rotation is picked up at most this late; a flood of made-up key ids costs
    /// the issuer one fetch per interval).
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    jwks_refresh_interval: f64,
    /// A redirect value apps may send in `_links.redirect-url.href` (an Android package name or
    /// an iOS https universal link), matched exactly; repeatable. Simulated default:
    /// com.example.app and https://example.com/app; otherwise none (every redirect refused).
    #[arg(long = "allowed-redirect", value_name = "VALUE")]
    allowed_redirects: Vec<String>,
    /// Time limit of one request to Dwolla, in seconds.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    dwolla_timeout: f64,
    /// Time a client may take to send a request's head (from its first byte; on a new
    /// connection from its start), and a TLS handshake, in seconds; then the connection is
    /// closed.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    header_timeout: f64,
    /// Time a client may take to send a request's body, in seconds; then 408 and the connection
    /// is closed.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    body_timeout: f64,
    /// Time a keep-alive connection may stay open with no request, in seconds.
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    idle_timeout: f64,
    /// Client connections open at once. At the limit, a new connection closes the one waiting
    /// longest without a request in flight (idle between keep-alive requests, or still sending
    /// its request head); only while every connection has a request in flight do new ones wait
    /// in the listen backlog. Keep it below the file-descriptor limit (ulimit -n).
    #[arg(long, default_value_t = 1024, value_name = "N")]
    max_connections: usize,
    /// App requests talking to Dwolla at once; more wait up to 2 s, then get 503 with
    /// Retry-After (nothing sent to Dwolla).
    #[arg(long, default_value_t = 64, value_name = "N")]
    max_dwolla_requests: usize,
    /// The least rate, in bytes a second, at which a request body must arrive once
    /// --body-grace has passed; a slower body gets 408 and its connection is closed.
    #[arg(long, default_value_t = 500, value_name = "BYTES")]
    body_min_rate: u32,
    /// How long a request body may take before --body-min-rate applies, in seconds.
    #[arg(long, default_value_t = 2.0, value_name = "SECONDS")]
    body_grace: f64,
    /// Requests one signed-in user may have in flight at once; more get 429 with Retry-After.
    #[arg(long, default_value_t = 64, value_name = "N")]
    user_max_requests: usize,
    /// Requests a second one signed-in user may send, sustained; more get 429 with
    /// Retry-After.
    #[arg(long, default_value_t = 20, value_name = "N")]
    user_rate: u32,
    /// Requests one signed-in user may send at once above --user-rate.
    #[arg(long, default_value_t = 200, value_name = "N")]
    user_burst: u32,
    /// Requests without a valid bearer token (health checks, refused tokens) one peer address
    /// (IPv6: one /64) may have in flight at once; more get 429 with Retry-After.
    #[arg(long, default_value_t = 64, value_name = "N")]
    peer_max_requests: usize,
    /// Requests a second without a valid bearer token one peer address may send, sustained.
    #[arg(long, default_value_t = 20, value_name = "N")]
    peer_rate: u32,
    /// Requests without a valid bearer token one peer address may send at once above
    /// --peer-rate.
    #[arg(long, default_value_t = 200, value_name = "N")]
    peer_burst: u32,
    /// PEM certificate chain: serve HTTPS (rustls) instead of HTTP; needs --tls-key.
    #[arg(long, requires = "tls_key", value_name = "FILE")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, requires = "tls_cert", value_name = "FILE")]
    tls_key: Option<PathBuf>,
    /// Once listening, write {"backendUrl","listenAddr","simulatorUrl","users":[{"name","token",
    /// "customerId"}]} to this file (atomically: written aside, then renamed). Users from a
    /// --users file are not listed.
    #[arg(long, value_name = "FILE")]
    ready_file: Option<PathBuf>,
}

/// Completes on SIGINT or SIGTERM, logging that the server stops.
async fn shutdown_signal() {
    simulator_cli::shutdown_signal().await;
    log::info!("shutting down");
}

/// A listener on `listen`, or the error to print.
async fn bind(listen: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))
}

/// The backend's configuration for `--dwolla`: in simulated mode a simulator is started (and
/// returned) with the demo users unless `--users` is given; otherwise Dwolla's sandbox or
/// production with DWOLLA_KEY, DWOLLA_SECRET and `--users`.
async fn dwolla_config(
    args: &ServeArgs,
    mode: &DwollaMode,
    dwolla_timeout: Duration,
    file: Option<&UsersFile>,
    jwt: bool,
) -> Result<(BackendConfig, Option<RunningSimulator>), String> {
    match mode {
        DwollaMode::Simulated => {
            // With JWTs, no demo users: customers come from the database (or are created).
            let users = match file {
                Some(f) => Some(f.users.clone()),
                None if jwt => Some(Vec::new()),
                None => None,
            };
            let opts = StackOptions {
                allowed_redirects: (!args.allowed_redirects.is_empty())
                    .then(|| args.allowed_redirects.clone()),
                dwolla_timeout,
                // Nobody else on the machine can take tokens from this simulator.
                simulator: SimulatorConfig::with_random_credentials(),
                users,
                // The flags' limits are set by the caller.
                ..StackOptions::default()
            };
            let listener = bind("127.0.0.1:0".parse().expect("a literal address")).await?;
            let simulated = start_simulated_dwolla(opts, listener)
                .await
                .map_err(|e| format!("cannot start the simulator: {e}"))?;
            Ok((simulated.config, Some(simulated.simulator)))
        }
        DwollaMode::Sandbox | DwollaMode::Production | DwollaMode::Url(_) => {
            let url = match mode {
                DwollaMode::Sandbox => DWOLLA_SANDBOX,
                DwollaMode::Url(url) => url.as_str(),
                _ => DWOLLA_PRODUCTION,
            };
            let key = std::env::var("DWOLLA_KEY").unwrap_or_default();
            let secret = std::env::var("DWOLLA_SECRET").unwrap_or_default();
            if key.is_empty() || secret.is_empty() {
                return Err("DWOLLA_KEY and DWOLLA_SECRET must be set in the environment".into());
            }
            let users = match file {
                Some(f) => f.users.clone(),
                None if jwt => Vec::new(),
                None => {
                    return Err(
                        "--users (or --auth jwt) is required with a real Dwolla (demo \
                                users exist only in simulated mode)"
                            .into(),
                    )
                }
            };
            if args.allowed_redirects.is_empty() {
                log::warn!("no --allowed-redirect given: every redirect-url will be refused");
            }
            let mut config = BackendConfig::new(url, DwollaCredentials { key, secret });
            config.users = users;
            config.allowed_redirects = args.allowed_redirects.clone();
            config.dwolla_timeout = dwolla_timeout;
            Ok((config, None))
        }
    }
}

/// The SQLite file used by default with a real Dwolla.
const DEFAULT_DATABASE_FILE: &str = "sample-backend.db";

/// Opens (and migrates) the store `--database` or DATABASE_URL names, or the default: in memory
/// with the simulated Dwolla, else [`DEFAULT_DATABASE_FILE`]. Prints which it is (never a
/// password).
async fn open_store(args: &ServeArgs, mode: &DwollaMode) -> Result<SqlStore, String> {
    let url = match args
        .database
        .clone()
        .or_else(|| std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()))
    {
        Some(url) => url,
        None if *mode == DwollaMode::Simulated => "sqlite::memory:".to_string(),
        None => {
            let path = std::env::current_dir()
                .map(|d| d.join(DEFAULT_DATABASE_FILE))
                .unwrap_or_else(|_| PathBuf::from(DEFAULT_DATABASE_FILE));
            format!("sqlite:{}", path.display())
        }
    };
    let store = SqlStore::open(&url).await.map_err(|e| e.to_string())?;
    println!("database: {}", store.description());
    Ok(store)
}

/// Prints the backend's URL, the simulator's, the allow-list and the demo users, and writes the
/// ready file when asked.
fn announce(
    args: &ServeArgs,
    backend: &Backend,
    addr: SocketAddr,
    sim: Option<&RunningSimulator>,
    users: &[AppUser],
    allowed: &[String],
) -> Result<(), String> {
    println!(
        "iav-bridge sample backend: {} (listening on {addr})",
        backend.public_url()
    );
    if let Some(s) = sim {
        println!("Dwolla simulator: {}", s.url);
    }
    println!(
        "allowed redirects: {}",
        if allowed.is_empty() {
            "(none)".to_string()
        } else {
            allowed.join(", ")
        }
    );
    if args.auth == "jwt" {
        println!(
            "sign-in: bearer JWTs of {}",
            args.jwt_issuer.as_deref().unwrap_or("")
        );
    } else if args.users.is_none() {
        for u in users {
            println!(
                "demo user {}: Authorization: Bearer {} (customer {})",
                u.name, u.token, u.customer_id
            );
        }
    } else {
        println!("{} users from the users file", users.len());
    }
    if let Some(path) = &args.ready_file {
        // Users from a file are not written out: their tokens are real credentials.
        let listed: Vec<_> = if args.users.is_none() {
            users
                .iter()
                .map(|u| json!({"name": u.name, "token": u.token, "customerId": u.customer_id}))
                .collect()
        } else {
            Vec::new()
        };
        let ready = json!({
            "backendUrl": backend.public_url(),
            "listenAddr": addr.to_string(),
            "simulatorUrl": sim.map(|s| s.url.clone()),
            "users": listed,
        });
        write_ready_file(path, &ready).map_err(|e| format!("cannot write the ready file: {e}"))?;
    }

    Ok(())
}

/// Serves `app` on `listener` with `limits` (HTTPS with `tls` = certificate and key files) until
/// SIGINT or SIGTERM; the error to print when the TLS files cannot be used.
async fn serve_until_signal(
    listener: TcpListener,
    app: axum::Router,
    limits: Limits,
    tls: Option<(&Path, &Path)>,
) -> Result<std::io::Result<()>, String> {
    let tls = match tls {
        Some((cert, key)) => Some(
            Tls::from_pem_files(cert, key)
                .map_err(|e| format!("cannot load the TLS certificate or key: {e}"))?,
        ),
        None => None,
    };
    Ok(backend::serve(listener, app, limits, tls, shutdown_signal()).await)
}

/// The sign-in mode of `--auth` and the `--jwt-*` options.
fn auth_mode(args: &ServeArgs) -> Result<AuthMode, String> {
    match args.auth.as_str() {
        "users" => {
            if args.jwt_issuer.is_some() || args.jwt_audience.is_some() || args.jwks_url.is_some() {
                return Err("--jwt-issuer, --jwt-audience and --jwks-url need --auth jwt".into());
            }
            Ok(AuthMode::Users)
        }
        "jwt" => {
            if args.users.is_some() {
                return Err(
                    "--users is for --auth users; with --auth jwt the database maps \
                            each subject to its customer"
                        .into(),
                );
            }
            let (Some(issuer), Some(audience)) = (&args.jwt_issuer, &args.jwt_audience) else {
                return Err("--auth jwt needs --jwt-issuer and --jwt-audience".into());
            };
            if audience.is_empty() {
                return Err("--jwt-audience must not be empty".into());
            }
            let mut config = JwtConfig::new(issuer.clone(), audience.clone());
            config.jwks_url = args.jwks_url.clone();
            config.leeway =
                Duration::from_secs_f64(seconds_or_zero("--jwt-leeway", args.jwt_leeway)?.round());
            config.min_refresh_interval =
                seconds("--jwks-refresh-interval", args.jwks_refresh_interval)?;
            config.new_subjects = match args.jwt_new_users.as_str() {
                "create" => NewSubjects::Create,
                "refuse" => NewSubjects::Refuse,
                _ => return Err("--jwt-new-users must be create or refuse".into()),
            };
            config.check().map_err(|e| e.to_string())?;
            Ok(AuthMode::Jwt(config))
        }
        _ => Err("--auth must be users or jwt".into()),
    }
}

/// A number of seconds from 0 to 600 (`--jwt-leeway`).
fn seconds_or_zero(flag: &str, value: f64) -> Result<f64, String> {
    if value.is_finite() && (0.0..=600.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{flag} must be a number of seconds from 0 to 600"))
    }
}

/// The users secret of `--users-secret-file` or IAV_USERS_SECRET (at least 32 bytes), if given.
fn users_secret(args: &ServeArgs) -> Result<Option<Vec<u8>>, String> {
    let secret = match &args.users_secret_file {
        Some(path) => {
            let mut bytes =
                std::fs::read(path).map_err(|e| format!("cannot read --users-secret-file: {e}"))?;
            while bytes.last().is_some_and(u8::is_ascii_whitespace) {
                bytes.pop();
            }
            Some(bytes)
        }
        None => std::env::var("IAV_USERS_SECRET")
            .ok()
            .filter(|s| !s.is_empty())
            .map(String::into_bytes),
    };
    match secret {
        Some(s) if s.len() < backend::users::MIN_SECRET_BYTES => Err(format!(
            "the users secret (--users-secret-file or IAV_USERS_SECRET) must have at least {} bytes",
            backend::users::MIN_SECRET_BYTES
        )),
        s => Ok(s),
    }
}

/// A number of seconds from `flag` as a duration: more than 0, at most 3600.
fn seconds(flag: &str, value: f64) -> Result<Duration, String> {
    if value.is_finite() && value > 0.0 && value <= 3600.0 {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(format!(
            "{flag} must be a number of seconds above 0 and at most 3600"
        ))
    }
}

/// A count from `flag`: at least 1.
fn at_least_one<T: PartialOrd + From<u8>>(flag: &str, value: T) -> Result<T, String> {
    if value >= T::from(1) {
        Ok(value)
    } else {
        Err(format!("{flag} must be at least 1"))
    }
}

/// The limits the flags ask for (the others at their defaults).
fn limits(args: &ServeArgs) -> Result<Limits, String> {
    Ok(Limits {
        header_read_timeout: seconds("--header-timeout", args.header_timeout)?,
        body_read_timeout: seconds("--body-timeout", args.body_timeout)?,
        idle_timeout: seconds("--idle-timeout", args.idle_timeout)?,
        max_connections: at_least_one("--max-connections", args.max_connections)?,
        max_dwolla_requests: at_least_one("--max-dwolla-requests", args.max_dwolla_requests)?,
        body_min_rate: at_least_one("--body-min-rate", args.body_min_rate)?,
        body_rate_grace: seconds("--body-grace", args.body_grace)?,
        user_max_requests: at_least_one("--user-max-requests", args.user_max_requests)?,
        user_rate: at_least_one("--user-rate", args.user_rate)?,
        user_burst: at_least_one("--user-burst", args.user_burst)?,
        peer_max_requests: at_least_one("--peer-max-requests", args.peer_max_requests)?,
        peer_rate: at_least_one("--peer-rate", args.peer_rate)?,
        peer_burst: at_least_one("--peer-burst", args.peer_burst)?,
        ..Limits::default()
    })
}

/// Checks `--public-url`: an absolute http(s) URL with a host, without user info (a password
/// would be printed and put into every href), query or fragment (hrefs are built under it).
/// The refusal does not repeat the value.
fn check_public_url(value: &str) -> Result<(), String> {
    let usable = url::Url::parse(value).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https")
            && u.has_host()
            && u.username().is_empty()
            && u.password().is_none()
            && u.query().is_none()
            && u.fragment().is_none()
    });
    if usable {
        Ok(())
    } else {
        Err(
            "--public-url must be an absolute http(s) URL with a host and without user info, \
             query or fragment (e.g. https://api.example.com/dwolla/)"
                .into(),
        )
    }
}

/// `sample-backend serve`: checks the arguments, configures the backend in front of the chosen
/// Dwolla, prints what apps need and serves until SIGINT or SIGTERM.
async fn serve(args: ServeArgs) -> Result<(), String> {
    let mode = parse_dwolla(&args.dwolla)?;
    let dwolla_timeout = seconds("--dwolla-timeout", args.dwolla_timeout)?;
    let limits = limits(&args)?;
    if let Some(public) = &args.public_url {
        check_public_url(public)?;
    }
    let listener = bind(args.listen).await?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))?;
    let scheme = if args.tls_cert.is_some() {
        "https"
    } else {
        "http"
    };
    let public = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("{scheme}://{addr}"));
    check_public_url(&public)?;

    let auth = auth_mode(&args)?;
    let jwt = matches!(auth, AuthMode::Jwt(_));
    let file = match &args.users {
        Some(path) => Some(backend::users::load_users_file(path).map_err(|e| e.to_string())?),
        None => None,
    };
    let users_secret = users_secret(&args)?;
    let (mut config, sim) = dwolla_config(&args, &mode, dwolla_timeout, file.as_ref(), jwt).await?;
    let store = open_store(&args, &mode).await?;
    if !jwt && users_secret.is_none() && mode != DwollaMode::Simulated {
        log::warn!(
            "no --users-secret-file or IAV_USERS_SECRET: the users' tokens are hashed with a \
             secret kept in the database (development only)"
        );
    }
    config.auth = auth;
    config.users_generation = file.as_ref().and_then(|f| f.generation);
    config.users_secret = users_secret;
    config.store = Arc::new(store);
    config.public_url = Some(public.clone());
    config.limits = limits.clone();
    let users = config.users.clone();
    let allowed = config.allowed_redirects.clone();
    let backend = Backend::new(config, &public).map_err(|e| e.to_string())?;
    backend.prepare().await.map_err(|e| e.to_string())?;
    let app = backend.router();

    announce(&args, &backend, addr, sim.as_ref(), &users, &allowed)?;

    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some((cert.as_path(), key.as_path())),
        _ => None,
    };
    let result = serve_until_signal(listener, app, limits, tls).await?;
    if let Some(s) = sim {
        s.shutdown().await;
    }
    result.map_err(|e| format!("server error: {e}"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    logger::init(logger::level_from_env());
    sample_backend::install_crypto_provider();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sample-backend: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Some(Command::Simulate(args)) => simulator_cli::simulate(args, shutdown_signal()).await,
            Some(Command::Serve(args)) => serve(*args).await,
            None => serve(cli.serve).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sample-backend: {e}");
            ExitCode::from(2)
        }
    }
}
