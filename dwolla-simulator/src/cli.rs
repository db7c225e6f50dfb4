//! The command line of the `dwolla-simulator` binary, which `sample-backend simulate` shares: its
//! flags ([`SimulateArgs`]) and what a run does ([`simulate`]), plus the two helpers both binaries
//! use ([`write_ready_file`], [`shutdown_signal`]).

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::{Simulator, SimulatorConfig};

/// The flags of a simulator run (`dwolla-simulator`, `sample-backend simulate`).
#[derive(Debug, Clone, clap::Args)]
pub struct SimulateArgs {
    /// Address to listen on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:8081")]
    pub listen: SocketAddr,
    /// Client key the simulated `POST /token` accepts (default: drawn at random for this run,
    /// printed and written to the ready file).
    #[arg(long)]
    pub key: Option<String>,
    /// Client secret the simulated `POST /token` accepts (default: drawn at random for this run,
    /// printed and written to the ready file).
    #[arg(long)]
    pub secret: Option<String>,
    /// Once listening, write {"simulatorUrl","clientKey","clientSecret","demoCustomerId"} to
    /// this file (atomically).
    #[arg(long, value_name = "FILE")]
    pub ready_file: Option<PathBuf>,
}

/// Serves a simulator as `args` asks until `shutdown` completes: prints its URL, client key and
/// secret and the demo customer's id on stdout, and writes them to the ready file when one is
/// asked for. The error is the sentence to print.
pub async fn simulate(
    args: SimulateArgs,
    shutdown: impl Future<Output = ()>,
) -> Result<(), String> {
    let mut config = SimulatorConfig::with_random_credentials();
    if let Some(key) = &args.key {
        config.client_key.clone_from(key);
    }
    if let Some(secret) = &args.secret {
        config.client_secret.clone_from(secret);
    }
    let (key, secret) = (config.client_key.clone(), config.client_secret.clone());
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let sim = Simulator::new(config)
        .serve(listener)
        .await
        .map_err(|e| format!("cannot start the simulator: {e}"))?;
    let customer = sim.simulator.demo_customer_id();
    println!("Dwolla simulator: {}", sim.url);
    println!("client key:       {key}");
    println!("client secret:    {secret}");
    println!("demo customer:    {customer}");
    if let Some(path) = &args.ready_file {
        let ready = json!({
            "simulatorUrl": sim.url,
            "clientKey": key,
            "clientSecret": secret,
            "demoCustomerId": customer,
        });
        write_ready_file(path, &ready).map_err(|e| format!("cannot write the ready file: {e}"))?;
    }
    shutdown.await;
    sim.shutdown().await;
    Ok(())
}

/// Writes `value` (and a newline) to `path` atomically: a temporary file beside it, then a rename.
pub fn write_ready_file(path: &Path, value: &serde_json::Value) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, format!("{value}\n"))?;
    std::fs::rename(&tmp, path)
}

/// Completes on SIGINT or (on Unix) SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
