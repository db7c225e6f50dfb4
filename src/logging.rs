//! Routes the library's `log` records to a sink the app implements (Logcat, `OSLog`, Timber...).
//!
//! Only the library's own records are forwarded (targets starting with `iav_bridge`). The
//! library never logs a token or a secret: records carry methods, paths, statuses and timings.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, RwLock};

use once_cell::sync::OnceCell;

/// A record's severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, uniffi::Enum)]
pub enum LogLevel {
    /// A call failed.
    Error,
    /// Something unexpected that the library worked around (a retry, a refused href).
    Warn,
    /// One line per request.
    Info,
    /// Details of retries, caches and timings.
    Debug,
    /// Everything.
    Trace,
}

/// One log record.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LogRecord {
    /// Its severity.
    pub level: LogLevel,
    /// The module that wrote it, for example `iav_bridge::transport`.
    pub target: String,
    /// The text. Never contains a token or a secret.
    pub message: String,
}

/// Receives the library's log records. Implement it in Kotlin or Swift and pass it to
/// `set_log_sink`. Called from the library's threads: it must be thread-safe and quick.
#[uniffi::export(foreign)]
pub trait LogSink: Send + Sync {
    /// Handles one record.
    fn log(&self, record: LogRecord);
}

struct Forwarder {
    sink: RwLock<Option<(Arc<dyn LogSink>, log::LevelFilter)>>,
}

static FORWARDER: OnceCell<&'static Forwarder> = OnceCell::new();

fn to_filter(level: LogLevel) -> log::LevelFilter {
    match level {
        LogLevel::Error => log::LevelFilter::Error,
        LogLevel::Warn => log::LevelFilter::Warn,
        LogLevel::Info => log::LevelFilter::Info,
        LogLevel::Debug => log::LevelFilter::Debug,
        LogLevel::Trace => log::LevelFilter::Trace,
    }
}

fn from_level(level: log::Level) -> LogLevel {
    match level {
        log::Level::Error => LogLevel::Error,
        log::Level::Warn => LogLevel::Warn,
        log::Level::Info => LogLevel::Info,
        log::Level::Debug => LogLevel::Debug,
        log::Level::Trace => LogLevel::Trace,
    }
}

impl log::Log for Forwarder {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.target().starts_with("iav_bridge")
            && self
                .sink
                .read()
                .is_ok_and(|s| s.as_ref().is_some_and(|(_, max)| metadata.level() <= *max))
    }

    fn log(&self, record: &log::Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let sink = match self.sink.read() {
            Ok(s) => s.as_ref().map(|(sink, _)| sink.clone()),
            Err(_) => None,
        };
        if let Some(sink) = sink {
            let rec = LogRecord {
                level: from_level(record.level()),
                target: record.target().to_string(),
                message: record.args().to_string(),
            };
            // A sink that throws must not take the library down with it.
            let _ = catch_unwind(AssertUnwindSafe(|| sink.log(rec)));
        }
    }

    fn flush(&self) {}
}

/// Sends the library's log records at `max_level` and above to `sink`, replacing any sink set
/// before. Call it once at app start, before creating a `BridgeClient`.
#[uniffi::export]
pub fn set_log_sink(sink: Arc<dyn LogSink>, max_level: LogLevel) {
    let forwarder = FORWARDER.get_or_init(|| {
        let f: &'static Forwarder = Box::leak(Box::new(Forwarder {
            sink: RwLock::new(None),
        }));
        // Fails only if the process already has a `log` logger (a Rust host app); the sink
        // then receives nothing, which the host's own logger covers.
        let _ = log::set_logger(f);
        f
    });
    if let Ok(mut slot) = forwarder.sink.write() {
        *slot = Some((sink, to_filter(max_level)));
    }
    let filter = to_filter(max_level);
    if filter > log::max_level() {
        log::set_max_level(filter);
    }
}
