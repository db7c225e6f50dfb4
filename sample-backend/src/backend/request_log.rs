//! The request log: one line per request to the backend.

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

/// Middleware logging method, path, status and duration of each request; nothing else (no
/// headers, no query, no body). Paths longer than 200 bytes are cut.
pub(crate) async fn log_requests(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let mut path = req.uri().path().to_string();
    if path.len() > 200 {
        let mut cut = 200;
        while !path.is_char_boundary(cut) {
            cut -= 1;
        }
        path.truncate(cut);
        path.push_str("...");
    }
    let started = Instant::now();
    let resp = next.run(req).await;
    log::info!(
        "{method} {path} -> {} in {} ms",
        resp.status().as_u16(),
        started.elapsed().as_millis()
    );
    resp
}
