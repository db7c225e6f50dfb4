//! A scriptable HTTP/1.1 server on loopback for the client's fault tests: each accepted
//! request is answered by the next scripted [`Reply`] (the last one repeats), and every
//! request is recorded.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A complete answer.
    Http {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Waits, then answers.
    Delayed(Duration, Box<Reply>),
    /// Sends the status line and headers, then waits before the body.
    SlowBody {
        status: u16,
        body: Vec<u8>,
        delay: Duration,
    },
    /// Announces a longer body than it sends, then closes.
    Truncated { declared: usize, body: Vec<u8> },
    /// Sends headers and part of the body, then resets the connection.
    ResetMidBody,
    /// Closes the connection without answering.
    Close,
}

impl Reply {
    pub fn json(status: u16, body: &str) -> Reply {
        Reply::Http {
            status,
            headers: vec![("Content-Type".into(), iav_bridge::HAL_JSON.into())],
            body: body.as_bytes().to_vec(),
        }
    }

    pub fn with_header(self, name: &str, value: &str) -> Reply {
        match self {
            Reply::Http {
                status,
                mut headers,
                body,
            } => {
                headers.push((name.into(), value.into()));
                Reply::Http {
                    status,
                    headers,
                    body,
                }
            }
            other => other,
        }
    }
}

/// One recorded request.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The server's base URL as the client addressed it (`http://HOST/`).
    pub fn base(&self) -> String {
        format!("http://{}/", self.header("Host").expect("Host header"))
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }
}

/// Picks a reply for a request: by route, in order.
pub type Script = Arc<dyn Fn(&Recorded, usize) -> Reply + Send + Sync>;

