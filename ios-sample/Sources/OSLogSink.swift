import IAVBridge
import os

/// Sends the library's log records to the unified logging system (Console.app, `log stream`),
/// subsystem `dev.iavbridge`, one category per Rust module. The library never logs a token.
final class OSLogSink: LogSink {
    private let subsystem: String

    init(subsystem: String = "dev.iavbridge") {
        self.subsystem = subsystem
    }

    func log(record: LogRecord) {
        let logger = Logger(subsystem: subsystem, category: record.target)
        switch record.level {
        case .error: logger.error("\(record.message, privacy: .public)")
        case .warn: logger.warning("\(record.message, privacy: .public)")
        case .info: logger.info("\(record.message, privacy: .public)")
        case .debug: logger.debug("\(record.message, privacy: .public)")
        case .trace: logger.trace("\(record.message, privacy: .public)")
        }
    }
}
