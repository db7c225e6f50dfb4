import Foundation
import IAVBridge

/// Makes the next session creation (POST under /customers/) fail as described.
private func failOnCreate(_ fields: [String: Any]) async throws {
    var f = fields
    f["method"] = "POST"
    f["path"] = "/customers/"
    try await Sim.fault(f)
}

private func startFails(maxRetries: UInt32 = 0, timeoutMs: UInt64 = 15_000) async throws -> BridgeError {
    let c = try makeClient(maxRetries: maxRetries, timeoutMs: timeoutMs)
    let e = try await expectError(BridgeError.self) { _ = try await c.startPlaidLink(customerId: Backend.alice.customerId) }
    try checkNoSecret(String(describing: e), [Backend.alice.token], "error")
    return e
}

let errorTests: [TestCase] = [
    TestCase(name: "errors.validation") {
        try await failOnCreate(["status": 400, "code": "ValidationError", "message": "Validation error(s) present. See embedded errors list for more details."])
        guard case let .Validation(code, detail, _) = try await startFails() else { throw TestFailure(description: "expected Validation") }
        try checkEqual(code, "ValidationError")
        try check(detail.contains("Validation error(s) present"), detail)
    },
    TestCase(name: "errors.redirectNotAllowed") {
        // Valid by Plaid's iOS rules, but not on the backend's allow-list.
        let c = try makeClient(platform: .ios(redirectUrl: "https://example.com/other"), maxRetries: 0)
        let e = try await expectError(BridgeError.self) { _ = try await c.startPlaidLink(customerId: Backend.alice.customerId) }
        guard case let .RedirectUrlNotAllowed(detail) = e else { throw TestFailure(description: "expected RedirectUrlNotAllowed, got \(e)") }
        try check(detail.contains("configured URLs"), detail)
    },
    TestCase(name: "errors.unauthorized") {
        try await failOnCreate(["status": 401, "code": "InvalidScope", "message": "Missing or invalid scopes for requested endpoint", "count": 5])
        guard case let .Unauthorized(code, detail) = try await startFails() else { throw TestFailure(description: "expected Unauthorized") }
        try checkEqual(code, "InvalidScope")
        try check(detail.contains("scopes"), detail)
    },
    TestCase(name: "errors.forbidden") {
        try await failOnCreate(["status": 403, "code": "forbidden", "message": "The exchange partner specified does not support this product"])
        guard case let .Forbidden(code, detail) = try await startFails() else { throw TestFailure(description: "expected Forbidden") }
        try checkEqual(code, "forbidden")
        try check(detail.contains("does not support"), detail)
    },
    TestCase(name: "errors.notFound") {
        try await failOnCreate(["status": 404, "code": "NotFound", "message": "The requested resource was not found."])
        guard case let .NotFound(detail) = try await startFails() else { throw TestFailure(description: "expected NotFound") }
        try check(detail.contains("not found"), detail)
    },
    TestCase(name: "errors.rateLimited") {
        try await failOnCreate(["status": 429, "code": "TooManyRequests", "retryAfter": "7"])
        guard case let .RateLimited(retryAfterMs) = try await startFails() else { throw TestFailure(description: "expected RateLimited") }
        try checkEqual(retryAfterMs, 7_000)
    },
    TestCase(name: "errors.server") {
        try await failOnCreate(["status": 500, "code": "ServerError", "message": "Something broke"])
        guard case let .Server(status, code, detail) = try await startFails() else { throw TestFailure(description: "expected Server") }
        try checkEqual(status, 500)
        try checkEqual(code, "ServerError")
        try check(detail.contains("Something broke"), detail)
    },
    TestCase(name: "errors.serverThenSuccessIsRetried") {
        try await failOnCreate(["status": 503, "code": "ServiceUnavailable", "count": 2])
        let s = try await makeClient(maxRetries: 2).startPlaidLink(customerId: Backend.alice.customerId)
        try check(s.linkToken().hasPrefix("link-sandbox-"))
    },
    TestCase(name: "errors.timeout") {
        try await failOnCreate(["delayMs": 3_000])
        let started = Date()
        guard case let .Timeout(afterMs) = try await startFails(timeoutMs: 700) else { throw TestFailure(description: "expected Timeout") }
        try checkEqual(afterMs, 700)
        try check(Date().timeIntervalSince(started) < 2.5, "took \(Date().timeIntervalSince(started)) s")
    },
    TestCase(name: "errors.connectionRefused") {
        // Port 1 on loopback: nothing listens there.
        let c = try BridgeClient(config: makeConfig(backendUrl: "http://127.0.0.1:1/", maxRetries: 0),
                                 tokenProvider: StaticTokenProvider(Backend.alice.token))
        let e = try await expectError(BridgeError.self) { _ = try await c.startPlaidLink(customerId: "me") }
        guard case .Network = e else { throw TestFailure(description: "expected Network, got \(e)") }
    },
]

