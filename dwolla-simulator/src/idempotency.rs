//! `Idempotency-Key` on Dwolla POSTs (simulator choice, see the module documentation of
//! [`super`]): the first successful answer is stored and replayed for the key; while the first
//! request is in progress another one with the key gets 409 `Conflict`; error answers are not
//! stored.

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;

use super::model::{Idempotency, StoredResponse};
use super::response::error;
use super::Simulator;

/// Starts a request carrying `key`: the stored answer to replay, or 409 while another request
/// with the key is in progress (both as `Err`), or a guard marking the key in progress.
pub(crate) fn begin(sim: &Simulator, key: String) -> Result<IdempotencyGuard, Response> {
    let mut state = sim.state();
    match state.idempotency.get(&key) {
        Some(Idempotency::Done(stored)) => Err(replay(stored.clone())),
        Some(Idempotency::InProgress) => Err(error(
            StatusCode::CONFLICT,
            "Conflict",
            "A request with this Idempotency-Key is already in progress.",
        )),
        None => {
            state
                .idempotency
                .insert(key.clone(), Idempotency::InProgress);
            Ok(IdempotencyGuard {
                sim: sim.clone(),
                key,
                finished: false,
            })
        }
    }
}

/// Removes an in-progress idempotency entry unless the request finished with a stored answer
/// (also when the request is cancelled, so that a retry is not refused forever).
pub(crate) struct IdempotencyGuard {
    sim: Simulator,
    key: String,
    finished: bool,
}

impl IdempotencyGuard {
    /// Stores a successful (2xx) answer for the key and gives it back; any other answer is
    /// given back as is, and the key is free again.
    pub(crate) async fn finish(mut self, resp: Response) -> Response {
        if !resp.status().is_success() {
            return resp;
        }
        let (parts, body) = resp.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        self.store(StoredResponse {
            status: parts.status,
            headers: parts.headers.clone(),
            body: bytes.clone(),
        });
        Response::from_parts(parts, Body::from(bytes))
    }

    fn store(&mut self, stored: StoredResponse) {
        self.sim
            .state()
            .idempotency
            .insert(self.key.clone(), Idempotency::Done(stored));
        self.finished = true;
    }
}

impl Drop for IdempotencyGuard {
    fn drop(&mut self) {
        if !self.finished {
            let mut state = self.sim.state();
            if matches!(
                state.idempotency.get(&self.key),
                Some(Idempotency::InProgress)
            ) {
                state.idempotency.remove(&self.key);
            }
        }
    }
}

/// A stored answer, sent again.
fn replay(stored: StoredResponse) -> Response {
    let mut resp = Response::new(Body::from(stored.body));
    *resp.status_mut() = stored.status;
    *resp.headers_mut() = stored.headers;
    resp
}
