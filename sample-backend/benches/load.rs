//! Load benchmark of the app backend: N concurrent mobile-style flows (list exchange partners,
//! create a Plaid exchange session, read its link token) through the backend and the Dwolla
//! simulator on loopback. Prints flows/s and per-flow and per-request latency percentiles.
//!
//! Each flow does what the app library does: the creation carries an `Idempotency-Key` kept for
//! its retries, and a 503 `ServiceUnavailable` with `Retry-After` (every Dwolla slot taken) is
//! retried after that wait, at most 10 attempts per request; retries are counted, not errors.
//!
//! `cargo bench -p sample-backend --bench load`
//!
//! Environment:
//! - `LOAD_FLOWS` (default 2000): flows in all; `LOAD_CONCURRENCY` (default 32): flows at once;
//!   `LOAD_MAX_SECS` (default 120): stop starting flows after this long.
//! - `LOAD_DATABASE` (default: the in-memory SQLite): the in-process backend's database, e.g.
//!   `sqlite:/tmp/load.db` or a `postgres://` URL (`scripts/postgres.sh`), to compare stores.
//! - `LOAD_BACKEND_URL` + `LOAD_TOKEN` (+ `LOAD_REDIRECT`, default `com.example.app`): run the
//!   flows against an already running backend (e.g. `sample-backend --dwolla sandbox ...`)
//!   instead of starting backend + simulator in-process.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sample_backend::HAL_JSON;
use serde_json::{json, Value};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[derive(Default)]
struct FlowTimes {
    partners: Duration,
    create: Duration,
    read: Duration,
    retried: u32,
}

/// Attempts of one request (the first and its retries after a 503 with `Retry-After`).
const ATTEMPTS: u32 = 10;

/// Sends the request `make` builds, again after each 503 `ServiceUnavailable` with
/// `Retry-After` once that wait is over (the same request: a POST keeps its `Idempotency-Key`);
/// the first other answer. `retried` counts the retries.
async fn send(
    what: &str,
    retried: &mut u32,
    make: impl Fn() -> reqwest::RequestBuilder,
) -> Result<reqwest::Response, String> {
    for attempt in 1..=ATTEMPTS {
        let resp = make().send().await.map_err(|e| format!("{what}: {e}"))?;
        if resp.status().as_u16() != 503 || attempt == ATTEMPTS {
            return Ok(resp);
        }
        let Some(wait) = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
        else {
            return Ok(resp);
        };
        *retried += 1;
        tokio::time::sleep(Duration::from_secs(wait)).await;
    }
    unreachable!("the last attempt returns")
}

async fn flow(
    c: &reqwest::Client,
    base: &str,
    token: &str,
    redirect: &str,
) -> Result<FlowTimes, String> {
    let mut t = FlowTimes::default();
    let s = Instant::now();
    let resp = send("partners", &mut t.retried, || {
        c.get(format!("{base}exchange-partners"))
            .bearer_auth(token)
            .header("Accept", HAL_JSON)
    })
    .await?;
    if !resp.status().is_success() {
        return Err(format!("partners: {}", resp.status()));
    }
    let partners: Value = resp.json().await.map_err(|e| format!("partners: {e}"))?;
    t.partners = s.elapsed();
    let plaid = partners["_embedded"]["exchange-partners"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["name"] == "Plaid"))
        .and_then(|p| p["_links"]["self"]["href"].as_str())
        .ok_or("no Plaid partner")?
        .to_string();

    let s = Instant::now();
    let body = json!({"_links": {"exchange-partner": {"href": plaid}, "redirect-url": {"href": redirect}}})
        .to_string();
    let key = uuid::Uuid::new_v4().to_string();
    let resp = send("create", &mut t.retried, || {
        c.post(format!("{base}customers/me/exchange-sessions"))
            .bearer_auth(token)
            .header("Accept", HAL_JSON)
            .header("Content-Type", HAL_JSON)
            .header("Idempotency-Key", &key)
            .body(body.clone())
    })
    .await?;
    if resp.status().as_u16() != 201 {
        return Err(format!("create: {}", resp.status()));
    }
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or("create: no Location")?
        .to_string();
    let _created: Value = resp.json().await.map_err(|e| format!("create: {e}"))?;
    t.create = s.elapsed();

    // A mobile library that ignores the body reads the session by its Location.
    let s = Instant::now();
    let resp = send("read", &mut t.retried, || {
        c.get(&location)
            .bearer_auth(token)
            .header("Accept", HAL_JSON)
    })
    .await?;
    if !resp.status().is_success() {
        return Err(format!("read: {}", resp.status()));
    }
    let session: Value = resp.json().await.map_err(|e| format!("read: {e}"))?;
    if session["externalProviderSessionToken"].as_str().is_none() {
        return Err("read: no link token".into());
    }
    t.read = s.elapsed();
    Ok(t)
}

