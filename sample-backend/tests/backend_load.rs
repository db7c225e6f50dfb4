//! The backend under load over loopback: a thousand concurrent mobile flows, each on its own
//! connection, retrying a 503 + `Retry-After` with its `Idempotency-Key`; and eviction at the
//! connection limit: half-open connections make room for a normal request (also with a thousand
//! of them), an idle keep-alive connection is evicted once its answer is written, a request in
//! flight never is (its body being read counts as in flight).
//!
//! Every wait has a hard timeout, so no test can hang; the load tests print one line of
//! measurements each. They assert what must hold however busy the machine is (every flow ends,
//! with its own session, nothing lost or doubled, only retryable 503s on the way); their bounds
//! on time are many times what they measure on a busy machine, and their speed is measured by
//! the load benchmark (`cargo bench -p sample-backend --bench load`), not asserted here.

mod support;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use dwolla_simulator::{Fault, RunningSimulator};
use reqwest::header::HeaderMap;
use reqwest::{Client, RequestBuilder, StatusCode};
use sample_backend::backend::server::{serve_counted, OpenConnections};
use sample_backend::backend::{Backend, Limits};
use sample_backend::{start_simulated_dwolla, DemoUser, StackOptions};
use serde_json::Value;
use support::raw::{read_answer, read_until_closed, PATIENCE};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// Flows in the load test.
const FLOWS: usize = 1000;
/// How long a flow may take in all, 503 retries included: about ten times the slowest flow seen
/// with the other core kept busy. A flow retries a 503 (with its `Retry-After`) until then.
const FLOW_DEADLINE: Duration = Duration::from_secs(150);
/// A backend served by [`serve_counted`] in front of a simulator, so that a test reads the
/// server's connection counters; both stop when dropped.
struct Served {
    /// The backend's URL, with a trailing slash.
    url: String,
    addr: SocketAddr,
    counters: OpenConnections,
    sim: RunningSimulator,
    users: Vec<DemoUser>,
    _stop: oneshot::Sender<()>,
}

impl Served {
    fn user(&self, name: &str) -> &DemoUser {
        self.users
            .iter()
            .find(|u| u.name == name)
            .expect("demo user")
    }
}

async fn served(limits: Limits) -> Served {
    let sim_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let mut dwolla = start_simulated_dwolla(StackOptions::default(), sim_listener)
        .await
        .expect("simulator");
    dwolla.config.limits = limits.clone();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let backend =
        Backend::new(dwolla.config, &sample_backend::backend::http_url(addr)).expect("backend");
    let counters = OpenConnections::default();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve_counted(
        listener,
        backend.router(),
        limits,
        None,
        async move {
            let _ = stopped.await;
        },
        counters.clone(),
    ));
    Served {
        url: backend.public_url(),
        addr,
        counters,
        sim: dwolla.simulator,
        users: dwolla.demo_users,
        _stop: stop,
    }
}

/// Limits with `max_connections` and the other defaults.
fn max_connections(n: usize) -> Limits {
    Limits {
        max_connections: n,
        ..Limits::default()
    }
}

