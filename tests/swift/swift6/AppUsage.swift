// App code written in Swift 6 language mode (compiled with -swift-version 6, complete strict
// concurrency checking) using the whole IAVBridge API, while the generated module itself is built
// in Swift 5 mode. It must compile without errors and run against the sample-backend: async calls,
// a TaskGroup, an AccessTokenProvider and a LogSink implemented here, typed errors and enums.
// Run by the Swift suite (test "swift6.appUsage"); exit status 0 means every step worked.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import IAVBridge

/// The app's session store: an actor, as Swift 6 code would write it.
actor SessionStore {
    private var token: String
    private(set) var reads = 0
    init(token: String) { self.token = token }
    func currentToken() -> String {
        reads += 1
        return token
    }
}

/// AccessTokenProvider implemented in Swift 6: immutable, so Sendable without @unchecked.
final class AppTokenProvider: AccessTokenProvider {
    let store: SessionStore
    init(store: SessionStore) { self.store = store }
    func accessToken() async throws -> String {
        await store.currentToken()
    }
}

/// LogSink implemented in Swift 6: records go to an actor.
actor LogBook {
    private(set) var lines: [String] = []
    func add(_ line: String) { lines.append(line) }
}

final class AppLogSink: LogSink {
    let book: LogBook
    init(book: LogBook) { self.book = book }
    func log(record: LogRecord) {
        let line = "[\(record.level)] \(record.target): \(record.message)"
        Task { await book.add(line) }
    }
}

struct Failure: Error, CustomStringConvertible {
    let description: String
}

func require(_ condition: Bool, _ message: String) throws {
    if !condition { throw Failure(description: message) }
}

@main
struct AppUsage {
    static func main() async {
        do {
            try await run()
        } catch {
            print("swift6 app usage failed: \(error)")
            exit(1)
        }
    }

    static func run() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let backendUrl = env["IAV_BACKEND_URL"], let token = env["IAV_TOKEN"], let customer = env["IAV_CUSTOMER_ID"] else {
            throw Failure(description: "IAV_BACKEND_URL, IAV_TOKEN and IAV_CUSTOMER_ID must be set")
        }

        // Validators (sync, throwing).
        let redirect = try validateIosRedirectUrl(redirectUrl: "https://example.com/app")
        do {
            _ = try validateAndroidPackageName(packageName: "com.1app")
            throw Failure(description: "com.1app was accepted")
        } catch RedirectUrlError.InvalidAndroidPackageName(let reason) {
            try require(reason.contains("segment 2"), "reason: \(reason)")
        }

        // Log sink and token provider implemented in Swift 6.
        let book = LogBook()
        setLogSink(sink: AppLogSink(book: book), maxLevel: .debug)
        let store = SessionStore(token: token)
        let config = BridgeConfig(backendUrl: backendUrl, platform: .ios(redirectUrl: redirect),
                                  environment: .sandbox, allowInsecureHttp: true)
        let client = try BridgeClient(config: config, tokenProvider: AppTokenProvider(store: store))
        client.prewarm()

        // Async calls, enums with associated values.
        let partners = try await client.exchangePartners()
        try require(partners.contains { $0.name == "Plaid" }, "no Plaid partner")
        let session = try await client.startPlaidLink(customerId: customer)
        try require(!session.description.contains(session.linkToken()), "description shows the token")
        let url = try await client.createExchangeSession(customerId: customer, partnerName: "MX")
        switch try await client.exchangeSession(sessionUrl: url) {
        case .webRedirect(_, let page): try require(!page.isEmpty, "empty MX page")
        case .plaidLink, .checkoutPayment, .unrecognized: throw Failure(description: "MX was not a web redirect")
        }

        // Typed errors.
        do {
            _ = try await client.startReauth(exchangeId: "00000000-0000-0000-0000-000000000000")
            throw Failure(description: "re-auth of an unknown exchange succeeded")
        } catch let error as BridgeError {
            switch error {
            case .NotFound, .Forbidden, .Validation: break
            default: throw Failure(description: "unexpected error \(error)")
            }
        }

        // A TaskGroup of flows sharing the client (BridgeClient and PlaidLinkSession are Sendable).
        let sessions = try await withThrowingTaskGroup(of: PlaidLinkSession.self) { group in
            for _ in 0..<20 {
                group.addTask { try await client.startPlaidLink(customerId: customer) }
            }
            var all: [PlaidLinkSession] = []
            for try await s in group { all.append(s) }
            return all
        }
        try require(Set(sessions.map { $0.linkToken() }).count == 20, "link tokens not distinct")

        // Cancellation from Swift 6 code.
        let task = Task { try await client.startPlaidLink(customerId: customer) }
        task.cancel()
        _ = await task.result

        let reads = await store.reads
        try require(reads >= 21, "token provider read \(reads) times")
        try await Task.sleep(nanoseconds: 50_000_000)
        let lines = await book.lines
        try require(!lines.isEmpty, "no log lines")
        try require(!lines.contains { $0.contains(token) || $0.contains(session.linkToken()) }, "a log line holds a secret")
        print("swift6 app usage: ok (\(sessions.count) concurrent flows, \(lines.count) log lines)")
    }
}
