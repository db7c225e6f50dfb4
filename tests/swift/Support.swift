// Shared helpers of the Swift suite: the running sample-backend, the simulator's control
// surface, token providers, a capturing log sink and a small test harness. The core is reached
// through the generated IAVBridge module only.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import IAVBridge

let packageName = "com.example.app"
let iosRedirect = "https://example.com/app"

struct TestFailure: Error, CustomStringConvertible {
    let description: String
}

func check(_ condition: Bool, _ message: @autoclosure () -> String = "check failed",
           file: StaticString = #fileID, line: UInt = #line) throws {
    if !condition {
        throw TestFailure(description: "\(file):\(line): \(message())")
    }
}

func checkEqual<T: Equatable>(_ a: T, _ b: T, _ message: String = "",
                              file: StaticString = #fileID, line: UInt = #line) throws {
    if a != b {
        throw TestFailure(description: "\(file):\(line): \(a) != \(b) \(message)")
    }
}

/// Fails when `text` contains any of `secrets`.
func checkNoSecret(_ text: String, _ secrets: [String], _ where_: String,
                   file: StaticString = #fileID, line: UInt = #line) throws {
    for s in secrets where !s.isEmpty && text.contains(s) {
        throw TestFailure(description: "\(file):\(line): \(where_) contains a secret (\(s.prefix(6))...): \(text.replacingOccurrences(of: s, with: "<SECRET>"))")
    }
}

/// Runs `body`, which must throw an error `E`; returns it.
func expectError<E: Error>(_ type: E.Type, file: StaticString = #fileID, line: UInt = #line,
                           _ body: () async throws -> Void) async throws -> E {
    do {
        try await body()
    } catch let e as E {
        return e
    } catch {
        throw TestFailure(description: "\(file):\(line): expected \(E.self), got \(String(reflecting: error))")
    }
    throw TestFailure(description: "\(file):\(line): expected \(E.self), nothing was thrown")
}

struct DemoUser {
    let name: String
    let token: String
    let customerId: String
}

/// The sample-backend started by scripts/test-swift.sh (its ready file, named by IAV_READY_FILE).
enum Backend {
    static let ready: [String: Any] = {
        guard let path = ProcessInfo.processInfo.environment["IAV_READY_FILE"],
              let data = FileManager.default.contents(atPath: path),
              let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else {
            fatalError("IAV_READY_FILE is not set or unreadable: run the suite through scripts/test-swift.sh")
        }
        return obj
    }()
    static var backendUrl: String { ready["backendUrl"] as! String }
    static var simulatorUrl: String {
        var s = ready["simulatorUrl"] as! String
        while s.hasSuffix("/") { s.removeLast() }
        return s
    }
    static func user(_ name: String) -> DemoUser {
        let users = ready["users"] as! [[String: Any]]
        let u = users.first { ($0["name"] as? String) == name }!
        return DemoUser(name: name, token: u["token"] as! String, customerId: u["customerId"] as! String)
    }
    static var alice: DemoUser { user("alice") }
    static var bob: DemoUser { user("bob") }
}

/// Thread-safe counter.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func next() -> Int { lock.lock(); defer { lock.unlock() }; n += 1; return n - 1 }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}

/// An async AccessTokenProvider returning a fixed token after yielding; counts its calls.
final class StaticTokenProvider: AccessTokenProvider {
    let token: String
    let calls = Counter()
    init(_ token: String) { self.token = token }
    func accessToken() async throws -> String {
        _ = calls.next()
        await Task.yield()
        return token
    }
}

/// Returns the given tokens in order, then the last one again.
final class SequenceTokenProvider: AccessTokenProvider {
    let tokens: [String]
    let calls = Counter()
    init(_ tokens: String...) { self.tokens = tokens }
    func accessToken() async throws -> String {
        let n = calls.next()
        try await Task.sleep(nanoseconds: 1_000_000)
        return tokens[min(n, tokens.count - 1)]
    }
}

struct SomeAppError: Error {}

/// Always throws `error`.
final class FailingTokenProvider: AccessTokenProvider {
    let error: Error
    let calls = Counter()
    init(_ error: Error) { self.error = error }
    func accessToken() async throws -> String {
        _ = calls.next()
        throw error
    }
}

/// The process-wide log sink of the suite: keeps every record.
final class CapturedLogs: LogSink, @unchecked Sendable {
    static let shared = CapturedLogs()
    private let lock = NSLock()
    private var stored: [LogRecord] = []
    private var installed = false

    func log(record: LogRecord) {
        lock.lock(); stored.append(record); lock.unlock()
    }
    var records: [LogRecord] { lock.lock(); defer { lock.unlock() }; return stored }
    func clear() { lock.lock(); stored.removeAll(); lock.unlock() }
    func install() {
        lock.lock()
        let first = !installed
        installed = true
        lock.unlock()
        if first { setLogSink(sink: self, maxLevel: .trace) }
    }
}

func makeConfig(platform: Platform = .ios(redirectUrl: iosRedirect), backendUrl: String = Backend.backendUrl,
                maxRetries: UInt32 = 2, timeoutMs: UInt64 = 15_000) -> BridgeConfig {
    BridgeConfig(backendUrl: backendUrl, platform: platform, environment: .sandbox,
                 timeoutMs: timeoutMs, maxRetries: maxRetries, allowInsecureHttp: true)
}

