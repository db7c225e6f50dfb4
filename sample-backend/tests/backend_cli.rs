//! The `sample-backend` binary: ready file, demo users, SIGTERM, `simulate`, TLS, refusals.

mod support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::backend::*;
use support::*;

const BIN: &str = env!("CARGO_BIN_EXE_sample-backend");

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("sb-{}-{name}", uuid::Uuid::new_v4()))
}

/// A running `sample-backend` and its ready file: kills the child and removes the file when
/// dropped (a failed assertion must not leave a server running).
struct Proc(Child, PathBuf);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = std::fs::remove_file(&self.1);
    }
}

impl Proc {
    /// All the child wrote to stderr (call once it has exited).
    fn stderr(&mut self) -> String {
        read_all(self.0.stderr.take().expect("stderr piped"))
    }

    /// All the child wrote to stdout (call once it has exited).
    fn stdout(&mut self) -> String {
        read_all(self.0.stdout.take().expect("stdout piped"))
    }
}

fn read_all(mut pipe: impl std::io::Read) -> String {
    let mut text = String::new();
    pipe.read_to_string(&mut text).expect("read the pipe");
    text
}

/// Starts `sample-backend` with `args` and a `--ready-file`; waits for the file.
async fn serve(args: &[&str]) -> (Proc, Value) {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    start(cmd).await
}

/// Runs `cmd` (which starts `sample-backend`) with `--ready-file` added; waits for the file and
/// returns the process and the file's JSON.
async fn start(mut cmd: Command) -> (Proc, Value) {
    let ready = temp("ready.json");
    let child = cmd
        .arg("--ready-file")
        .arg(&ready)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sample-backend");
    let mut p = Proc(child, ready);
    let r = wait_ready(&mut p).await;
    (p, r)
}