pub struct FakeServer {
    pub url: String,
    pub requests: Arc<Mutex<Vec<Recorded>>>,
    /// Connections whose reply could not be written or that the client closed early.
    pub client_hangups: Arc<Mutex<usize>>,
    /// Connections accepted.
    pub connections: Arc<Mutex<usize>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeServer {
    /// A server answering every request with `script(request, index)`.
    pub async fn start(script: Script) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let hangups = Arc::new(Mutex::new(0));
        let connections = Arc::new(Mutex::new(0));
        let (reqs, hups, conns) = (requests.clone(), hangups.clone(), connections.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                *conns.lock().unwrap() += 1;
                let (reqs, hups, script) = (reqs.clone(), hups.clone(), script.clone());
                tokio::spawn(async move {
                    serve_connection(stream, reqs, hups, script).await;
                });
            }
        });
        FakeServer {
            url,
            requests,
            client_hangups: hangups,
            connections,
            task,
        }
    }

    /// A server answering the n-th request with `replies[n]` (the last one repeats).
    pub async fn sequence(replies: Vec<Reply>) -> FakeServer {
        FakeServer::start(Arc::new(move |_, i| {
            replies[i.min(replies.len() - 1)].clone()
        }))
        .await
    }

    pub fn recorded(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// How many requests had this path.
    pub fn count_path(&self, path: &str) -> usize {
        self.recorded().iter().filter(|r| r.path == path).count()
    }

    /// The `Idempotency-Key` of every POST, in order.
    pub fn idempotency_keys(&self) -> Vec<String> {
        self.recorded()
            .iter()
            .filter(|r| r.method == "POST")
            .map(|r| {
                r.header("Idempotency-Key")
                    .expect("Idempotency-Key")
                    .to_string()
            })
            .collect()
    }

    /// How many connections the server accepted.
    pub fn connection_count(&self) -> usize {
        *self.connections.lock().unwrap()
    }

    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

async fn serve_connection(
    mut stream: TcpStream,
    reqs: Arc<Mutex<Vec<Recorded>>>,
    hangups: Arc<Mutex<usize>>,
    script: Script,
) {
    let mut buf = Vec::new();
    loop {
        let Some(req) = read_request(&mut stream, &mut buf).await else {
            return;
        };
        let index = {
            let mut r = reqs.lock().unwrap();
            r.push(req.clone());
            r.len() - 1
        };
        let reply = script(&req, index);
        if !write_reply(&mut stream, reply).await {
            *hangups.lock().unwrap() += 1;
            return;
        }
    }
}

async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Recorded> {
    loop {
        if let Some(end) = find(buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let mut lines = head.split("\r\n");
            let mut first = lines.next()?.split(' ');
            let method = first.next()?.to_string();
            let path = first.next()?.to_string();
            let headers: Vec<(String, String)> = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
                .collect();
            let len: usize = headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let mut chunk = [0u8; 8192];
                let n = stream.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let body = buf[end + 4..end + 4 + len].to_vec();
            buf.drain(..end + 4 + len);
            return Some(Recorded {
                method,
                path,
                headers,
                body,
            });
        }
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn head(status: u16, headers: &[(String, String)], len: usize) -> Vec<u8> {
    let mut s = format!("HTTP/1.1 {status} Status\r\nContent-Length: {len}\r\n");
    for (n, v) in headers {
        for part in [n.as_str(), ": ", v.as_str(), "\r\n"] {
            s.push_str(part);
        }
    }
    s.push_str("\r\n");
    s.into_bytes()
}

/// Writes a reply; false when the client went away or the connection must close.
fn write_reply(
    stream: &mut TcpStream,
    reply: Reply,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send + '_>> {
    Box::pin(async move {
        match reply {
            Reply::Http {
                status,
                headers,
                body,
            } => {
                let mut out = head(status, &headers, body.len());
                out.extend_from_slice(&body);
                stream.write_all(&out).await.is_ok()
            }
            Reply::Delayed(delay, inner) => {
                // Notice a client that gives up while we wait.
                let mut probe = [0u8; 1];
                tokio::select! {
                    () = tokio::time::sleep(delay) => write_reply(stream, *inner).await,
                    _ = stream.read(&mut probe) => false,
                }
            }
            Reply::SlowBody {
                status,
                body,
                delay,
            } => {
                if stream
                    .write_all(&head(status, &[], body.len()))
                    .await
                    .is_err()
                {
                    return false;
                }
                let _ = stream.flush().await;
                tokio::time::sleep(delay).await;
                stream.write_all(&body).await.is_ok()
            }
            Reply::Truncated { declared, body } => {
                let mut out = head(200, &[], declared);
                out.extend_from_slice(&body);
                let _ = stream.write_all(&out).await;
                let _ = stream.shutdown().await;
                false
            }
            Reply::ResetMidBody => {
                let _ = stream.write_all(&head(200, &[], 1000)).await;
                let _ = stream.write_all(b"{\"_embedded\":").await;
                let _ = stream.flush().await;
                #[allow(deprecated)]
                let _ = stream.set_linger(Some(Duration::ZERO));
                false
            }
            Reply::Close => false,
        }
    })
}

/// The body of `GET exchange-partners` with hrefs on `base`.
pub fn partners_body(base: &str) -> String {
    let p = |id: &str, name: &str| {
        format!(
            r#"{{"id":"{id}","name":"{name}","status":"active","created":"2024-01-01T00:00:00.000Z","_links":{{"self":{{"href":"{base}exchange-partners/{id}"}}}}}}"#
        )
    };
    format!(
        r#"{{"_links":{{}},"_embedded":{{"exchange-partners":[{},{},{}]}},"total":3}}"#,
        p("p-mx", "MX"),
        p("p-plaid", "Plaid"),
        p("p-co", "Checkout.com")
    )
}

/// The body of a Plaid exchange session on `base`.
pub fn plaid_session_body(base: &str, token: &str) -> String {
    format!(
        r#"{{"created":"2024-03-25T17:13:38.430Z","_links":{{"self":{{"href":"{base}exchange-sessions/s1"}},"exchange-partner":{{"href":"{base}exchange-partners/p-plaid"}}}},"externalProviderSessionToken":"{token}"}}"#
    )
}
