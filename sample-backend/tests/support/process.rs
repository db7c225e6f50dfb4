//! Processes of the `sample-backend` binary (`serve`, `simulate`) started by a test: output to a
//! file, the ready file awaited, killed (SIGKILL) when dropped; and a customer created at a
//! `simulate` process through Dwolla's API.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// A child process, killed when dropped; its output goes to `log`.
pub struct Proc {
    pub child: Child,
    /// The ready file's JSON.
    pub ready: Value,
    pub log: PathBuf,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    /// `kill -9`, waits for the process to be gone, and returns its output.
    pub fn kill9(mut self) -> String {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
        self.output()
    }

    /// What the process has written so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// Starts `cmd` with `--ready-file DIR/NAME.ready.json`, its output in `DIR/NAME.log`: the
/// process once its ready file is written, or its exit code and output when it exits first.
pub async fn start(dir: &Path, name: &str, mut cmd: Command) -> Result<Proc, (i32, String)> {
    let ready = dir.join(format!("{name}.ready.json"));
    let log = dir.join(format!("{name}.log"));
    let _ = std::fs::remove_file(&ready);
    let out = std::fs::File::create(&log).expect("log file");
    let child = cmd
        .arg("--ready-file")
        .arg(&ready)
        .stdout(out.try_clone().expect("log file"))
        .stderr(out)
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn sample-backend");
    let mut p = Proc {
        child,
        ready: Value::Null,
        log,
    };
    let started = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(&ready) {
            p.ready = serde_json::from_str(&text).expect("ready file is JSON");
            return Ok(p);
        }
        if let Ok(Some(status)) = p.child.try_wait() {
            return Err((status.code().unwrap_or(-1), p.output()));
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{name} never got ready"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// [`start`], panicking with the output when the process exits before it is ready.
pub async fn spawn(dir: &Path, name: &str, cmd: Command) -> Proc {
    match start(dir, name, cmd).await {
        Ok(p) => p,
        Err((code, output)) => panic!("{name} exited early (code {code}): {output}"),
    }
}

/// A customer (`unverified`, first name `first`) created at the simulator process `sim`,
/// reached at `url`, through Dwolla's API with the credentials of its ready file; its id.
pub async fn create_customer(c: &reqwest::Client, sim: &Proc, url: &str, first: &str) -> String {
    let token: Value = c
        .post(format!("{url}/token"))
        .basic_auth(
            sim.ready["clientKey"].as_str().expect("clientKey"),
            sim.ready["clientSecret"].as_str(),
        )
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token JSON");
    let resp = c
        .post(format!("{url}/customers"))
        .bearer_auth(token["access_token"].as_str().expect("access_token"))
        .header("Accept", super::HAL_JSON)
        .header("Content-Type", super::HAL_JSON)
        .body(json!({"firstName": first, "lastName": "Test", "email": format!("{first}@example.com"), "type": "unverified"}).to_string())
        .send()
        .await
        .expect("create customer");
    assert_eq!(resp.status(), 201);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    location.rsplit('/').next().unwrap().to_string()
}