/// Waits until `done` holds; false when it did not within [`PATIENCE`].
async fn eventually(done: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > PATIENCE {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    true
}

/// A client with its own connection pool and a time limit per request, like one phone's.
fn phone() -> Client {
    // Plain HTTP: a TLS configuration without roots, made once (a client's default one loads
    // the platform's certificates, which takes long enough to matter for a thousand clients).
    static TLS: std::sync::OnceLock<rustls::ClientConfig> = std::sync::OnceLock::new();
    let tls = TLS.get_or_init(|| {
        sample_backend::install_crypto_provider();
        rustls::ClientConfig::builder()
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth()
    });
    Client::builder()
        .tls_backend_preconfigured(tls.clone())
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

/// `GET {url}health` on a new connection; its status (or error) and how long it took.
async fn health(url: &str) -> (Result<StatusCode, String>, Duration) {
    let c = Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let start = Instant::now();
    let status = c
        .get(format!("{url}health"))
        .send()
        .await
        .map(|r| r.status())
        .map_err(|e| format!("{e:?}"));
    (status, start.elapsed())
}

/// A raw connection to the backend that sent `bytes`.
async fn raw(s: &Served, bytes: &[u8]) -> TcpStream {
    let mut c = TcpStream::connect(s.addr).await.expect("connect");
    c.write_all(bytes).await.expect("write");
    c
}

/// Half a request head.
const HALF_HEAD: &[u8] = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ";

/// Whether the server left the connection open (and silent) for a moment.
async fn still_open(conn: &mut TcpStream) -> bool {
    let mut buf = [0u8; 64];
    tokio::time::timeout(Duration::from_millis(100), conn.read(&mut buf))
        .await
        .is_err()
}

/// A connection whose `GET /exchange-partners` is in flight: Dwolla (the simulator) holds it
/// for `at_dwolla`; returned once Dwolla has it (after the backend's token request).
async fn request_in_flight(s: &Served, at_dwolla: Duration) -> TcpStream {
    s.sim
        .simulator
        .add_fault(Fault::delay("/exchange-partners", at_dwolla));
    let before = s.sim.simulator.requests_received();
    let busy = raw(
        s,
        format!(
            "GET /exchange-partners HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer demo-alice\r\n\
             Accept: {HAL_JSON}\r\n\r\n"
        )
        .as_bytes(),
    )
    .await;
    assert!(eventually(|| s.sim.simulator.requests_received() >= before + 2).await);
    busy
}

#[tokio::test]
async fn at_the_limit_a_new_connection_evicts_the_oldest_half_open_one() {
    let s = served(max_connections(8)).await;
    // Eight connections that never finish a head: half send nothing, half part of a head.
    let mut held = Vec::new();
    for i in 0..8 {
        held.push(raw(&s, if i % 2 == 0 { b"" } else { HALF_HEAD }).await);
    }
    assert!(eventually(|| s.counters.get() == 8).await, "8 open");
    // A normal request is answered long before the 10 s header timeout would free a slot.
    let (status, elapsed) = health(&s.url).await;
    assert_eq!(status, Ok(StatusCode::OK), "after {elapsed:?}");
    assert_eq!(s.counters.evicted(), 1);
    assert!(s.counters.get() <= 8);
    // The oldest was closed without an answer; the others are open.
    let closed = read_until_closed(&mut held[0]).await.expect("evicted");
    assert!(closed.is_empty(), "answered: {closed:?}");
    for (i, c) in held.iter_mut().enumerate().skip(1) {
        assert!(still_open(c).await, "connection {i} closed");
    }
}

#[tokio::test]
async fn a_request_in_flight_is_not_evicted_a_half_open_connection_is() {
    let s = served(max_connections(2)).await;
    let mut busy = request_in_flight(&s, Duration::from_millis(1500)).await;
    let mut half = raw(&s, HALF_HEAD).await;
    assert!(eventually(|| s.counters.get() == 2).await, "2 open");
    let (status, elapsed) = health(&s.url).await;
    assert_eq!(status, Ok(StatusCode::OK), "after {elapsed:?}");
    assert_eq!(s.counters.evicted(), 1);
    // The half-open one made room, closed without an answer; the busy one is answered whole.
    let closed = read_until_closed(&mut half).await.expect("evicted");
    assert!(closed.is_empty(), "answered: {closed:?}");
    let answer = read_answer(&mut busy).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("exchange-partners"), "{answer}");
}

#[tokio::test]
async fn with_every_connection_answering_a_new_one_waits_then_evicts_the_idle_one() {
    let s = served(max_connections(1)).await;
    let mut busy = request_in_flight(&s, Duration::from_millis(1000)).await;
    // The new connection waits for the one slot: the busy connection is not evicted while its
    // request is answered, and is once its answer is written and it idles (kept alive).
    let url = s.url.clone();
    let waiting = tokio::spawn(async move { health(&url).await });
    let answer = read_answer(&mut busy).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        !answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    let (status, elapsed) = waiting.await.expect("task");
    assert_eq!(status, Ok(StatusCode::OK), "after {elapsed:?}");
    assert_eq!(s.counters.evicted(), 1);
    let rest = read_until_closed(&mut busy)
        .await
        .expect("evicted when idle");
    assert!(rest.is_empty(), "{rest:?}");
}

#[tokio::test]
async fn a_request_whose_body_is_being_read_is_in_flight_and_not_evicted() {
    let s = served(Limits {
        max_connections: 1,
        body_read_timeout: Duration::from_millis(1000),
        ..Limits::default()
    })
    .await;
    let mut slow_body = raw(
        &s,
        format!(
            "POST /customers/me/exchange-sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer demo-alice\r\n\
             Content-Type: {HAL_JSON}\r\nContent-Length: 100\r\n\r\n{{\"_links\":"
        )
        .as_bytes(),
    )
    .await;
    assert!(eventually(|| s.counters.get() == 1).await, "1 open");
    // Time for the server to read the head (loopback: well under a millisecond).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let url = s.url.clone();
    let waiting = tokio::spawn(async move { health(&url).await });
    // Not evicted: the body-read timeout ends it with its 408, then the waiting one is served.
    let answer = read_until_closed(&mut slow_body).await.expect("closed");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    let (status, elapsed) = waiting.await.expect("task");
    assert_eq!(status, Ok(StatusCode::OK), "after {elapsed:?}");
    assert_eq!(s.counters.evicted(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_normal_request_is_answered_with_a_thousand_half_open_connections() {
    const HALF_OPEN: usize = 1000;
    let test = async {
        let s = served(max_connections(256)).await;
        // One after the other, each sending half a head and holding it, within 5 s (well
        // within the header timeout). Without eviction the server cannot take them all in
        // before its header timeout: the listen backlog fills up and connecting stalls.
        let mut held = Vec::with_capacity(HALF_OPEN);
        let _ = tokio::time::timeout(Duration::from_secs(5), async {
            while held.len() < HALF_OPEN {
                held.push(raw(&s, HALF_HEAD).await);
            }
        })
        .await;
        // Until the server took them all in; at most 3 s.
        let _ = tokio::time::timeout(Duration::from_secs(3), async {
            while s.counters.get() + usize::try_from(s.counters.evicted()).unwrap() < HALF_OPEN {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        let (status, elapsed) = health(&s.url).await;
        let opened = held.len();
        println!(
            "half-open: {opened} half-open connections (limit 256), then GET /health answered in {} ms: {status:?}; {} evicted, {} open",
            elapsed.as_millis(),
            s.counters.evicted(),
            s.counters.get()
        );
        assert_eq!(status, Ok(StatusCode::OK), "after {elapsed:?}");
        // Answered by eviction, not by the header timeout (10 s) freeing a slot: half of it is a
        // bound many times what a busy machine takes (well under a second when idle).
        assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
        assert_eq!(opened, HALF_OPEN);
        assert!(s.counters.get() <= 256);
        assert!(s.counters.evicted() >= 1);
        drop(held);
    };
    tokio::time::timeout(Duration::from_secs(60), test)
        .await
        .expect("the test finished in time");
}

/// An answer read whole.
struct Got {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
    text: String,
}

/// Sends the request `make` builds; after a 503 `ServiceUnavailable` with `Retry-After`, waits
/// that long and sends it again (the same request: a POST keeps its `Idempotency-Key`), as an
/// app does, until `deadline`. Any other answer is returned; `retried` counts the retries. A
/// 503 without `Retry-After` or a Dwolla-style body is an error: the app could not act on it.
async fn with_retries(
    what: &str,
    deadline: Instant,
    retried: &mut u32,
    make: impl Fn() -> RequestBuilder,
) -> Result<Got, String> {
    loop {
        let resp = make().send().await.map_err(|e| format!("{what}: {e:?}"))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.map_err(|e| format!("{what}: {e:?}"))?;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status != StatusCode::SERVICE_UNAVAILABLE {
            return Ok(Got {
                status,
                headers,
                body,
                text,
            });
        }
        let wait = headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let (Some(wait), "ServiceUnavailable") = (wait, body["code"].as_str().unwrap_or("")) else {
            return Err(format!("{what}: 503 without Retry-After: {text}"));
        };
        if Instant::now() + Duration::from_secs(wait) > deadline {
            return Err(format!(
                "{what}: still 503 after {} retries, at the flow's deadline",
                *retried
            ));
        }
        *retried += 1;
        tokio::time::sleep(Duration::from_secs(wait)).await;
    }
}

/// What one mobile flow ended with.
struct Flow {
    elapsed: Duration,
    retried: u32,
    session: String,
    link_token: String,
}

/// One mobile flow as the app library does it, on its own client: list the partners, create a
/// Plaid exchange session with an `Idempotency-Key` kept for retries, read the session by its
/// `Location` for the link token.
async fn mobile_flow(c: Client, base: String, token: String) -> Result<Flow, String> {
    let start = Instant::now();
    let deadline = start + FLOW_DEADLINE;
    let mut retried = 0;
    let list = with_retries("partners", deadline, &mut retried, || {
        c.get(format!("{base}exchange-partners"))
            .bearer_auth(&token)
            .header("Accept", HAL_JSON)
    })
    .await?;
    if list.status != StatusCode::OK {
        return Err(format!("partners: {}: {}", list.status, list.text));
    }
    let plaid = list.body["_embedded"]["exchange-partners"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["name"] == "Plaid"))
        .and_then(|p| p["_links"]["self"]["href"].as_str())
        .ok_or_else(|| format!("partners: no Plaid: {}", list.text))?
        .to_string();
    let key = uuid::Uuid::new_v4().to_string();
    let body = session_body(&plaid, Some("com.example.app")).to_string();
    let created = with_retries("create", deadline, &mut retried, || {
        c.post(format!("{base}customers/me/exchange-sessions"))
            .bearer_auth(&token)
            .header("Accept", HAL_JSON)
            .header("Content-Type", HAL_JSON)
            .header("Idempotency-Key", &key)
            .body(body.clone())
    })
    .await?;
    if created.status != StatusCode::CREATED {
        return Err(format!("create: {}: {}", created.status, created.text));
    }
    let location = created
        .headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or("create: no Location")?
        .to_string();
    let session = with_retries("read", deadline, &mut retried, || {
        c.get(&location)
            .bearer_auth(&token)
            .header("Accept", HAL_JSON)
    })
    .await?;
    if session.status != StatusCode::OK {
        return Err(format!("read: {}: {}", session.status, session.text));
    }
    let link_token = session.body["externalProviderSessionToken"]
        .as_str()
        .ok_or_else(|| format!("read: no link token: {}", session.text))?
        .to_string();
    Ok(Flow {
        elapsed: start.elapsed(),
        retried,
        session: location.rsplit('/').next().unwrap_or_default().to_string(),
        link_token,
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_concurrent_mobile_flows() {
    let test = async {
        // A short wait for a Dwolla slot, so that some requests are answered 503 and retried:
        // the retries are part of what is checked.
        // The thousand phones all sign in as alice: the per-user limits, made for one phone
        // per user, are lifted (they are tested in backend_limits.rs).
        let s = served(Limits {
            dwolla_queue_timeout: Duration::from_millis(250),
            user_max_requests: usize::MAX,
            user_rate: u32::MAX,
            user_burst: u32::MAX,
            ..Limits::default()
        })
        .await;
        let alice = s.user("alice").token.clone();
        let bob = s.user("bob").token.clone();
        // Warm-up as bob (alice's sessions are the flows'): the backend's Dwolla token, and how
        // many Dwolla requests one flow makes.
        mobile_flow(phone(), s.url.clone(), bob.clone())
            .await
            .expect("warm-up flow");
        let before = s.sim.simulator.requests_received();
        mobile_flow(phone(), s.url.clone(), bob)
            .await
            .expect("warm-up flow");
        let per_flow = s.sim.simulator.requests_received() - before;
        let tokens_before = s.sim.simulator.token_requests();

        // A thousand phones, each with its own client and connection, all at once.
        let phones: Vec<Client> = (0..FLOWS).map(|_| phone()).collect();
        let before = s.sim.simulator.requests_received();
        let start = Instant::now();
        let tasks: Vec<_> = phones
            .into_iter()
            .map(|c| {
                let flow = mobile_flow(c, s.url.clone(), alice.clone());
                tokio::spawn(async move {
                    tokio::time::timeout(FLOW_DEADLINE + Duration::from_secs(30), flow)
                        .await
                        .unwrap_or_else(|_| Err("flow: no end by its deadline".into()))
                })
            })
            .collect();
        let mut flows = Vec::new();
        let mut errors = Vec::new();
        for t in tasks {
            match t.await {
                Ok(Ok(flow)) => flows.push(flow),
                Ok(Err(e)) => errors.push(e),
                Err(e) => errors.push(format!("flow task: {e}")),
            }
        }
        let elapsed = start.elapsed();
        let dwolla_requests = s.sim.simulator.requests_received() - before;

        let mut times: Vec<Duration> = flows.iter().map(|f| f.elapsed).collect();
        times.sort();
        let retried: u32 = flows.iter().map(|f| f.retried).sum();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "load: {FLOWS} flows in {:.2} s: {:.1} flows/s; flow p50 {:.0} ms, p99 {:.0} ms; retried {retried}, errors {}",
            elapsed.as_secs_f64(),
            flows.len() as f64 / elapsed.as_secs_f64(),
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
            errors.len(),
        );
        assert!(
            errors.is_empty(),
            "{} errors, first: {}",
            errors.len(),
            errors[0]
        );
        assert_eq!(flows.len(), FLOWS);

        // Nothing lost or duplicated: a session and a link token of its own for every flow...
        let sessions: HashSet<&str> = flows.iter().map(|f| f.session.as_str()).collect();
        let links: HashSet<&str> = flows.iter().map(|f| f.link_token.as_str()).collect();
        assert_eq!(sessions.len(), FLOWS);
        assert_eq!(links.len(), FLOWS);
        // ...each one held by the simulator, unused...
        for link in &links {
            assert!(
                s.sim.simulator.complete_plaid_link(link).is_some(),
                "the simulator holds the session of link token {link}"
            );
        }
        // ...and Dwolla got exactly the flows' requests: one creation each (a 503 sent nothing,
        // no creation was repeated) and no new access token.
        assert_eq!(dwolla_requests, per_flow * FLOWS as u64);
        assert_eq!(s.sim.simulator.token_requests(), tokens_before);
    };
    tokio::time::timeout(FLOW_DEADLINE + Duration::from_secs(60), test)
        .await
        .expect("the load test finished in time");
}