let tokenProviderTests: [TestCase] = [
    TestCase(name: "token.asyncProviderAskedPerRequest") {
        let p = StaticTokenProvider(Backend.alice.token)
        let c = try BridgeClient(config: makeConfig(), tokenProvider: p)
        _ = try await c.startPlaidLink(customerId: Backend.alice.customerId)
        let first = p.calls.value
        try check(first >= 1)
        _ = try await c.startPlaidLink(customerId: Backend.alice.customerId)
        try check(p.calls.value > first)
    },
    TestCase(name: "token.failingProvider") {
        let p = FailingTokenProvider(AccessTokenError.Failed(reason: "user signed out"))
        let c = try BridgeClient(config: makeConfig(), tokenProvider: p)
        let e = try await expectError(BridgeError.self) { _ = try await c.startPlaidLink(customerId: "me") }
        guard case let .TokenProvider(detail) = e else { throw TestFailure(description: "expected TokenProvider, got \(e)") }
        try check(detail.contains("user signed out"), detail)
        try checkEqual(p.calls.value, 1)
    },
    TestCase(name: "token.otherErrorBecomesTokenProvider") {
        let c = try BridgeClient(config: makeConfig(), tokenProvider: FailingTokenProvider(SomeAppError()))
        let e = try await expectError(BridgeError.self) { _ = try await c.startPlaidLink(customerId: "me") }
        guard case .TokenProvider = e else { throw TestFailure(description: "expected TokenProvider, got \(e)") }
    },
    TestCase(name: "token.refusedOnceThenRefreshed") {
        let p = SequenceTokenProvider("expired-session-token", Backend.alice.token)
        let c = try BridgeClient(config: makeConfig(), tokenProvider: p)
        let s = try await c.startPlaidLink(customerId: Backend.alice.customerId)
        try check(s.linkToken().hasPrefix("link-sandbox-"))
        try check(p.calls.value >= 2, "calls \(p.calls.value)")
    },
    TestCase(name: "token.staysRefusedIsUnauthorized") {
        let p = SequenceTokenProvider("wrong-1", "wrong-2", "wrong-3")
        let c = try BridgeClient(config: makeConfig(), tokenProvider: p)
        let e = try await expectError(BridgeError.self) { _ = try await c.startPlaidLink(customerId: "me") }
        guard case .Unauthorized = e else { throw TestFailure(description: "expected Unauthorized, got \(e)") }
        try checkEqual(p.calls.value, 2)
        try checkNoSecret(String(reflecting: e), ["wrong-1", "wrong-2"], "error")
    },
    TestCase(name: "token.slowProviderIsCancelledWhenTheCallTimesOut") {
        final class Flag: @unchecked Sendable {
            let lock = NSLock()
            var set = false
            func mark() { lock.lock(); set = true; lock.unlock() }
            var isSet: Bool { lock.lock(); defer { lock.unlock() }; return set }
        }
        let cancelled = Flag()
        let provider = AccessTokenClosure {
            do {
                try await Task.sleep(nanoseconds: 10_000_000_000)
            } catch is CancellationError {
                cancelled.mark()
                throw CancellationError()
            }
            return "never"
        }
        let c = try BridgeClient(config: makeConfig(maxRetries: 0, timeoutMs: 400), tokenProvider: provider)
        let started = Date()
        let e = try await expectError(BridgeError.self) { _ = try await c.startPlaidLink(customerId: "me") }
        switch e {
        case .Timeout, .TokenProvider: break
        default: throw TestFailure(description: "expected Timeout, got \(e)")
        }
        try check(Date().timeIntervalSince(started) < 3, "took too long")
        try check(try await waitUntil(3) { cancelled.isSet }, "the provider's task was not cancelled")
    },
    TestCase(name: "token.closureProvider") {
        let counter = Counter()
        let bob = Backend.bob
        let c = try BridgeClient(config: makeConfig(), tokenProvider: AccessTokenClosure {
            _ = counter.next()
            try await Task.sleep(nanoseconds: 2_000_000)
            return bob.token
        })
        try check(try await c.startPlaidLink(customerId: bob.customerId).linkToken().hasPrefix("link-sandbox-"))
        try check(counter.value >= 1)
    },
]