func makeClient(platform: Platform = .ios(redirectUrl: iosRedirect), user: DemoUser = Backend.alice,
                maxRetries: UInt32 = 2, timeoutMs: UInt64 = 15_000) throws -> BridgeClient {
    CapturedLogs.shared.install()
    return try BridgeClient(config: makeConfig(platform: platform, maxRetries: maxRetries, timeoutMs: timeoutMs),
                            tokenProvider: StaticTokenProvider(user.token))
}

/// The simulator's /sim/ control surface, over URLSession.
enum Sim {
    static let session = URLSession(configuration: .ephemeral)

    static func send(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> (Int, Data) {
        var req = URLRequest(url: URL(string: Backend.simulatorUrl + path)!)
        req.httpMethod = method
        req.timeoutInterval = 10
        if let body = body {
            req.httpBody = try JSONSerialization.data(withJSONObject: body)
            req.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        return try await withCheckedThrowingContinuation { cont in
            session.dataTask(with: req) { data, resp, error in
                if let error = error {
                    cont.resume(throwing: error)
                } else {
                    cont.resume(returning: ((resp as? HTTPURLResponse)?.statusCode ?? 0, data ?? Data()))
                }
            }.resume()
        }
    }

    static func expect(_ status: Int, _ r: (Int, Data), _ what: String) throws -> Data {
        guard r.0 == status else {
            throw TestFailure(description: "\(what): simulator answered \(r.0): \(String(decoding: r.1, as: UTF8.self))")
        }
        return r.1
    }

    /// Completes Plaid Link for a link token, as the Link SDK would; returns the public token.
    /// `account` names the bank account the user picked (the same one twice: the same bank account).
    static func completeLink(_ linkToken: String, account: String? = nil) async throws -> String {
        var body: [String: Any] = ["linkToken": linkToken]
        if let account = account { body["account"] = account }
        let data = try expect(200, try await send("POST", "/sim/plaid/complete-link", body), "complete-link")
        let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return obj?["publicToken"] as! String
    }

    /// Completes MX Connect for an MX exchange session (its id); returns the available connection token.
    static func completeMxSession(_ exchangeSessionId: String) async throws -> String {
        let data = try expect(200, try await send("POST", "/sim/mx/complete-session", ["exchangeSessionId": exchangeSessionId]), "mx complete-session")
        let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return obj?["availableConnectionToken"] as! String
    }

    /// Completes a Checkout.com payment session (its `ps_...` id), as the Flow component would;
    /// returns the card token.
    static func completePaymentSession(_ paymentSessionId: String) async throws -> String {
        let data = try expect(200, try await send("POST", "/sim/checkout/complete-payment-session", ["paymentSessionId": paymentSessionId]), "checkout complete-payment-session")
        let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return obj?["cardToken"] as! String
    }

    static func requireReauth(_ exchangeId: String) async throws {
        _ = try expect(204, try await send("POST", "/sim/exchanges/\(exchangeId)/require-reauth"), "require-reauth")
    }

    nonisolated(unsafe) static var initialAccount: [String: Any]? = nil

    static func putAccount(_ settings: [String: Any]) async throws {
        if initialAccount == nil {
            let data = try expect(200, try await send("GET", "/sim/account"), "account")
            initialAccount = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        }
        _ = try expect(200, try await send("PUT", "/sim/account", settings), "account")
    }

    static func resetAccount() async throws {
        if let a = initialAccount {
            _ = try expect(200, try await send("PUT", "/sim/account", a), "account")
        }
    }

    static func fault(_ fields: [String: Any]) async throws {
        _ = try expect(201, try await send("POST", "/sim/faults", fields), "fault")
    }

    static func clearFaults() async throws {
        _ = try expect(204, try await send("DELETE", "/sim/faults"), "clear faults")
    }

    /// How many exchanges and funding sources the simulator holds (every customer's).
    static func exchangesAndFundingSources() async throws -> (Int, Int) {
        let data = try expect(200, try await send("GET", "/sim/stats"), "stats")
        let stats = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        guard let x = stats?["exchanges"] as? Int, let f = stats?["fundingSources"] as? Int else {
            throw TestFailure(description: "stats without counts: \(String(decoding: data, as: UTF8.self))")
        }
        return (x, f)
    }
}

/// One test of the suite.
struct TestCase {
    let name: String
    let body: () async throws -> Void
}

/// Runs the tests one after the other, cleaning the simulator's faults and account after each;
/// prints a line per test and, last, "N passed, N failed".
func runAll(_ tests: [TestCase], only: Set<String>) async -> Int32 {
    var passed = 0
    var failed = 0
    let started = Date()
    for t in tests where only.isEmpty || only.contains(t.name) || only.contains(where: { t.name.hasPrefix($0 + ".") }) {
        do {
            try await t.body()
            passed += 1
            print("ok   \(t.name)")
        } catch {
            failed += 1
            print("FAIL \(t.name): \(error)")
        }
        do {
            try await Sim.clearFaults()
            try await Sim.resetAccount()
        } catch {
            print("warning: could not reset the simulator: \(error)")
        }
    }
    print("swift: \(passed + failed) tests in \(Int(Date().timeIntervalSince(started) * 1000)) ms")
    print("\(passed) passed, \(failed) failed")
    return failed == 0 && passed > 0 ? 0 : 1
}