fn main() {
    sample_backend::install_crypto_provider();
    let flows = env_num("LOAD_FLOWS", 2000) as usize;
    let concurrency = env_num("LOAD_CONCURRENCY", 32).max(1) as usize;
    let max = Duration::from_secs(env_num("LOAD_MAX_SECS", 120));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let external = std::env::var("LOAD_BACKEND_URL").ok();
        let mut _stack = None;
        let (base, token, redirect) = match external {
            Some(url) => {
                let token = std::env::var("LOAD_TOKEN").expect("LOAD_TOKEN with LOAD_BACKEND_URL");
                let redirect =
                    std::env::var("LOAD_REDIRECT").unwrap_or_else(|_| "com.example.app".into());
                let base = if url.ends_with('/') {
                    url
                } else {
                    format!("{url}/")
                };
                (base, token, redirect)
            }
            None => {
                let sim_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                let mut dwolla = sample_backend::start_simulated_dwolla(
                    sample_backend::StackOptions::default(),
                    sim_listener,
                )
                .await
                .expect("simulator");
                // Every flow signs in as alice: the per-user limits (one phone per user) are
                // lifted so that the backend, not one user's quota, is measured.
                dwolla.config.limits.user_max_requests = usize::MAX;
                dwolla.config.limits.user_rate = u32::MAX;
                dwolla.config.limits.user_burst = u32::MAX;
                if let Ok(url) = std::env::var("LOAD_DATABASE") {
                    let store = sample_backend::backend::SqlStore::open(&url)
                        .await
                        .expect("LOAD_DATABASE opens");
                    println!("load: database {}", store.description());
                    dwolla.config.store = std::sync::Arc::new(store);
                }
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                let backend = sample_backend::backend::start_backend(dwolla.config, listener)
                    .await
                    .expect("backend");
                let base = backend.url.clone();
                _stack = Some((backend, dwolla.simulator));
                (
                    base,
                    "demo-alice".to_string(),
                    "com.example.app".to_string(),
                )
            }
        };
        let target = if _stack.is_some() {
            "in-process backend + simulator"
        } else {
            "external backend"
        };
        println!("load: {flows} flows, {concurrency} at once, against {target}");
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(concurrency)
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        // Warm up: the token fetch and connection set-up are not measured.
        flow(&client, &base, &token, &redirect)
            .await
            .expect("warm-up flow");

        let next = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let mut workers = Vec::new();
        for _ in 0..concurrency {
            let (c, base, token, redirect, next) = (
                client.clone(),
                base.clone(),
                token.clone(),
                redirect.clone(),
                next.clone(),
            );
            workers.push(tokio::spawn(async move {
                let mut times = Vec::new();
                let mut errors = Vec::new();
                while next.fetch_add(1, Ordering::Relaxed) < flows && started.elapsed() < max {
                    let s = Instant::now();
                    match flow(&c, &base, &token, &redirect).await {
                        Ok(t) => times.push((s.elapsed(), t)),
                        Err(e) => errors.push(e),
                    }
                }
                (times, errors)
            }));
        }
        let mut all = Vec::new();
        let mut errors = Vec::new();
        for w in workers {
            let (t, e) = w.await.expect("worker");
            all.extend(t);
            errors.extend(e);
        }
        let elapsed = started.elapsed();
        let mut total: Vec<Duration> = all.iter().map(|(d, _)| *d).collect();
        let mut partners: Vec<Duration> = all.iter().map(|(_, t)| t.partners).collect();
        let mut create: Vec<Duration> = all.iter().map(|(_, t)| t.create).collect();
        let mut read: Vec<Duration> = all.iter().map(|(_, t)| t.read).collect();
        for v in [&mut total, &mut partners, &mut create, &mut read] {
            v.sort();
        }
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let retried: u32 = all.iter().map(|(_, t)| t.retried).sum();
        println!(
            "completed {} flows ({} requests) in {:.2} s, {retried} retried after a 503, {} errors",
            all.len(),
            all.len() * 3,
            elapsed.as_secs_f64(),
            errors.len()
        );
        println!(
            "throughput: {:.1} flows/s ({:.1} requests/s)",
            all.len() as f64 / elapsed.as_secs_f64(),
            all.len() as f64 * 3.0 / elapsed.as_secs_f64()
        );
        for (name, v) in [
            ("flow", &total),
            ("  GET partners", &partners),
            ("  POST session", &create),
            ("  GET session", &read),
        ] {
            println!(
                "{name:<16} p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
                ms(pct(v, 0.50)),
                ms(pct(v, 0.99)),
                ms(pct(v, 1.0))
            );
        }
        if let Some(s) = &_stack {
            println!("Dwolla token fetches: {}", s.1.simulator.token_requests());
        }
        if let Some(e) = errors.first() {
            println!("first error: {e}");
        }
        if !errors.is_empty() || all.is_empty() {
            std::process::exit(1);
        }
    });
}