let loggingTests: [TestCase] = [
    TestCase(name: "logging.recordsWithoutSecrets") {
        CapturedLogs.shared.install()
        CapturedLogs.shared.clear()
        var secrets = [Backend.alice.token]
        let c = try makeClient()
        let alice = Backend.alice
        let s = try await c.startPlaidLink(customerId: alice.customerId)
        secrets.append(s.linkToken())
        let publicToken = try await Sim.completeLink(s.linkToken())
        secrets.append(publicToken)
        let exchange = try await c.completePlaidLink(customerId: alice.customerId, publicToken: publicToken)
        _ = try await c.createFundingSource(customerId: alice.customerId, exchangeId: exchange.id, bankAccountType: .checking, name: "Logged")
        if case let .checkoutPayment(p) = try await c.exchangeSession(
            sessionUrl: try await c.createExchangeSession(customerId: alice.customerId, partnerName: "Checkout.com")) {
            secrets += [p.paymentSessionSecret(), p.paymentSessionToken()]
        }
        do {
            _ = try await c.completePlaidLink(customerId: alice.customerId, publicToken: publicToken)
        } catch {
            try checkNoSecret(String(reflecting: error), secrets, "error")
        }
        let records = CapturedLogs.shared.records
        try check(!records.isEmpty, "no records")
        try check(records.contains { $0.level == .info || $0.level == .warn || $0.level == .error }, "no record at INFO or above")
        for r in records {
            try checkNoSecret(r.message, secrets, "log record \(r.level) \(r.target)")
        }
    },
    TestCase(name: "logging.closureSink") {
        final class Box: @unchecked Sendable { var records: [LogRecord] = [] }
        let box = Box()
        let sink = LogSinkClosure { box.records.append($0) }
        sink.log(record: LogRecord(level: .warn, target: "t", message: "m"))
        try checkEqual(box.records, [LogRecord(level: .warn, target: "t", message: "m")])
    },
]

let concurrencyTests: [TestCase] = [
    TestCase(name: "concurrency.cancelReturnsPromptlyAndClientStillWorks") {
        let c = try makeClient()
        _ = try await c.exchangePartners() // warm the partner cache: the delayed request is the session's
        try await failOnCreate(["delayMs": 5_000])
        let customer = Backend.alice.customerId
        let task = Task { try await c.startPlaidLink(customerId: customer) }
        try await Task.sleep(nanoseconds: 300_000_000)
        let started = Date()
        task.cancel()
        let result = await task.result
        let took = Date().timeIntervalSince(started)
        try check(took < 3.0, "cancellation took \(took) s (the server would wait 5 s)")
        switch result {
        case .success: throw TestFailure(description: "the cancelled call succeeded")
        case let .failure(error): try check(error is CancellationError, "expected CancellationError, got \(error)")
        }
        try await Sim.clearFaults()
        try check(try await c.startPlaidLink(customerId: customer).linkToken().hasPrefix("link-sandbox-"))
    },
    TestCase(name: "concurrency.twoHundredFlowsInATaskGroup") {
        let c = try makeClient()
        let alice = Backend.alice.customerId
        let results = try await withThrowingTaskGroup(of: (String, String).self) { group in
            for i in 0..<200 {
                group.addTask {
                    let s = try await c.startPlaidLink(customerId: i % 2 == 0 ? alice : "me")
                    return (s.linkToken(), s.sessionUrl())
                }
            }
            var all: [(String, String)] = []
            for try await r in group { all.append(r) }
            return all
        }
        try checkEqual(results.count, 200)
        try check(results.allSatisfy { $0.0.hasPrefix("link-sandbox-") })
        try checkEqual(Set(results.map(\.0)).count, 200, "distinct link tokens")
        try checkEqual(Set(results.map(\.1)).count, 200, "distinct sessions")
    },
]
