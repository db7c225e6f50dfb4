//! Benchmarks of the core, printed side by side (run: `cargo bench --bench bridge`).
//!
//! - the two validators per call;
//! - `start_plaid_link` end to end against the sample-backend and its simulator on loopback,
//!   next to the same HTTP requests made with bare reqwest in the same run (the floor),
//!   interleaved so both see the same machine load.
//!
//! Numbers, not assertions: these machines are noisy, so compare the ratios of one run.

use std::hint::black_box;
use std::time::{Duration, Instant};

use iav_bridge::{
    validate_android_package_name, validate_ios_redirect_url, BridgeClient, BridgeConfig,
    Environment, Platform, HAL_JSON,
};

#[path = "../tests/support/tokens.rs"]
mod tokens;
use tokens::Tokens;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn per_call<F: FnMut()>(iterations: usize, mut f: F) -> Duration {
    for _ in 0..iterations / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..iterations {
        f();
    }
    start.elapsed() / u32::try_from(iterations).expect("at most u32::MAX iterations")
}

struct Stats {
    median: Duration,
    p99: Duration,
    mean: Duration,
}

fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort();
    let n = samples.len();
    Stats {
        median: samples[n / 2],
        p99: samples[(n * 99 / 100).min(n - 1)],
        mean: samples.iter().sum::<Duration>()
            / u32::try_from(n).expect("at most u32::MAX samples"),
    }
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn row(name: &str, s: &Stats, floor: &Stats) {
    println!(
        "  {name:<34} median {:>8.1} us  p99 {:>8.1} us  mean {:>8.1} us  median/floor {:.2}x",
        us(s.median),
        us(s.p99),
        us(s.mean),
        s.median.as_secs_f64() / floor.median.as_secs_f64()
    );
}

fn main() {
    // `cargo test --benches` runs this with --bench absent: keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let iterations = if quick {
        1_000
    } else {
        env_usize("BENCH_VALIDATOR_ITERS", 1_000_000)
    };
    let flows = if quick {
        20
    } else {
        env_usize("BENCH_FLOWS", 2_000)
    };

    println!("validators ({iterations} calls each)");
    let pkg = "com.example.app".to_string();
    let url = "https://example.com/app".to_string();
    let a = per_call(iterations, || {
        black_box(validate_android_package_name(black_box(pkg.clone())).is_ok());
    });
    let i = per_call(iterations, || {
        black_box(validate_ios_redirect_url(black_box(url.clone())).is_ok());
    });
    let copy = per_call(iterations, || {
        black_box(black_box(url.clone()));
    });
    println!(
        "  validate_android_package_name      {:>8.1} ns/call",
        a.as_secs_f64() * 1e9
    );
    println!(
        "  validate_ios_redirect_url          {:>8.1} ns/call",
        i.as_secs_f64() * 1e9
    );
    println!(
        "  (String clone of the input alone   {:>8.1} ns/call)",
        copy.as_secs_f64() * 1e9
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(flow_bench(flows));
}

async fn flow_bench(flows: usize) {
    let stack = sample_backend::start_stack(sample_backend::StackOptions::default())
        .await
        .expect("sample-backend");
    let token = stack.user("alice").expect("alice").token.clone();
    let mut cfg = BridgeConfig::new(
        &stack.backend_url,
        Platform::Android {
            package_name: "com.example.app".into(),
        },
        Environment::Sandbox,
    );
    cfg.allow_insecure_http = true;
    let client =
        BridgeClient::new(cfg.clone(), Some(Tokens::always(token.clone()))).expect("client");
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest");
    let base = stack.backend_url.clone();

    // The floor: the requests the bridge makes, with bare reqwest and serde_json.
    let partners_url = format!("{base}exchange-partners");
    let session_url = format!("{base}customers/me/exchange-sessions");
    let plaid_href = async |http: &reqwest::Client| -> String {
        let body: serde_json::Value = http
            .get(&partners_url)
            .bearer_auth(&token)
            .header("Accept", HAL_JSON)
            .send()
            .await
            .expect("partners")
            .json()
            .await
            .expect("partners json");
        body["_embedded"]["exchange-partners"]
            .as_array()
            .expect("list")
            .iter()
            .find(|p| p["name"] == "Plaid")
            .expect("Plaid")["_links"]["self"]["href"]
            .as_str()
            .expect("href")
            .to_string()
    };
    let create = async |http: &reqwest::Client, href: &str| -> String {
        let body = serde_json::json!({"_links": {"exchange-partner": {"href": href}, "redirect-url": {"href": "com.example.app"}}});
        let resp: serde_json::Value = http
            .post(&session_url)
            .bearer_auth(&token)
            .header("Accept", HAL_JSON)
            .header("Content-Type", HAL_JSON)
            .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
            .body(serde_json::to_vec(&body).expect("json"))
            .send()
            .await
            .expect("session")
            .json()
            .await
            .expect("session json");
        resp["externalProviderSessionToken"]
            .as_str()
            .expect("token")
            .to_string()
    };

    // Warm both (connections, the bridge's partner cache).
    let href = plaid_href(&http).await;
    for _ in 0..50 {
        client.start_plaid_link("me".into()).await.expect("flow");
        create(&http, &href).await;
    }

    println!("\nstart_plaid_link, warm client ({flows} flows each, interleaved; partner list cached by both)");
    let (mut bridge, mut floor) = (Vec::with_capacity(flows), Vec::with_capacity(flows));
    for _ in 0..flows {
        let t = Instant::now();
        black_box(
            client
                .start_plaid_link("me".into())
                .await
                .expect("flow")
                .link_token(),
        );
        bridge.push(t.elapsed());
        let t = Instant::now();
        black_box(create(&http, &href).await);
        floor.push(t.elapsed());
    }
    let (bridge, floor) = (stats(bridge), stats(floor));
    row("bare reqwest (POST, floor)", &floor, &floor);
    row("iav-bridge start_plaid_link", &bridge, &floor);

    let cold = (flows / 10).max(10);
    println!(
        "\nfirst flow of a new client ({cold} flows each: new connection, GET partners + POST)"
    );
    let (mut bridge, mut floor) = (Vec::with_capacity(cold), Vec::with_capacity(cold));
    for _ in 0..cold {
        let t = Instant::now();
        let c =
            BridgeClient::new(cfg.clone(), Some(Tokens::always(token.clone()))).expect("client");
        black_box(
            c.start_plaid_link("me".into())
                .await
                .expect("flow")
                .link_token(),
        );
        bridge.push(t.elapsed());
        let t = Instant::now();
        let h = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("reqwest");
        let href = plaid_href(&h).await;
        black_box(create(&h, &href).await);
        floor.push(t.elapsed());
    }
    let (bridge, floor) = (stats(bridge), stats(floor));
    row("bare reqwest (GET + POST, floor)", &floor, &floor);
    row("iav-bridge start_plaid_link", &bridge, &floor);
}