async fn wait_ready(p: &mut Proc) -> Value {
    let start = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(&p.1) {
            return serde_json::from_str(&text).expect("ready file is JSON");
        }
        if let Ok(Some(status)) = p.0.try_wait() {
            panic!("sample-backend exited early: {status}");
        }
        assert!(start.elapsed() < Duration::from_secs(30), "no ready file");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn sigterm(p: &Proc) {
    // The shell's own `kill`: no dependency on a procps binary.
    let ok = Command::new("sh")
        .args(["-c", &format!("kill -TERM {}", p.0.id())])
        .status()
        .expect("kill");
    assert!(ok.success());
}

fn wait_exit(p: &mut Proc) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = p.0.try_wait().unwrap() {
            return status;
        }
        assert!(start.elapsed() < Duration::from_secs(15), "did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn serve_writes_the_ready_file_and_stops_on_sigterm() {
    let (mut p, r) = serve(&["--listen", "127.0.0.1:0"]).await;
    let backend = r["backendUrl"].as_str().unwrap().to_string();
    assert!(
        backend.starts_with("http://127.0.0.1:") && backend.ends_with('/'),
        "{backend}"
    );
    assert!(r["simulatorUrl"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:"));
    let users = r["users"].as_array().unwrap();
    assert_eq!(users.len(), 2);
    assert_eq!(users[0]["name"], "alice");
    assert_eq!(users[0]["token"], "demo-alice");
    assert_eq!(users[1]["token"], "demo-bob");
    assert_ne!(users[0]["customerId"], users[1]["customerId"]);

    let c = client();
    assert_eq!(get(&c, &format!("{backend}health"), None).await.status, 200);
    let plaid = partner_href(&c, &backend, "demo-bob", "Plaid").await;
    assert!(plaid.starts_with(&backend));
    let a = post(
        &c,
        &format!(
            "{backend}customers/{}/exchange-sessions",
            users[1]["customerId"].as_str().unwrap()
        ),
        "demo-bob",
        &session_body(&plaid, Some("https://example.com/app")),
        None,
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);

    sigterm(&p);
    let status = wait_exit(&mut p);
    assert!(status.success(), "{status}");
    let err = p.stderr();
    assert!(err.contains("POST /customers/"), "{err}");
    assert!(
        !err.contains("demo-bob") && !err.contains("sim-secret"),
        "{err}"
    );
}

#[tokio::test]
async fn public_url_and_allowed_redirects_are_used() {
    let (p, r) = serve(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--public-url",
        "https://bank.example.com/api",
        "--allowed-redirect",
        "com.acme.bank",
    ])
    .await;
    assert_eq!(r["backendUrl"], "https://bank.example.com/api/");
    let local = format!("http://{}/", r["listenAddr"].as_str().unwrap());
    let c = client();
    let partners = get(&c, &format!("{local}exchange-partners"), Some("demo-alice")).await;
    assert_eq!(partners.status, 200);
    let mut all = Vec::new();
    strings(&partners.body, &mut all);
    let hrefs: Vec<_> = all.iter().filter(|s| s.contains("://")).collect();
    assert!(!hrefs.is_empty());
    assert!(
        hrefs
            .iter()
            .all(|h| h.starts_with("https://bank.example.com/api/exchange-partners")),
        "{hrefs:?}"
    );
    // Hrefs on the public URL are accepted back.
    let plaid = partner_href(&c, &local, "demo-alice", "Plaid").await;
    let url = format!("{local}customers/me/exchange-sessions");
    let ok = post(
        &c,
        &url,
        "demo-alice",
        &session_body(&plaid, Some("com.acme.bank")),
        None,
    )
    .await;
    assert_eq!(ok.status, 201, "{}", ok.text);
    assert!(ok
        .header("location")
        .unwrap()
        .starts_with("https://bank.example.com/api/exchange-sessions/"));
    let no = post(
        &c,
        &url,
        "demo-alice",
        &session_body(&plaid, Some("com.example.app")),
        None,
    )
    .await;
    assert_eq!(no.status, 400);
    drop(p);
}

#[tokio::test]
async fn simulate_serves_dwolla_only() {
    let (mut p, r) = serve(&[
        "simulate",
        "--listen",
        "127.0.0.1:0",
        "--key",
        "k1",
        "--secret",
        "s1",
    ])
    .await;
    let url = r["simulatorUrl"].as_str().unwrap();
    assert_eq!(r["clientKey"], "k1");
    assert!(r["demoCustomerId"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(token_status(url, "k1", "s1").await, 200);
    assert_eq!(token_status(url, "sim-key", "sim-secret").await, 401);
    let c = client();
    // No backend here: /health is not a Dwolla path.
    assert_ne!(
        c.get(format!("{url}/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    sigterm(&p);
    assert!(wait_exit(&mut p).success());
}

#[tokio::test]
async fn serves_https_with_a_given_certificate() {
    let ck =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .unwrap();
    let cert = temp("cert.pem");
    let key = temp("key.pem");
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    let (mut p, r) = serve(&[
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ])
    .await;
    let backend = r["backendUrl"].as_str().unwrap().to_string();
    assert!(backend.starts_with("https://127.0.0.1:"), "{backend}");
    sample_backend::install_crypto_provider();
    let c = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ck.cert.pem().as_bytes()).unwrap()])
        .build()
        .unwrap();
    let a = get(
        &c,
        &format!("{backend}exchange-partners"),
        Some("demo-alice"),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert!(a.text.contains(&format!("{backend}exchange-partners/")));
    // Plain HTTP on the TLS port is not served.
    let plain = backend.replace("https://", "http://");
    assert!(client().get(format!("{plain}health")).send().await.is_err());
    sigterm(&p);
    assert!(wait_exit(&mut p).success());
    for f in [cert, key] {
        let _ = std::fs::remove_file(f);
    }
}

#[test]
fn real_dwolla_needs_credentials_and_users() {
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env_remove("DWOLLA_KEY")
            .env_remove("DWOLLA_SECRET");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let out = run(&["--listen", "127.0.0.1:0", "--dwolla", "sandbox"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DWOLLA_KEY"));
    let env = [
        ("DWOLLA_KEY", "real-key-QWERTY"),
        ("DWOLLA_SECRET", "real-secret-ASDFG"),
    ];
    let out = run(&["--listen", "127.0.0.1:0", "--dwolla", "production"], &env);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--users"), "{err}");
    assert!(!err.contains("real-key-QWERTY") && !err.contains("real-secret-ASDFG"));
    // A users file whose customer id is malformed is refused without quoting its token.
    let users = temp("users.toml");
    std::fs::write(&users, "[users]\n\"tok-SECRET-1\" = \"../x\"\n").unwrap();
    let out = run(
        &[
            "--listen",
            "127.0.0.1:0",
            "--dwolla",
            "sandbox",
            "--users",
            users.to_str().unwrap(),
        ],
        &env,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("tok-SECRET-1"));
    let _ = std::fs::remove_file(users);
    // Bad arguments.
    assert!(!run(&["--listen", "nowhere"], &[]).status.success());
    assert!(!run(&["--tls-cert", "x.pem"], &[]).status.success());
}

#[test]
fn help_explains_the_commands() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for word in [
        "serve",
        "simulate",
        "--listen",
        "--dwolla",
        "--public-url",
        "--users",
        "--allowed-redirect",
        "--tls-cert",
        "--ready-file",
        "--database",
        "DATABASE_URL",
        "postgres://",
    ] {
        assert!(text.contains(word), "{word} missing from --help:\n{text}");
    }
    let out = Command::new(BIN)
        .args(["simulate", "--help"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("--secret"));
}

#[tokio::test]
async fn a_users_file_replaces_the_demo_users() {
    let users = temp("users.toml");
    // In simulated mode the customer need not exist for auth to work; partners need no customer.
    std::fs::write(
        &users,
        "[users]\n\"file-token-1-0123456789\" = \"3f1c2d4e-0000-4000-8000-00000000000a\"\n",
    )
    .unwrap();
    let (p, r) = serve(&[
        "--listen",
        "127.0.0.1:0",
        "--users",
        users.to_str().unwrap(),
    ])
    .await;
    // Tokens from a file are real credentials: never written out.
    assert_eq!(r["users"].as_array().unwrap().len(), 0);
    let backend = r["backendUrl"].as_str().unwrap();
    let c = client();
    assert_eq!(
        get(
            &c,
            &format!("{backend}exchange-partners"),
            Some("file-token-1-0123456789")
        )
        .await
        .status,
        200
    );
    assert_eq!(
        get(
            &c,
            &format!("{backend}exchange-partners"),
            Some("demo-alice")
        )
        .await
        .status,
        401
    );
    drop(p);
    let _ = std::fs::remove_file(users);
}

/// POSTs /token with `key`/`secret` to a simulator at `url`; the status.
async fn token_status(url: &str, key: &str, secret: &str) -> u16 {
    client()
        .post(format!("{url}/token"))
        .basic_auth(key, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn simulators_draw_random_credentials_unless_given() {
    let mut seen = Vec::new();
    for _ in 0..2 {
        let (mut p, r) = serve(&["simulate", "--listen", "127.0.0.1:0"]).await;
        let url = r["simulatorUrl"].as_str().unwrap().to_string();
        let key = r["clientKey"].as_str().unwrap().to_string();
        let secret = r["clientSecret"].as_str().unwrap().to_string();
        assert!(
            key != "sim-key" && secret != "sim-secret" && secret.len() >= 32,
            "{r}"
        );
        assert_eq!(token_status(&url, &key, &secret).await, 200);
        assert_eq!(token_status(&url, "sim-key", "sim-secret").await, 401);
        sigterm(&p);
        assert!(wait_exit(&mut p).success());
        // Printed as before.
        let out = p.stdout();
        assert!(out.contains(&format!("client key:       {key}")), "{out}");
        assert!(
            out.contains(&format!("client secret:    {secret}")),
            "{out}"
        );
        seen.push((key, secret));
    }
    assert_ne!(seen[0], seen[1]);

    // The simulator inside `serve` takes no fixed credentials either.
    let (p, r) = serve(&["--listen", "127.0.0.1:0"]).await;
    let sim = r["simulatorUrl"].as_str().unwrap();
    assert_eq!(token_status(sim, "sim-key", "sim-secret").await, 401);
    let backend = r["backendUrl"].as_str().unwrap();
    let a = get(
        &client(),
        &format!("{backend}exchange-partners"),
        Some("demo-alice"),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    drop(p);
}

#[tokio::test]
async fn running_out_of_file_descriptors_does_not_stop_accepting() {
    // 64 descriptors, more connections allowed than that: accepting fails with "Too many open
    // files" until the header timeout closes the silent connections.
    let mut sh = Command::new("sh");
    sh.args([
        "-c",
        "ulimit -n 64 && exec \"$0\" \"$@\"",
        BIN,
        "--listen",
        "127.0.0.1:0",
        "--header-timeout",
        "1",
        "--max-connections",
        "1000",
    ]);
    let (mut p, r) = start(sh).await;
    let addr: std::net::SocketAddr = r["listenAddr"].as_str().unwrap().parse().unwrap();
    let mut silent = Vec::new();
    for _ in 0..120 {
        silent.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(9))
        .build()
        .unwrap();
    let a = c
        .get(format!("{}health", r["backendUrl"].as_str().unwrap()))
        .send()
        .await
        .expect("answered despite the descriptor limit");
    assert_eq!(a.status(), 200);
    drop(silent);
    sigterm(&p);
    assert!(wait_exit(&mut p).success());
    let err = p.stderr();
    assert!(err.contains("accepting a connection failed"), "{err}");
}

#[tokio::test]
async fn database_and_dwolla_url_options() {
    let run = |args: &[&str]| {
        let out = Command::new(BIN)
            .args(args)
            .env_remove("DATABASE_URL")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for bad in ["ftp://x", "http://user:pw@127.0.0.1:1", "not a url"] {
        let (code, err) = run(&["--listen", "127.0.0.1:0", "--dwolla", bad]);
        assert_eq!(code, Some(2), "{bad}");
        assert!(
            err.contains("an http(s) base URL without credentials"),
            "{bad}: {err}"
        );
        assert!(!err.contains("pw@"), "{err}");
    }
    let (code, err) = run(&["--listen", "127.0.0.1:0", "--database", "mysql://u:pw@h/db"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("sqlite:PATH, sqlite::memory: or postgres://"),
        "{err}"
    );
    assert!(!err.contains("pw"), "{err}");

    // A Dwolla URL with no --database: a SQLite file in the working directory, its path printed.
    let dir = temp("cwd");
    std::fs::create_dir_all(&dir).unwrap();
    let users = dir.join("users.toml");
    std::fs::write(
        &users,
        "[users]\n\"tok-url-1-0123456789\" = \"3f1c2d4e-0000-4000-8000-00000000000b\"\n",
    )
    .unwrap();
    let mut cmd = Command::new(BIN);
    cmd.current_dir(&dir)
        .args(["--listen", "127.0.0.1:0", "--dwolla", "http://127.0.0.1:9/"])
        .arg("--users")
        .arg(&users)
        .env_remove("DATABASE_URL")
        .env("DWOLLA_KEY", "k")
        .env("DWOLLA_SECRET", "s");
    let (mut p, _ready) = start(cmd).await;
    sigterm(&p);
    wait_exit(&mut p);
    let out = p.stdout();
    let file = dir.join("sample-backend.db");
    assert!(
        out.contains(&format!("database: SQLite file {}", file.display())),
        "{out}"
    );
    assert!(file.exists());
    drop(p);
    std::fs::remove_dir_all(&dir).ok();
}

/// Runs the binary with `args` (a refusal is expected before it listens, so it ends).
fn refused(args: &[&str]) -> (Option<i32>, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(args).stdin(Stdio::null());
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A value accepted by mistake starts the server: stop it after a moment.
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

#[test]
fn every_option_is_checked_as_its_message_says() {
    // --public-url: http(s) only, with a host, no user info (never printed), query or fragment.
    for url in [
        "ftp://files.example.com/",
        "http://user:s3cr3t-PASSWORD@api.example.com/",
        "https://s3cr3t-USER@api.example.com/",
        "https://api.example.com/?q=1",
        "https://api.example.com/#top",
        "mailto:someone@example.com",
        "api.example.com",
    ] {
        let (code, text) = refused(&["--listen", "127.0.0.1:0", "--public-url", url]);
        println!("--public-url {url}: exit {code:?}");
        assert_eq!(code, Some(2), "{url} accepted: {text}");
        assert!(
            text.contains("--public-url must be an absolute http(s) URL"),
            "{url}: {text}"
        );
        assert!(
            !text.contains("s3cr3t"),
            "{url}: the secret was printed: {text}"
        );
    }
    // Durations: above 0, at most 3600, as the message says.
    for flag in [
        "--dwolla-timeout",
        "--header-timeout",
        "--body-timeout",
        "--idle-timeout",
        "--body-grace",
    ] {
        for value in ["0", "0.0", "3601", "NaN", "inf"] {
            let (code, text) = refused(&["--listen", "127.0.0.1:0", flag, value]);
            assert_eq!(code, Some(2), "{flag} {value} accepted: {text}");
            assert!(
                text.contains(&format!(
                    "{flag} must be a number of seconds above 0 and at most 3600"
                )),
                "{flag} {value}: {text}"
            );
        }
    }
    // Counts: at least 1, each message naming its own flag.
    for flag in [
        "--max-connections",
        "--max-dwolla-requests",
        "--body-min-rate",
        "--user-max-requests",
        "--user-rate",
        "--user-burst",
        "--peer-max-requests",
        "--peer-rate",
        "--peer-burst",
    ] {
        let (code, text) = refused(&["--listen", "127.0.0.1:0", flag, "0"]);
        assert_eq!(code, Some(2), "{flag} 0 accepted: {text}");
        assert!(
            text.contains(&format!("{flag} must be at least 1")),
            "{flag}: {text}"
        );
    }
}
