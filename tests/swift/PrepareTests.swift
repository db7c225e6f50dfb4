import Foundation
import IAVBridge

/// How many prepares have logged their session ready so far.
private func readyCount() -> Int {
    CapturedLogs.shared.records.filter { $0.message.hasPrefix("prepare_plaid_link: session ready") }.count
}

/// Waits until more prepares than `before` have logged their session ready.
private func awaitReady(after before: Int) async throws {
    try check(try await waitUntil(10) { readyCount() > before }, "the prepare did not finish")
}

private func preparedClient(_ tokens: StaticTokenProvider, maxAgeMs: UInt64? = nil) throws -> BridgeClient {
    CapturedLogs.shared.install()
    var cfg = makeConfig()
    cfg = BridgeConfig(backendUrl: cfg.backendUrl, platform: cfg.platform, environment: cfg.environment,
                       timeoutMs: cfg.timeoutMs, maxRetries: cfg.maxRetries, allowInsecureHttp: true,
                       preparedMaxAgeMs: maxAgeMs)
    return try BridgeClient(config: cfg, tokenProvider: tokens)
}

/// preparePlaidLink: the session made when the screen appears, handed out at the tap. The token
/// provider is asked before every request, so its count is the client's request count; at a tap
/// that finds a prepared session it is asked once more, with no request, to check that the
/// session belongs to the user signed in now (one call for a tap served from the prepared
/// session, two or more for a tap that made its own).
let prepareTests: [TestCase] = [
    TestCase(name: "prepare.thenStartMakesNoRequest") {
        let tokens = StaticTokenProvider(Backend.alice.token)
        let c = try preparedClient(tokens)
        let before = readyCount()
        c.preparePlaidLink(customerId: "me")
        try await awaitReady(after: before)
        let asked = tokens.calls.value
        try checkEqual(asked, 2, "partner list and session creation")
        let s = try await c.startPlaidLink(customerId: "me")
        try checkEqual(tokens.calls.value, asked + 1, "no request at the tap, only the check of whose session it is")
        _ = try await Sim.completeLink(s.linkToken())
        // Handed out once: the next start creates its own (nothing prepared: no check).
        let again = try await c.startPlaidLink(customerId: "me")
        try checkEqual(tokens.calls.value, asked + 2)
        try check(again.linkToken() != s.linkToken())
    },
    TestCase(name: "prepare.anExpiredSessionIsReplaced") {
        let tokens = StaticTokenProvider(Backend.alice.token)
        let c = try preparedClient(tokens, maxAgeMs: 1)
        let before = readyCount()
        c.preparePlaidLink(customerId: "me")
        try await awaitReady(after: before)
        try await Task.sleep(nanoseconds: 20_000_000)
        let asked = tokens.calls.value
        let logs = CapturedLogs.shared.records.count
        let s = try await c.startPlaidLink(customerId: "me")
        try checkEqual(tokens.calls.value, asked + 2, "a new session was created (the check, then the request)")
        try check(s.linkToken().hasPrefix("link-sandbox-"))
        try check(CapturedLogs.shared.records.dropFirst(logs).contains { $0.message.contains("replaced by a new one") })
    },
    TestCase(name: "prepare.inFlightIsAwaitedOneSessionCreated") {
        let tokens = StaticTokenProvider(Backend.alice.token)
        let c = try preparedClient(tokens)
        try await Sim.fault(["method": "POST", "path": "/customers/", "delayMs": 500, "count": 1])
        c.preparePlaidLink(customerId: "me")
        try await Task.sleep(nanoseconds: 100_000_000)
        let s = try await c.startPlaidLink(customerId: "me")
        try checkEqual(tokens.calls.value, 3, "one partner list, one session, the check at the tap")
        try check(s.linkToken().hasPrefix("link-sandbox-"))
    },
    TestCase(name: "prepare.cancelledStartKeepsItAndDroppingTheClientAbortsIt") {
        let tokens = StaticTokenProvider(Backend.alice.token)
        let c = try preparedClient(tokens)
        try await Sim.fault(["method": "POST", "path": "/customers/", "delayMs": 600, "count": 1])
        let before = readyCount()
        c.preparePlaidLink(customerId: "me")
        let task = Task { try await c.startPlaidLink(customerId: "me") }
        try await Task.sleep(nanoseconds: 150_000_000)
        task.cancel()
        _ = await task.result
        try await awaitReady(after: before)
        let asked = tokens.calls.value
        _ = try await c.startPlaidLink(customerId: "me")
        try checkEqual(tokens.calls.value, asked + 1, "the prepared session survived the cancelled start (only the check at the tap)")

        // Dropping the client while a prepare is in flight aborts it: it never becomes ready.
        try await Sim.fault(["method": "POST", "path": "/customers/", "delayMs": 600, "count": 1])
        let ready = readyCount()
        var dropped: BridgeClient? = try preparedClient(tokens)
        dropped?.preparePlaidLink(customerId: "me")
        try await Task.sleep(nanoseconds: 150_000_000)
        dropped = nil
        try await Task.sleep(nanoseconds: 900_000_000)
        try checkEqual(readyCount(), ready, "an aborted prepare never became ready")
        _ = dropped
    },
]
