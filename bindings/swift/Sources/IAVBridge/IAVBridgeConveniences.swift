// Hand-written conveniences over the generated bindings (IAVBridge.swift). The foreign protocols
// (AccessTokenProvider, LogSink) must be implemented by classes; these wrap closures so an app can
// pass one inline. Everything else is used as generated.
import Foundation

/// An ``AccessTokenProvider`` backed by an async closure that returns the signed-in user's token
/// for the app's backend.
///
/// Throw ``AccessTokenError/Failed(reason:)`` when there is no token (the user signed out); any
/// other error becomes `Failed` too. The library then fails the call with
/// ``BridgeError/TokenProvider(detail:)``.
///
/// ```swift
/// let client = try BridgeClient(config: config,
///                               tokenProvider: AccessTokenClosure { try await session.currentToken() })
/// ```
public final class AccessTokenClosure: AccessTokenProvider {
    private let body: @Sendable () async throws -> String

    /// Wraps `body`, called before each request to the backend and once more after a `401`.
    public init(_ body: @escaping @Sendable () async throws -> String) {
        self.body = body
    }

    /// Calls the closure.
    public func accessToken() async throws -> String {
        try await body()
    }
}

/// A ``LogSink`` backed by a closure; pass it to ``setLogSink(sink:maxLevel:)`` to route the
/// library's records to OSLog or any logger. Called on the library's threads: do not block.
///
/// ```swift
/// setLogSink(sink: LogSinkClosure { record in logger.log("\(record.target): \(record.message)") },
///            maxLevel: .info)
/// ```
public final class LogSinkClosure: LogSink {
    private let body: @Sendable (LogRecord) -> Void

    /// Wraps `body`, called once per record.
    public init(_ body: @escaping @Sendable (LogRecord) -> Void) {
        self.body = body
    }

    /// Calls the closure.
    public func log(record: LogRecord) {
        body(record)
    }
}
