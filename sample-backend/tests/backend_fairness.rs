//! No client can hold what the others need: per-user and per-peer limits (requests in flight,
//! request rate) answered 429 with `Retry-After` as Dwolla-style JSON; a slow request body cut
//! by the least body rate; and, under a connection flood, the connections that have done the
//! least evicted first, not an established keep-alive client.
//!
//! Everything runs on loopback; each test prints its figures and ends well under 20 s.

mod support;

use std::time::{Duration, Instant};

use dwolla_simulator::Fault;
use sample_backend::backend::Limits;
use sample_backend::StackOptions;
use serde_json::Value;
use support::backend::*;
use support::raw::{read_answer, read_until_closed};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn with_limits(adjust: impl FnOnce(&mut Limits)) -> Custom {
    let mut l = Limits::default();
    adjust(&mut l);
    custom_stack(StackOptions::default(), move |c| c.limits = l).await
}

/// The token of demo user `name` of a custom stack (`demo-alice`, `demo-bob`).
fn token(name: &str) -> String {
    format!("demo-{name}")
}

/// The status line's code and the JSON body of a raw answer.
fn status_and_body(text: &str) -> (u16, Value) {
    let code = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split("\r\n\r\n")
        .nth(1)
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (code, body)
}

/// The value of header `name` in a raw answer.
fn raw_header(text: &str, name: &str) -> Option<String> {
    let head = text.split("\r\n\r\n").next()?;
    head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_string())
    })
}

