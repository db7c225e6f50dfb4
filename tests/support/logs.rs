//! Every log record of the core, captured at Trace by the one sink of a test binary (the sink
//! is process-wide and tests run in parallel: each test looks for its own secrets in all of it).

use std::sync::{Arc, Mutex, OnceLock};

use iav_bridge::{set_log_sink, LogLevel, LogRecord, LogSink};

/// The records logged so far.
pub struct Capture(Mutex<Vec<LogRecord>>);

impl Capture {
    /// A copy of every record logged so far.
    pub fn records(&self) -> Vec<LogRecord> {
        self.0.lock().unwrap().clone()
    }
}

impl LogSink for Capture {
    fn log(&self, record: LogRecord) {
        self.0.lock().unwrap().push(record);
    }
}

/// The one capturing sink of this test binary, installed at Trace on first use.
pub fn capture() -> Arc<Capture> {
    static CAPTURE: OnceLock<Arc<Capture>> = OnceLock::new();
    CAPTURE
        .get_or_init(|| {
            let c = Arc::new(Capture(Mutex::new(Vec::new())));
            set_log_sink(c.clone(), LogLevel::Trace);
            c
        })
        .clone()
}
