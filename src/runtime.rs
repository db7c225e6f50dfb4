//! The process-wide tokio runtime every exported async call runs its I/O on.
//!
//! One runtime for the whole process, at most two worker threads named `iav-bridge`, created on
//! first use. A call's work is spawned there and aborted when the Kotlin coroutine or Swift task
//! that awaits it is cancelled (uniffi drops the future; dropping aborts the task). A panic in
//! the task becomes [`BridgeError::Internal`] instead of crossing the FFI boundary.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use once_cell::sync::OnceCell;
use tokio::runtime::{Handle, Runtime};
use tokio::task::JoinHandle;

use crate::error::BridgeError;

/// Worker threads of the shared runtime: network I/O needs few, and phones have few cores.
pub const WORKER_THREADS: usize = 2;
/// The name of the runtime's threads, as seen in a profiler or a thread dump.
pub const THREAD_NAME: &str = "iav-bridge";

static RUNTIME: OnceCell<Runtime> = OnceCell::new();

/// The shared runtime's handle, building the runtime on first use.
pub(crate) fn handle() -> Result<Handle, BridgeError> {
    RUNTIME
        .get_or_try_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(WORKER_THREADS)
                .thread_name(THREAD_NAME)
                .enable_all()
                .build()
        })
        .map(|rt| rt.handle().clone())
        .map_err(|e| BridgeError::Internal {
            detail: format!("could not start the I/O runtime: {e}"),
        })
}

/// Runs `fut` on the shared runtime and waits for it from any executor (the foreign language's
/// or another runtime). Dropping the returned future aborts the task.
pub(crate) async fn run<F, T>(fut: F) -> Result<T, BridgeError>
where
    F: Future<Output = Result<T, BridgeError>> + Send + 'static,
    T: Send + 'static,
{
    let task = AbortOnDrop(handle()?.spawn(fut));
    match task.await {
        Ok(result) => result,
        Err(e) if e.is_panic() => {
            let detail = panic_text(&*e.into_panic());
            log::error!(target: "iav_bridge::runtime", "a call panicked: {detail}");
            Err(BridgeError::Internal {
                detail: format!("a call panicked ({detail}); please report this bug"),
            })
        }
        Err(_) => Err(BridgeError::Internal {
            detail: "the call's task was cancelled while the client was still waiting".into(),
        }),
    }
}

/// Starts `fut` on the shared runtime without waiting for it; the handle aborts it.
pub(crate) fn spawn_abortable<F>(fut: F) -> Result<tokio::task::AbortHandle, BridgeError>
where
    F: Future<Output = ()> + Send + 'static,
{
    Ok(handle()?.spawn(fut).abort_handle())
}

/// Describes a caught panic payload.
pub(crate) fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, tokio::task::JoinError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn runs_on_named_threads_and_catches_panics() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let name = rt
            .block_on(run(async {
                Ok(std::thread::current().name().unwrap_or("").to_string())
            }))
            .unwrap();
        assert_eq!(name, THREAD_NAME);
        let err = rt
            .block_on(run::<_, ()>(async { panic!("boom") }))
            .unwrap_err();
        assert!(matches!(err, BridgeError::Internal { ref detail } if detail.contains("boom")));
    }

    #[test]
    fn dropping_the_call_aborts_the_task() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let finished = Arc::new(AtomicBool::new(false));
        let f = finished.clone();
        rt.block_on(async {
            let call = run(async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                f.store(true, Ordering::SeqCst);
                Ok(())
            });
            let _ = tokio::time::timeout(Duration::from_millis(20), call).await;
            tokio::time::sleep(Duration::from_millis(500)).await;
        });
        assert!(!finished.load(Ordering::SeqCst));
    }
}
