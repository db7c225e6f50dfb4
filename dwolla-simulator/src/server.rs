//! The accept loop of [`super::Simulator::serve`]: HTTP/1.1 connections served by the router, and
//! the `reset` fault honoured by closing the connection without an answer.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use tower::ServiceExt;

/// Marks a response that must not be sent: the connection is closed instead.
#[derive(Clone, Copy)]
pub(crate) struct ResetConnection;

/// The error a connection's service returns to make hyper close it without answering.
#[derive(Debug, thiserror::Error)]
#[error("connection reset by a simulator fault")]
struct ConnectionReset;

/// Accepts connections until `shutdown` fires; then closes every open connection.
pub(crate) async fn accept_loop(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors or a connection aborted before accept: wait, go on.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let router = router.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let router = router.clone();
                        async move {
                            let resp: Result<Response, Infallible> =
                                router.oneshot(req.map(Body::new)).await;
                            let resp = match resp {
                                Ok(resp) => resp,
                                Err(never) => match never {},
                            };
                            if resp.extensions().get::<ResetConnection>().is_some() {
                                Err(ConnectionReset)
                            } else {
                                Ok(resp)
                            }
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}
