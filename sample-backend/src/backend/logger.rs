//! A small stderr logger for the `log` facade.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use log::{LevelFilter, Log, Metadata, Record};

/// Writes `<unix seconds.millis> LEVEL target: message` lines to stderr; other crates' records
/// only up to `warn`.
///
/// The backend only logs methods, paths (ids), statuses and durations, never credentials or
/// tokens, so this logger does no filtering of its own.
#[derive(Debug)]
pub struct StderrLogger {
    level: LevelFilter,
}

impl Log for StderrLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        // Other crates (HTTP internals) are capped at `warn` so that no trace of theirs can
        // carry a header value into the log.
        let cap = if metadata.target().starts_with("sample_backend") {
            self.level
        } else {
            self.level.min(LevelFilter::Warn)
        };
        metadata.level() <= cap
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let _ = writeln!(
            std::io::stderr().lock(),
            "{}.{:03} {:<5} {}: {}",
            now.as_secs(),
            now.subsec_millis(),
            record.level(),
            record.target(),
            record.args()
        );
    }

    fn flush(&self) {
        let _ = std::io::stderr().flush();
    }
}

/// The level named by `RUST_LOG` (`error`, `warn`, `info`, `debug`, `trace`, `off`), else `info`.
pub fn level_from_env() -> LevelFilter {
    std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(LevelFilter::Info)
}

/// Installs the stderr logger at `level`. Does nothing when a logger is already installed.
pub fn init(level: LevelFilter) {
    let logger = Box::leak(Box::new(StderrLogger { level }));
    if log::set_logger(logger).is_ok() {
        log::set_max_level(level);
    }
}
