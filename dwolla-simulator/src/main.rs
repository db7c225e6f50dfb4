//! `dwolla-simulator`: Dwolla's API for the exchange-session flow, simulated in memory.

use std::process::ExitCode;

use clap::Parser;
use dwolla_simulator::cli::{self, SimulateArgs};

/// A simulated Dwolla API for the exchange-session flow (Plaid, MX, Checkout.com), in memory.
///
/// Serves Dwolla's paths (`POST /token`, exchange partners, customers, exchange sessions,
/// exchanges, funding sources) with Dwolla's media type, status codes and error bodies, plus a
/// `/sim/` control surface (no auth, JSON) that stands in for the partners' pages and injects
/// faults. Point a backend's Dwolla base URL at the printed URL and give it the printed client key
/// and secret. Stops on SIGINT or SIGTERM; all state is lost.
#[derive(Debug, Parser)]
#[command(name = "dwolla-simulator", version)]
struct Cli {
    #[command(flatten)]
    args: SimulateArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("dwolla-simulator: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::simulate(cli.args, cli::shutdown_signal())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dwolla-simulator: {e}");
            ExitCode::from(2)
        }
    }
}
