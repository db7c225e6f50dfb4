//! Two `sample-backend` processes behind one public URL, sharing one PostgreSQL database (the
//! test command's server) and one Dwolla simulator process (`sample-backend simulate`): what a
//! deployment with replicas does. A flow started on one instance completes on the other; a
//! `kill -9` after an answer, between Dwolla creating a session and the backend reading it back,
//! or before Dwolla's answer to the create arrived, loses nothing and creates nothing twice;
//! another user's reuse of a key is 409 on both.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::Client;
use serde_json::{json, Value};
use support::backend::{get, post, Answer};
use support::process::{create_customer, Proc};
use support::{client, session_body};

const BIN: &str = env!("CARGO_BIN_EXE_sample-backend");
/// The URL apps reach the replicas at (a load balancer's); requests go to each instance's own
/// address with hrefs on this URL.
const PUBLIC: &str = "https://backend.example/";

/// The binary with debug logs (what the no-secret checks read).
async fn spawn(dir: &Path, name: &str, mut cmd: Command) -> Proc {
    cmd.env("RUST_LOG", "debug");
    support::process::spawn(dir, name, cmd).await
}

/// The shared simulator, the users file and the database, from which backends are started.
struct Deployment {
    dir: PathBuf,
    sim: Proc,
    sim_url: String,
    users_file: PathBuf,
    database: String,
    alice: String,
    bob: String,
}

impl Deployment {
    async fn backend(&self, name: &str) -> Proc {
        let mut cmd = Command::new(BIN);
        // A short Dwolla time limit: an attempt of a killed instance holds its key as in flight
        // for that limit and 2 s.
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--public-url", PUBLIC])
            .args(["--dwolla-timeout", "3"])
            .args([
                "--dwolla",
                &self.sim_url,
                "--allowed-redirect",
                "com.example.app",
            ])
            .arg("--users")
            .arg(&self.users_file)
            // The database URL (with its password) from the environment, not the command line.
            .env("DATABASE_URL", &self.database)
            .env("DWOLLA_KEY", self.sim.ready["clientKey"].as_str().unwrap())
            .env(
                "DWOLLA_SECRET",
                self.sim.ready["clientSecret"].as_str().unwrap(),
            );
        spawn(&self.dir, name, cmd).await
    }

    async fn sim_post(&self, c: &Client, path: &str, body: &Value) -> Value {
        let resp = c
            .post(format!("{}{path}", self.sim_url))
            .json(body)
            .send()
            .await
            .expect("simulator control");
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
        resp.json().await.unwrap_or(Value::Null)
    }

    async fn sessions_at_dwolla(&self, c: &Client) -> u64 {
        let stats: Value = c
            .get(format!("{}/sim/stats", self.sim_url))
            .send()
            .await
            .expect("stats")
            .json()
            .await
            .expect("stats JSON");
        stats["exchangeSessions"]
            .as_u64()
            .expect("exchangeSessions")
    }