/// Checks a 429 of the client limits: Dwolla-style JSON, `Retry-After` of at least a second.
fn assert_too_many(a: &Answer) {
    assert_eq!(a.status, 429, "{}", a.text);
    assert_eq!(a.body["code"], "TooManyRequests", "{}", a.text);
    assert!(a.body["message"].is_string());
    assert_eq!(a.header("content-type").as_deref(), Some(HAL_JSON));
    let ra: u64 = a
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!(ra >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_user_with_a_thousand_slow_bodies_does_not_stall_the_others() {
    const ATTACK: usize = 1024;
    // The defaults: 1,024 connections, a 30 s body timeout.
    let s = with_limits(|_| {}).await;
    let addr = s.backend.addr;
    let head = format!(
        "POST /customers/me/exchange-sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: {HAL_JSON}\r\nContent-Length: 100\r\n\r\n{{",
        token("alice")
    );
    // One signed-in user opens 1,024 POSTs, each declaring 100 body bytes and sending one.
    let start = Instant::now();
    let mut attack = Vec::with_capacity(ATTACK);
    for _ in 0..ATTACK {
        let mut c = TcpStream::connect(addr).await.expect("connect");
        c.write_all(head.as_bytes()).await.expect("write");
        attack.push(c);
    }
    let opened = start.elapsed();
    // A plain health check from another client, and a request of another user.
    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(40))
        .build()
        .unwrap();
    let t = Instant::now();
    let health = c.get(format!("{}health", s.url())).send().await;
    let health_took = t.elapsed();
    let t = Instant::now();
    let bob = get(
        &c,
        &format!("{}exchange-partners", s.url()),
        Some(&token("bob")),
    )
    .await;
    let bob_took = t.elapsed();
    println!(
        "{ATTACK} slow POSTs of one user opened in {:.2} s; GET /health answered after {:.3} s; \
         bob's GET /exchange-partners after {:.3} s",
        opened.as_secs_f64(),
        health_took.as_secs_f64(),
        bob_took.as_secs_f64()
    );
    // What the attacker got: 429 (past its requests in flight or its rate), or 408 once its
    // body fell below the least rate.
    let answers = futures_util::future::join_all(attack.iter_mut().map(read_until_closed)).await;
    let (mut too_many, mut too_slow, mut other, mut open) = (0, 0, 0, 0);
    for a in &answers {
        match a {
            None => open += 1,
            Some(bytes) => {
                let text = String::from_utf8_lossy(bytes);
                match status_and_body(&text) {
                    (429, body) => {
                        assert_eq!(body["code"], "TooManyRequests", "{text}");
                        assert!(raw_header(&text, "retry-after").is_some(), "{text}");
                        too_many += 1;
                    }
                    (408, _) => too_slow += 1,
                    _ => other += 1,
                }
            }
        }
    }
    println!(
        "the attacker's connections: {too_many} x 429, {too_slow} x 408, {other} other, \
         {open} still open after 6 s; all closed {:.2} s after the start",
        start.elapsed().as_secs_f64()
    );
    assert_eq!(health.expect("health answered").status(), 200);
    assert!(
        health_took < Duration::from_secs(3),
        "GET /health took {health_took:?}"
    );
    assert_eq!(bob.status, 200, "{}", bob.text);
    assert!(bob_took < Duration::from_secs(3), "bob waited {bob_took:?}");
    assert_eq!(open, 0, "connections held past the least body rate");
    assert_eq!(other, 0);
    // At most the user's requests in flight were let in to read their bodies.
    assert!(
        too_slow <= Limits::default().user_max_requests,
        "{too_slow}"
    );
    assert!(too_many >= ATTACK - Limits::default().user_max_requests);
}

#[tokio::test]
async fn a_body_below_the_least_rate_is_cut_after_the_grace_a_steady_one_is_not() {
    let s = with_limits(|l| {
        l.body_rate_grace = Duration::from_millis(800);
        l.body_min_rate = 500;
    })
    .await;
    let c = client();
    let plaid = partner_href(&c, s.url(), &token("alice"), "Plaid").await;
    let body = session_body(&plaid, Some("com.example.app")).to_string();
    let head = |len: usize| {
        format!(
            "POST /customers/me/exchange-sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
             Content-Type: {HAL_JSON}\r\nContent-Length: {len}\r\n\r\n",
            token("alice")
        )
    };
    // One byte every 200 ms: 5 bytes a second, far below 500 (the body timeout is 30 s).
    let slow = TcpStream::connect(s.backend.addr).await.unwrap();
    let (mut rd, mut wr) = slow.into_split();
    wr.write_all(head(body.len()).as_bytes()).await.unwrap();
    let start = Instant::now();
    let trickle = async move {
        for b in body.as_bytes() {
            if wr.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let read = async {
        let mut all = Vec::new();
        let mut buf = [0u8; 4096];
        let closed = tokio::time::timeout(Duration::from_secs(6), async {
            loop {
                match rd.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => all.extend_from_slice(&buf[..n]),
                }
            }
        })
        .await;
        closed.ok().map(|()| (all, start.elapsed()))
    };
    let trickling = tokio::spawn(trickle);
    let answer = read.await;
    trickling.abort();
    let (answer, took) = answer.expect("the slow body's connection closed within 6 s");
    let text = String::from_utf8_lossy(&answer);
    println!(
        "a body at 5 bytes/s (least rate 500 after 0.8 s): {} after {:.2} s",
        text.lines().next().unwrap_or(""),
        took.as_secs_f64()
    );
    let (status, json) = status_and_body(&text);
    assert_eq!(status, 408, "{text}");
    assert_eq!(json["code"], "RequestTimeout");
    assert!(
        json["message"].as_str().unwrap().contains("bytes a second"),
        "{text}"
    );
    assert!(took < Duration::from_secs(4), "{took:?}");

    // A body in two halves 500 ms apart, within the grace, is read and answered.
    let body = session_body(&plaid, Some("com.example.app")).to_string();
    let mut steady = TcpStream::connect(s.backend.addr).await.unwrap();
    steady.write_all(head(body.len()).as_bytes()).await.unwrap();
    let (first, second) = body.as_bytes().split_at(body.len() / 2);
    steady.write_all(first).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    steady.write_all(second).await.unwrap();
    let answer = read_answer(&mut steady).await;
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
}

#[tokio::test]
async fn requests_past_a_users_or_a_peers_limits_are_429_with_retry_after() {
    let s = with_limits(|l| {
        l.user_max_requests = 2;
        l.user_rate = 1;
        l.user_burst = 6;
        l.peer_rate = 1;
        l.peer_burst = 5;
    })
    .await;
    let c = client();
    let b = s.url().to_string();
    let partners = format!("{b}exchange-partners");

    // Requests in flight: alice's partner lists are held at Dwolla; a third one of hers is
    // 429 at once, bob's is answered.
    s.sim.simulator.add_fault({
        let mut f = Fault::delay("/exchange-partners", Duration::from_millis(1200));
        f.count = 2;
        f
    });
    let held: Vec<_> = (0..2)
        .map(|_| {
            let (c, url) = (c.clone(), partners.clone());
            tokio::spawn(async move { get(&c, &url, Some("demo-alice")).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let t = Instant::now();
    let third = get(&c, &partners, Some("demo-alice")).await;
    let third_took = t.elapsed();
    let bob = get(&c, &partners, Some("demo-bob")).await;
    println!(
        "alice with 2 requests in flight (limit 2): a third one {} after {:.3} s (Retry-After {:?}); bob {}",
        third.status,
        third_took.as_secs_f64(),
        third.header("retry-after"),
        bob.status
    );
    assert_too_many(&third);
    assert!(third_took < Duration::from_millis(900), "{third_took:?}");
    assert_eq!(bob.status, 200, "{}", bob.text);
    for h in held {
        assert_eq!(h.await.unwrap().status, 200);
    }

    // Rate: alice has used 2 of her burst of 6 (the refused one took none); of 8 more at
    // once, 4 are answered and 4 are 429. Bob's own bucket is untouched.
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let a = get(&c, &partners, Some("demo-alice")).await;
        if a.status == 429 {
            assert_too_many(&a);
        }
        statuses.push(a.status.as_u16());
    }
    let limited = statuses.iter().filter(|s| **s == 429).count();
    println!("alice, 8 more requests past a burst of 6 at 1/s: {statuses:?}");
    assert!((3..=5).contains(&limited), "{statuses:?}");
    assert_eq!(get(&c, &partners, Some("demo-bob")).await.status, 200);

    // Without a valid token, requests count against the peer address: a burst of 5, then 429
    // (health checks and refused tokens alike); a signed-in user is not affected.
    let mut peer = Vec::new();
    for i in 0..8 {
        let a = if i % 2 == 0 {
            get(&c, &format!("{b}health"), None).await
        } else {
            get(&c, &partners, Some("not-a-token")).await
        };
        if a.status == 429 {
            assert_too_many(&a);
        }
        peer.push(a.status.as_u16());
    }
    println!("one peer, 8 requests without a valid token past a burst of 5: {peer:?}");
    assert!(peer.iter().filter(|s| **s == 429).count() >= 2, "{peer:?}");
    assert!(peer[..5].iter().all(|s| *s != 429), "{peer:?}");
    assert_eq!(get(&c, &partners, Some("demo-bob")).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keep_alive_client_survives_a_flood_of_fresh_sockets() {
    const FLOOD: usize = 200;
    let s = with_limits(|l| l.max_connections = 8).await;
    let addr = s.backend.addr;
    // A legitimate client: two requests on one keep-alive connection, then idle.
    let mut legit = TcpStream::connect(addr).await.unwrap();
    let request = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
    for _ in 0..2 {
        legit.write_all(request).await.unwrap();
        assert!(read_answer(&mut legit).await.starts_with("HTTP/1.1 200"));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // A flood of fresh sockets that never send a request.
    let mut flood = Vec::with_capacity(FLOOD);
    for _ in 0..FLOOD {
        flood.push(TcpStream::connect(addr).await.unwrap());
    }
    // Until the server has taken them all in (each one evicting another).
    let start = Instant::now();
    while s.backend.evicted_connections() < (FLOOD - 6) as u64
        && start.elapsed() < Duration::from_secs(5)
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let evicted = s.backend.evicted_connections();
    // The legitimate client's connection is still there and answers.
    let survived = legit.write_all(request).await.is_ok()
        && tokio::time::timeout(Duration::from_secs(3), async {
            let mut all = Vec::new();
            let mut buf = [0u8; 1024];
            loop {
                match legit.read(&mut buf).await {
                    Ok(0) | Err(_) => return false,
                    Ok(n) => all.extend_from_slice(&buf[..n]),
                }
                if all.starts_with(b"HTTP/1.1 200") && all.windows(4).any(|w| w == b"\r\n\r\n") {
                    return true;
                }
            }
        })
        .await
        .unwrap_or(false);
    println!(
        "{FLOOD} fresh sockets against 8 connections: {evicted} evicted, {} open; \
         the keep-alive client that had 2 answers {}",
        s.backend.open_connections(),
        if survived {
            "survived and was answered"
        } else {
            "was evicted"
        }
    );
    assert!(evicted >= (FLOOD - 8) as u64, "{evicted}");
    assert!(survived, "the established keep-alive client was evicted");
}
