//! Raw HTTP/1.1 over a TCP stream, for the tests that hold connections half-open or in flight
//! (`backend_limits.rs`, `backend_load.rs`).

use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// How long [`read_answer`] waits for each read.
pub const PATIENCE: Duration = Duration::from_secs(6);

/// Reads one HTTP answer with a `Content-Length` body (or none); its text.
pub async fn read_answer(conn: &mut TcpStream) -> String {
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&all).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if all.len() >= end + 4 + len {
                return text;
            }
        }
        let n = tokio::time::timeout(PATIENCE, conn.read(&mut buf))
            .await
            .expect("an answer in time")
            .expect("read");
        assert!(n > 0, "closed before a whole answer: {text}");
        all.extend_from_slice(&buf[..n]);
    }
}

/// Reads until the server closes the connection; the bytes, or `None` when it stayed open for
/// [`PATIENCE`].
pub async fn read_until_closed(conn: &mut TcpStream) -> Option<Vec<u8>> {
    let mut all = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        loop {
            match conn.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => all.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(PATIENCE, read).await.ok()?;
    Some(all)
}
