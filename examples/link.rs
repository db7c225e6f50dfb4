//! Runs the whole bank-account verification flow and prints each step.
//!
//! ```text
//! cargo run --example link -- --platform android --package-name com.example.app
//! cargo run --example link -- --platform ios --redirect-url https://example.com/app
//! cargo run --example link -- --platform web
//! cargo run --example link -- --platform android --package-name com.example.app \
//!     --backend https://api.example.com/dwolla/ --token USER_SESSION_TOKEN
//! ```
//!
//! With no `--backend`, it starts the sample-backend with its simulated Dwolla in-process on a
//! loopback port and plays the user's part in Plaid Link through the simulator. With
//! `--backend URL --token T`, it talks to a real app backend and stops once it has the Plaid
//! link token (a person has to finish Link in Plaid's SDK).

use std::process::ExitCode;
use std::sync::Arc;

use iav_bridge::{
    set_log_sink, BankAccountType, BridgeClient, BridgeConfig, Environment, LogLevel, LogRecord,
    LogSink, Platform,
};

// The token provider: an app implements `AccessTokenProvider` in Kotlin or Swift with its
// signed-in user's session token; this example hands out one fixed token (the tests' provider).
#[path = "../tests/support/tokens.rs"]
mod tokens;
use tokens::Tokens;

const USAGE: &str = "\
Runs the bank-account verification flow of iav-bridge and prints each step.

Usage: cargo run --example link -- --platform android|ios|web [options]

Platform:
  --platform P             android, ios or web (required)
  --package-name NAME      Android package name (default com.example.app)
  --redirect-url URL       iOS universal link (default https://example.com/app)

Backend (default: the sample-backend with a simulated Dwolla, started in-process):
  --backend URL            a real app backend (see docs/backend-contract.md)
  --token TOKEN            the app user's bearer token for --backend
  --customer ID            the Dwolla customer id (default me)
  --environment E          sandbox or production (default sandbox)
  --allow-http             allow an http backend URL (Sandbox only)

Output:
  --show-token             print the Plaid link token (redacted by default)
  --verbose                print the library's log records
  -h, --help               this text
";

#[derive(Default)]
struct Args {
    platform: Option<String>,
    package_name: Option<String>,
    redirect_url: Option<String>,
    backend: Option<String>,
    token: Option<String>,
    customer: Option<String>,
    environment: Option<String>,
    allow_http: bool,
    show_token: bool,
    verbose: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args::default();
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--platform" => args.platform = Some(value("--platform")?),
            "--package-name" => args.package_name = Some(value("--package-name")?),
            "--redirect-url" => args.redirect_url = Some(value("--redirect-url")?),
            "--backend" => args.backend = Some(value("--backend")?),
            "--token" => args.token = Some(value("--token")?),
            "--customer" => args.customer = Some(value("--customer")?),
            "--environment" => args.environment = Some(value("--environment")?),
            "--allow-http" => args.allow_http = true,
            "--show-token" => args.show_token = true,
            "--verbose" => args.verbose = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    Ok(args)
}

struct Stderr;

impl LogSink for Stderr {
    fn log(&self, record: LogRecord) {
        eprintln!(
            "  [{:?} {}] {}",
            record.level, record.target, record.message
        );
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) if e.is_empty() => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    if args.verbose {
        set_log_sink(Arc::new(Stderr), LogLevel::Debug);
    }
    let platform = match args.platform.as_deref() {
        Some("android") => Platform::Android {
            package_name: args
                .package_name
                .unwrap_or_else(|| "com.example.app".into()),
        },
        Some("ios") => Platform::Ios {
            redirect_url: args
                .redirect_url
                .unwrap_or_else(|| "https://example.com/app".into()),
        },
        Some("web") => Platform::Web,
        Some(other) => {
            return Err(format!("--platform must be android, ios or web, not '{other}'").into())
        }
        None => return Err("--platform is required (android, ios or web); see --help".into()),
    };
    let environment = match args.environment.as_deref() {
        None | Some("sandbox") => Environment::Sandbox,
        Some("production") => Environment::Production,
        Some(other) => {
            return Err(
                format!("--environment must be sandbox or production, not '{other}'").into(),
            )
        }
    };
    let customer = args.customer.unwrap_or_else(|| "me".into());

    // The embedded default: the sample-backend with a simulated Dwolla, in-process.
    let mut stack = None;
    let (backend_url, token, allow_http) = if let Some(url) = args.backend {
        let token = args
            .token
            .ok_or("--backend needs --token (the app user's bearer token)")?;
        (url, token, args.allow_http)
    } else {
        stack = Some(sample_backend::start_stack(sample_backend::StackOptions::default()).await?);
        let s = stack.as_ref().expect("just set");
        let alice = s.user("alice").ok_or("the stack has no demo user alice")?;
        println!(
            "1. started the sample-backend at {} (simulated Dwolla at {}), signed in as alice",
            s.backend_url, s.simulator_url
        );
        (s.backend_url.clone(), alice.token.clone(), true)
    };

    let mut config = BridgeConfig::new(backend_url, platform.clone(), environment);
    config.allow_insecure_http = allow_http;
    let client = BridgeClient::new(config, Some(Tokens::always(token)))?;
    println!("2. client ready for {platform:?} in {environment:?}");

    let partners = client.exchange_partners().await?;
    let names: Vec<_> = partners.iter().map(|p| p.name.as_str()).collect();
    println!("3. exchange partners: {}", names.join(", "));

    let session = client.start_plaid_link(customer.clone()).await?;
    let shown = if args.show_token {
        session.link_token()
    } else {
        "<redacted; --show-token prints it>".into()
    };
    println!(
        "4. exchange session {} created {}",
        session.session_url(),
        session.created()
    );
    println!("   Plaid link token: {shown}");

    let Some(stack) = stack.as_ref() else {
        println!("5. open Plaid Link with this token in the app; then call complete_plaid_link with the public token Link returns");
        return Ok(());
    };
    let public_token = stack
        .simulator
        .complete_plaid_link(&session.link_token())
        .ok_or("the simulator does not know the link token")?;
    println!("5. the user finished Plaid Link (simulated); Link returned a public token");

    let exchange = client
        .complete_plaid_link(customer.clone(), public_token)
        .await?;
    println!("6. exchange {} is {}", exchange.url, exchange.status);

    let source = client
        .create_funding_source(
            customer,
            exchange.id,
            BankAccountType::Checking,
            "My checking".into(),
        )
        .await?;
    println!(
        "7. funding source '{}' created: {}",
        source.name, source.url
    );
    Ok(())
}
