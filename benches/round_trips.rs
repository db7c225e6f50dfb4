//! Round trips at the tap (run: `cargo bench --bench round_trips`): how long `start_plaid_link`
//! takes, in round trips (RTT), through a loopback proxy that delays every chunk by D ms each
//! way and counts connections and requests; cold (a new client's first call), after `prewarm`,
//! and after `prepare_plaid_link` has finished. The client talks to the sample-backend (its
//! simulated Dwolla in-process) through the proxy only.
//!
//! Environment: `BENCH_DELAY_MS` (D, default 50: an RTT of 100 ms), `BENCH_ROUNDS` (default 5;
//! the median time is printed, and the most requests and connections any round needed).
//! The last line is `tap-to-token: prepared X RTT (N requests); after prewarm Y RTT
//! (M requests); cold Z RTT (K requests, C connections)`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use iav_bridge::{BridgeClient, BridgeConfig, Environment, Platform};
use sample_backend::backend::start_backend;
use sample_backend::{start_simulated_dwolla, StackOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

#[path = "../tests/support/tokens.rs"]
mod tokens;
use tokens::Tokens;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What the proxy saw.
#[derive(Default)]
struct Counts {
    connections: AtomicUsize,
    requests: AtomicUsize,
}

impl Counts {
    fn snapshot(&self) -> (usize, usize) {
        (
            self.connections.load(Ordering::SeqCst),
            self.requests.load(Ordering::SeqCst),
        )
    }
}

/// Finds where HTTP/1.1 requests start in the client's byte stream (head, then a
/// `Content-Length` body; the client sends no chunked bodies).
#[derive(Default)]
struct RequestParser {
    buf: Vec<u8>,
    body_left: usize,
}

impl RequestParser {
    /// Feeds bytes; returns how many requests began in them.
    fn feed(&mut self, bytes: &[u8]) -> usize {
        let mut started = 0;
        let mut i = 0;
        while i < bytes.len() {
            if self.body_left > 0 {
                let n = self.body_left.min(bytes.len() - i);
                self.body_left -= n;
                i += n;
                continue;
            }
            if self.buf.is_empty() {
                started += 1;
            }
            self.buf.push(bytes[i]);
            i += 1;
            if self.buf.ends_with(b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buf).to_ascii_lowercase();
                self.body_left = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                self.buf.clear();
            }
        }
        started
    }
}

/// Copies `from` to `to`, each chunk delivered `delay` after it was read (chunks pipelined,
/// as on a link with that latency).
async fn delayed_pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    delay: Duration,
    counts: Option<Arc<Counts>>,
) {
    let (tx, mut rx) = mpsc::unbounded_channel::<(tokio::time::Instant, Vec<u8>)>();
    let writer = tokio::spawn(async move {
        while let Some((due, chunk)) = rx.recv().await {
            tokio::time::sleep_until(due).await;
            if to.write_all(&chunk).await.is_err() {
                return;
            }
        }
        let _ = to.shutdown().await;
    });
    let mut parser = RequestParser::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some(c) = &counts {
            c.requests
                .fetch_add(parser.feed(&buf[..n]), Ordering::SeqCst);
        }
        if tx
            .send((tokio::time::Instant::now() + delay, buf[..n].to_vec()))
            .is_err()
        {
            break;
        }
    }
    drop(tx);
    let _ = writer.await;
}

/// The proxy: every accepted connection is joined to `upstream`, both directions delayed.
async fn proxy(
    listener: TcpListener,
    upstream: std::net::SocketAddr,
    delay: Duration,
    counts: Arc<Counts>,
) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            return;
        };
        counts.connections.fetch_add(1, Ordering::SeqCst);
        let counts = counts.clone();
        tokio::spawn(async move {
            let _ = client.set_nodelay(true);
            let Ok(server) = TcpStream::connect(upstream).await else {
                return;
            };
            let _ = server.set_nodelay(true);
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            tokio::join!(
                delayed_pipe(cr, sw, delay, Some(counts)),
                delayed_pipe(sr, cw, delay, None)
            );
        });
    }
}

