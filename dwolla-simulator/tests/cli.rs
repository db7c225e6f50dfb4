//! The `dwolla-simulator` binary: the ready file and the printed lines, the given or random
//! credentials, SIGTERM, `--help`, and a refusal to start on a busy address.

mod support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::*;

const BIN: &str = env!("CARGO_BIN_EXE_dwolla-simulator");

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("ds-{}-{name}", uuid::Uuid::new_v4()))
}

/// A running `dwolla-simulator` and its ready file: kills the child and removes the file when
/// dropped (a failed assertion must not leave a server running).
struct Proc(Child, PathBuf);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = std::fs::remove_file(&self.1);
    }
}

/// Starts `dwolla-simulator` with `args` and a `--ready-file`; waits for the file.
fn start(args: &[&str]) -> (Proc, Value) {
    let ready = temp("ready.json");
    let child = Command::new(BIN)
        .args(args)
        .arg("--ready-file")
        .arg(&ready)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dwolla-simulator");
    let mut p = Proc(child, ready);
    let started = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(&p.1) {
            let ready = serde_json::from_str(&text).expect("ready file is JSON");
            return (p, ready);
        }
        if let Ok(Some(status)) = p.0.try_wait() {
            panic!("dwolla-simulator exited early: {status}");
        }
        assert!(started.elapsed() < Duration::from_secs(30), "no ready file");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends SIGTERM (with the shell's own `kill`) and waits for the exit; returns the status and
/// what the process printed on stdout.
fn stop(p: &mut Proc) -> (std::process::ExitStatus, String) {
    let ok = Command::new("sh")
        .args(["-c", &format!("kill -TERM {}", p.0.id())])
        .status()
        .expect("kill");
    assert!(ok.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = p.0.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut out = String::new();
    std::io::Read::read_to_string(&mut p.0.stdout.take().expect("stdout piped"), &mut out)
        .expect("read stdout");
    (status, out)
}

/// The status of `POST /token` with `key` and `secret`.
async fn token_status(url: &str, key: &str, secret: &str) -> u16 {
    client()
        .post(format!("{url}/token"))
        .basic_auth(key, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token request")
        .status()
        .as_u16()
}

#[tokio::test]
async fn serves_with_the_given_credentials_and_stops_on_sigterm() {
    let (mut p, ready) = start(&[
        "--listen",
        "127.0.0.1:0",
        "--key",
        "key-c0ffee",
        "--secret",
        "secret-5eed",
    ]);
    let url = ready["simulatorUrl"].as_str().expect("simulatorUrl");
    assert!(url.starts_with("http://127.0.0.1:"), "{ready}");
    assert_eq!(ready["clientKey"], "key-c0ffee");
    assert_eq!(ready["clientSecret"], "secret-5eed");
    let customer = ready["demoCustomerId"].as_str().expect("demoCustomerId");
    assert_eq!(token_status(url, "key-c0ffee", "secret-5eed").await, 200);
    assert_eq!(token_status(url, "sim-key", "sim-secret").await, 401);
    let (status, out) = stop(&mut p);
    assert!(status.success(), "{status}");
    for line in [
        format!("Dwolla simulator: {url}"),
        "client key:       key-c0ffee".to_string(),
        "client secret:    secret-5eed".to_string(),
        format!("demo customer:    {customer}"),
    ] {
        assert!(
            out.lines().any(|l| l == line),
            "{line:?} not printed:\n{out}"
        );
    }
}

#[tokio::test]
async fn draws_random_credentials_unless_given() {
    let (mut p, ready) = start(&["--listen", "127.0.0.1:0"]);
    let url = ready["simulatorUrl"].as_str().unwrap();
    let key = ready["clientKey"].as_str().unwrap();
    let secret = ready["clientSecret"].as_str().unwrap();
    assert!(key.starts_with("sim-key-") && secret.len() >= 32, "{ready}");
    assert_eq!(token_status(url, key, secret).await, 200);
    assert_eq!(token_status(url, "sim-key", "sim-secret").await, 401);
    assert!(stop(&mut p).0.success());
}

#[test]
fn help_names_every_flag() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for word in ["--listen", "--key", "--secret", "--ready-file", "/sim/"] {
        assert!(text.contains(word), "{word} missing from --help:\n{text}");
    }
}

#[test]
fn a_busy_address_is_refused() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = Command::new(BIN)
        .args(["--listen", &addr])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("dwolla-simulator: cannot listen on {addr}")),
        "{err}"
    );
}