    /// Sets `fault` at the simulator, sends `request` to instance `p` and `kill -9`s `p` as soon
    /// as Dwolla holds more exchange sessions than `before`; the request must fail. Returns `p`'s
    /// log.
    async fn kill9_once_dwolla_created<R>(
        &self,
        c: &Client,
        p: Proc,
        before: u64,
        fault: Value,
        request: R,
    ) -> String
    where
        R: std::future::Future<Output = Answer> + Send + 'static,
    {
        self.sim_post(c, "/sim/faults", &fault).await;
        let in_flight = tokio::spawn(request);
        let waited = Instant::now();
        while self.sessions_at_dwolla(c).await == before {
            assert!(
                waited.elapsed() < Duration::from_secs(15),
                "Dwolla never created the session"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let log = p.kill9();
        assert!(
            tokio::time::timeout(Duration::from_secs(10), in_flight)
                .await
                .expect("the request ended")
                .is_err(),
            "the killed instance's request must fail"
        );
        log
    }
}

/// `href` (on the public URL) at instance `p`'s own address.
fn at(p: &Proc, href: &str) -> String {
    let path = href
        .strip_prefix(PUBLIC)
        .unwrap_or_else(|| panic!("{href} is on {PUBLIC}"));
    format!("http://{}/{path}", p.ready["listenAddr"].as_str().unwrap())
}

fn id_of(a: &Answer) -> String {
    let location = a
        .header("location")
        .unwrap_or_else(|| panic!("no Location: {}", a.text));
    location.rsplit('/').next().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_one_database_one_simulator() {
    let Some(database) =
        support::postgres::fresh_database("two_instances_one_database_one_simulator").await
    else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("iav-replicas-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let c = client();

    let mut sim_cmd = Command::new(BIN);
    sim_cmd.args(["simulate", "--listen", "127.0.0.1:0"]);
    let sim = spawn(&dir, "simulator", sim_cmd).await;
    let sim_url = sim.ready["simulatorUrl"]
        .as_str()
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    let alice = sim.ready["demoCustomerId"].as_str().unwrap().to_string();
    let bob = create_customer(&c, &sim, &sim_url, "Bob").await;
    let users_file = dir.join("users.toml");
    std::fs::write(
        &users_file,
        format!("[users]\n\"tok-alice-replicas-01\" = \"{alice}\"\n\"tok-bob-replicas-0123\" = \"{bob}\"\n"),
    )
    .unwrap();
    let d = Deployment {
        dir: dir.clone(),
        sim,
        sim_url,
        users_file,
        database,
        alice,
        bob,
    };
    let (a, b) = (d.backend("a").await, d.backend("b").await);
    let (alice, bob) = ("tok-alice-replicas-01", "tok-bob-replicas-0123");

    // A flow across the instances: session on A, read on B; exchange on B; funding source on A,
    // read on B.
    let partners = get(
        &c,
        &at(&a, &format!("{PUBLIC}exchange-partners")),
        Some(alice),
    )
    .await;
    assert_eq!(partners.status, 200, "{}", partners.text);
    let plaid = support::partner_in(&partners.body, "Plaid");
    let new_session = |p: &Proc, token: &'static str, key: &'static str| {
        let url = at(p, &format!("{PUBLIC}customers/me/exchange-sessions"));
        let body = session_body(&plaid, Some("com.example.app"));
        let c = c.clone();
        async move { post(&c, &url, token, &body, Some(key)).await }
    };
    let created = new_session(&a, alice, "replica-key-1").await;
    assert_eq!(created.status, 201, "{}", created.text);
    let session_href = created.header("location").unwrap();
    assert!(session_href.starts_with(PUBLIC), "{session_href}");
    let read = get(&c, &at(&b, &session_href), Some(alice)).await;
    assert_eq!(read.status, 200, "{}", read.text);
    let link = read.body["externalProviderSessionToken"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(created.body["externalProviderSessionToken"], link.as_str());

    // kill -9 after the answer: the restarted instance replays it for the same key (before Link
    // is completed: Dwolla's sessions are single use, and so are the simulator's).
    let sessions = d.sessions_at_dwolla(&c).await;
    let log_a = a.kill9();
    let a = d.backend("a2").await;
    let again = new_session(&a, alice, "replica-key-1").await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(
        again.header("location").as_deref(),
        Some(session_href.as_str())
    );
    assert_eq!(again.body["externalProviderSessionToken"], link.as_str());
    assert_eq!(d.sessions_at_dwolla(&c).await, sessions);

    let public = d
        .sim_post(&c, "/sim/plaid/complete-link", &json!({"linkToken": link}))
        .await["publicToken"]
        .as_str()
        .unwrap()
        .to_string();
    let exchange = post(
        &c,
        &at(&b, &format!("{PUBLIC}customers/me/exchanges")),
        alice,
        &json!({"_links": {"exchange-partner": {"href": plaid}}, "plaid": {"publicToken": public}}),
        Some("replica-key-2"),
    )
    .await;
    assert_eq!(exchange.status, 201, "{}", exchange.text);
    let fs = post(
        &c,
        &at(&a, &format!("{PUBLIC}customers/me/funding-sources")),
        alice,
        &json!({"_links": {"exchange": {"href": exchange.header("location").unwrap()}},
                "bankAccountType": "checking", "name": "Replica checking"}),
        Some("replica-key-3"),
    )
    .await;
    assert_eq!(fs.status, 201, "{}", fs.text);
    let fs_read = get(&c, &at(&b, &fs.header("location").unwrap()), Some(alice)).await;
    assert_eq!(fs_read.status, 200, "{}", fs_read.text);
    assert_eq!(fs_read.body["name"], "Replica checking");

    // Bob: alice's key text is a key of his own on both instances (a session of his, never
    // hers); her session is 404 on both.
    let mut bobs = Vec::new();
    for p in [&a, &b] {
        let own = new_session(p, bob, "replica-key-1").await;
        assert_eq!(own.status, 201, "{}", own.text);
        assert!(!own.text.contains(&link));
        bobs.push(id_of(&own));
        let peek = get(&c, &at(p, &session_href), Some(bob)).await;
        assert_eq!(peek.status, 404, "{}", peek.text);
    }
    // His key replays his own session on the other instance.
    assert_eq!(bobs[0], bobs[1]);
    let sessions = d.sessions_at_dwolla(&c).await;
    // kill -9 between Dwolla creating a session and the backend reading it back.
    let request = new_session(&a, alice, "replica-key-4");
    let log_a2 = d
        .kill9_once_dwolla_created(
            &c,
            a,
            sessions,
            json!({"method": "GET", "path": "/exchange-sessions/", "delayMs": 20000, "count": 1}),
            request,
        )
        .await;
    c.delete(format!("{}/sim/faults", d.sim_url))
        .send()
        .await
        .expect("clear faults");
    // The retry on the surviving instance gets the session Dwolla created, once.
    let retried = new_session(&b, alice, "replica-key-4").await;
    assert_eq!(retried.status, 201, "{}", retried.text);
    let a = d.backend("a3").await;
    let replayed = new_session(&a, alice, "replica-key-4").await;
    assert_eq!(replayed.status, 201, "{}", replayed.text);
    assert_eq!(id_of(&replayed), id_of(&retried));
    assert_eq!(d.sessions_at_dwolla(&c).await, sessions + 1);
    for p in [&a, &b] {
        let own = new_session(p, bob, "replica-key-4").await;
        assert_eq!(own.status, 201, "{}", own.text);
        assert_ne!(id_of(&own), id_of(&retried));
    }
    // Bob's own session with his own key still works on either.
    let own = new_session(&b, bob, "replica-key-5").await;
    assert_eq!(own.status, 201, "{}", own.text);

    // kill -9 after Dwolla created the session but before its answer arrived (the simulator
    // holds it: `late`): the key is claimed and no answer is recorded. The retry on the other
    // instance sends the same derived key, and Dwolla replays the session it created.
    let before_post = d.sessions_at_dwolla(&c).await;
    let request = new_session(&a, alice, "replica-key-6");
    let log_a3 = d
        .kill9_once_dwolla_created(
            &c,
            a,
            before_post,
            json!({"method": "POST", "path": format!("/customers/{}/exchange-sessions", d.alice),
                    "action": "late", "delayMs": 3000}),
            request,
        )
        .await;
    // Once Dwolla's held answer is out (its key is done at Dwolla), the retry on B: 503 with
    // Retry-After while the killed attempt's lease runs (its record cannot tell a dead instance
    // from a slow one), then the session Dwolla created.
    tokio::time::sleep(Duration::from_millis(3000)).await;
    let waited = Instant::now();
    let retried = loop {
        let r = new_session(&b, alice, "replica-key-6").await;
        if r.status != 503 {
            break r;
        }
        assert!(r.header("retry-after").is_some(), "{}", r.text);
        assert!(waited.elapsed() < Duration::from_secs(10), "{}", r.text);
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    println!(
        "the retry of a killed instance's key was answered after {:.1} s more",
        waited.elapsed().as_secs_f64()
    );
    assert_eq!(retried.status, 201, "{}", retried.text);
    let a = d.backend("a4").await;
    let replayed = new_session(&a, alice, "replica-key-6").await;
    assert_eq!(id_of(&replayed), id_of(&retried));
    assert_eq!(d.sessions_at_dwolla(&c).await, before_post + 1);
    let own = new_session(&b, bob, "replica-key-6").await;
    assert_eq!(own.status, 201, "{}", own.text);
    assert_ne!(id_of(&own), id_of(&retried));

    // No log line of any process holds the database password, a bearer token or a link token.
    let password = url::Url::parse(&d.database)
        .unwrap()
        .password()
        .unwrap()
        .to_string();
    let logs = [log_a, log_a2, log_a3, a.kill9(), b.kill9()];
    for log in &logs {
        support::assert_no_secret(log, &[&password, alice, bob, &link]);
        assert!(
            log.contains("database: PostgreSQL database iav_test_"),
            "{log}"
        );
    }
    let _ = &d.bob;
    std::fs::remove_dir_all(&dir).ok();
}