struct Measured {
    rtt: f64,
    ms: f64,
    requests: usize,
    connections: usize,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let delay = Duration::from_millis(env_u64("BENCH_DELAY_MS", 50));
    let rounds = usize::try_from(env_u64("BENCH_ROUNDS", 5).max(1)).unwrap_or(5);
    let rtt = (delay * 2).as_secs_f64();

    // The sample-backend behind the proxy: its public URL (the hrefs it hands out) is the
    // proxy's, so the client reaches it through the proxy only.
    let proxy_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}/", proxy_listener.local_addr().unwrap());
    let sim_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut dwolla = start_simulated_dwolla(StackOptions::default(), sim_listener)
        .await
        .unwrap();
    dwolla.config.public_url = Some(proxy_url.clone());
    let backend_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let backend = start_backend(dwolla.config, backend_listener)
        .await
        .unwrap();
    let counts = Arc::new(Counts::default());
    tokio::spawn(proxy(proxy_listener, backend.addr, delay, counts.clone()));
    let user_token = dwolla.demo_users[0].token.clone();

    let new_client = || {
        let mut cfg = BridgeConfig::new(
            &proxy_url,
            Platform::Android {
                package_name: "com.example.app".into(),
            },
            Environment::Sandbox,
        );
        cfg.allow_insecure_http = true;
        BridgeClient::new(cfg, Some(Tokens::always(user_token.clone()))).unwrap()
    };
    // Waits until the proxy has seen `n` more requests than `from`, then for the last
    // answer to arrive (one more delay, and some slack).
    let settle = |from: usize, n: usize| {
        let counts = counts.clone();
        async move {
            let give_up = Instant::now() + Duration::from_secs(10);
            while counts.snapshot().1 < from + n && Instant::now() < give_up {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            tokio::time::sleep(delay * 2 + Duration::from_millis(50)).await;
        }
    };

    let tap = |client: Arc<BridgeClient>| {
        let counts = counts.clone();
        async move {
            let (c0, r0) = counts.snapshot();
            let start = Instant::now();
            let session = client.start_plaid_link("me".into()).await.unwrap();
            let took = start.elapsed().as_secs_f64();
            assert!(session.link_token().starts_with("link-sandbox-"));
            let (c1, r1) = counts.snapshot();
            Measured {
                rtt: took / rtt,
                ms: took * 1e3,
                requests: r1 - r0,
                connections: c1 - c0,
            }
        }
    };

    let mut results: Vec<(&str, Vec<Measured>)> = vec![
        ("cold", vec![]),
        ("after prewarm", vec![]),
        ("after prepare", vec![]),
    ];
    for _ in 0..rounds {
        results[0].1.push(tap(new_client()).await);

        let c = new_client();
        let r0 = counts.snapshot().1;
        c.prewarm();
        settle(r0, 1).await;
        results[1].1.push(tap(c).await);

        let c = new_client();
        let r0 = counts.snapshot().1;
        c.prepare_plaid_link("me".into());
        settle(r0, 2).await;
        results[2].1.push(tap(c).await);
    }

    println!(
        "round trips at the tap (start_plaid_link) through a loopback proxy: D = {} ms each way (RTT {} ms), median of {rounds} rounds",
        delay.as_millis(),
        (delay * 2).as_millis()
    );
    let mut summary = Vec::new();
    for (name, ms) in &results {
        let rtts = median(ms.iter().map(|m| m.rtt).collect());
        let millis = median(ms.iter().map(|m| m.ms).collect());
        let requests = ms.iter().map(|m| m.requests).max().unwrap_or(0);
        let connections = ms.iter().map(|m| m.connections).max().unwrap_or(0);
        println!(
            "  {name:<14} {rtts:>5.2} RTT ({millis:>7.2} ms)  {requests} requests, {connections} new connections"
        );
        summary.push((rtts, requests, connections));
    }
    let (cold, warm, prepared) = (summary[0], summary[1], summary[2]);
    println!(
        "tap-to-token: prepared {:.2} RTT ({} requests); after prewarm {:.2} RTT ({} requests); cold {:.2} RTT ({} requests, {} connections)",
        prepared.0, prepared.1, warm.0, warm.1, cold.0, cold.1, cold.2
    );
}
