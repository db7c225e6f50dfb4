import Foundation
import IAVBridge

/// The app's completion store in Swift memory (what the Keychain store does, without the Keychain).
final class MemoryCompletionStore: CompletionStore, @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: Data] = [:]
    var failPut = false

    func put(id: String, entry: Data) throws {
        if failPut { throw CompletionStoreError.Failed(reason: "disk full (test)") }
        lock.lock(); defer { lock.unlock() }
        entries[id] = entry
    }

    func remove(id: String) throws {
        lock.lock(); defer { lock.unlock() }
        entries[id] = nil
    }

    func list() throws -> [StoredCompletion] {
        lock.lock(); defer { lock.unlock() }
        return entries.map { StoredCompletion(id: $0.key, entry: $0.value) }
    }

    var all: [Data] {
        lock.lock(); defer { lock.unlock() }
        return Array(entries.values)
    }
}

/// A store of one file per entry in a directory (not encrypted: a test stand-in for a process
/// that dies). Each entry is written to a temporary file and renamed, as a real store does.
final class DirCompletionStore: CompletionStore, @unchecked Sendable {
    let dir: URL

    init(_ dir: URL) { self.dir = dir }

    private func file(_ id: String) -> URL {
        dir.appendingPathComponent(id.utf8.map { String(format: "%02x", $0) }.joined())
    }

    func put(id: String, entry: Data) throws {
        let tmp = dir.appendingPathComponent(".tmp-\(UUID().uuidString)")
        do {
            try entry.write(to: tmp)
        } catch {
            throw CompletionStoreError.Failed(reason: "write: \(error)")
        }
        guard rename(tmp.path, file(id).path) == 0 else {
            throw CompletionStoreError.Failed(reason: "rename: errno \(errno)")
        }
    }

    func remove(id: String) throws {
        try? FileManager.default.removeItem(at: file(id))
    }

    func list() throws -> [StoredCompletion] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return try names.filter { !$0.hasPrefix(".") }.map { name in
            var bytes: [UInt8] = []
            var i = name.startIndex
            while i < name.endIndex, let j = name.index(i, offsetBy: 2, limitedBy: name.endIndex),
                  let b = UInt8(name[i..<j], radix: 16) {
                bytes.append(b)
                i = j
            }
            guard let entry = FileManager.default.contents(atPath: dir.appendingPathComponent(name).path) else {
                throw CompletionStoreError.Failed(reason: "unreadable entry file")
            }
            return StoredCompletion(id: String(decoding: bytes, as: UTF8.self), entry: entry)
        }
    }
}

/// The child process of `journal.aProcessKilledMidFlowIsResumedByAFreshProcess` (this executable
/// run with `--completion-child DIR PUBLIC_TOKEN`): completes a Plaid Link success against the
/// backend with a `DirCompletionStore` on DIR, and is killed meanwhile. Returns its exit status.
func completionChild(_ args: [String]) async -> Int32 {
    guard args.count == 2 else {
        print("usage: swift-tests --completion-child DIR PUBLIC_TOKEN")
        return 2
    }
    do {
        let client = try BridgeClient.withCompletionStore(
            config: makeConfig(timeoutMs: 30_000), tokenProvider: StaticTokenProvider(Backend.alice.token),
            completionStore: DirCompletionStore(URL(fileURLWithPath: args[0])))
        print("child: completing")
        _ = try await client.completePlaidLink(customerId: "me", publicToken: args[1])
        print("child: completed (the kill came too late)")
        return 0
    } catch {
        print("child: \(error)")
        return 1
    }
}

private func storeClient(_ store: CompletionStore, user: DemoUser = Backend.alice,
                         url: String = Backend.backendUrl) throws -> BridgeClient {
    try BridgeClient.withCompletionStore(config: makeConfig(backendUrl: url, maxRetries: 0),
                                         tokenProvider: StaticTokenProvider(user.token), completionStore: store)
}

/// A backend URL on a port nothing listens on: a request never leaves.
private func closedPortUrl() -> String { "http://127.0.0.1:9" }

private func publicToken() async throws -> String {
    let s = try await makeClient().startPlaidLink(customerId: "me")
    return try await Sim.completeLink(s.linkToken())
}

let completionJournalTests: [TestCase] = [
    TestCase(name: "journal.cutBeforeTheRequestIsResumedFromASwiftStore") {
        let store = MemoryCompletionStore()
        let pub = try await publicToken()
        let offline = try storeClient(store, url: closedPortUrl())
        _ = try await expectError(BridgeError.self) {
            _ = try await offline.completePlaidLink(customerId: "me", publicToken: pub)
        }
        try checkEqual(store.all.count, 1, "the entry was written before the request")

        let c = try storeClient(store)
        try checkEqual(try await c.pendingCompletions().count, 1)
        let resumed = try await c.resumePending()
        guard resumed.count == 1, case let .exchanged(exchange) = resumed[0].outcome else {
            throw TestFailure(description: "expected one exchanged entry, got \(resumed)")
        }
        try check(store.all.allSatisfy { !String(decoding: $0, as: UTF8.self).contains(pub) },
                  "the public token is still at rest after the exchange")
        try checkNoSecret("\(resumed)", [pub], "resumePending's answer")
        _ = try await c.createFundingSource(customerId: "me", exchangeId: exchange.id,
                                            bankAccountType: .checking, name: "Resumed")
        try check(try await c.pendingCompletions().isEmpty, "still pending after the funding source")
        try checkEqual(store.all.count, 0)
    },
    TestCase(name: "journal.anotherUsersEntryAndAFailingStore") {
        let store = MemoryCompletionStore()
        let pub = try await publicToken()
        _ = try await expectError(BridgeError.self) {
            _ = try await storeClient(store, url: closedPortUrl()).completePlaidLink(customerId: "me", publicToken: pub)
        }
        let bob = try storeClient(store, user: Backend.bob)
        try check(try await bob.pendingCompletions().isEmpty, "bob sees alice's entry")
        let resumed = try await bob.resumePending()
        guard resumed.count == 1, case .otherUser = resumed[0].outcome else {
            throw TestFailure(description: "expected otherUser, got \(resumed)")
        }
        try checkEqual(store.all.count, 1, "kept for alice")

        let failing = MemoryCompletionStore()
        failing.failPut = true
        let c = try storeClient(failing)
        let exchange = try await c.completePlaidLink(customerId: "me", publicToken: try await publicToken())
        _ = try await c.createFundingSource(customerId: "me", exchangeId: exchange.id, bankAccountType: .savings, name: "Savings")
        try check(try await c.pendingCompletions().isEmpty, "still pending")
    },
    /// `kill -9` mid-flow: a child process completes a Link success while Dwolla's answer is
    /// held (a late fault), and is killed (SIGKILL) once its entry is on disk; this process, with
    /// a fresh client on the same directory, resumes it: one exchange and one funding source.
    TestCase(name: "journal.aProcessKilledMidFlowIsResumedByAFreshProcess") {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("iav-journal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = DirCompletionStore(dir)
        let pub = try await publicToken()
        let before = try await Sim.exchangesAndFundingSources()
        try await Sim.fault(["method": "POST", "path": "/customers/", "action": "late", "delayMs": 3_000])

        let logFile = dir.appendingPathComponent(".child.log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        defer { try? log.close() }
        let childLog = { String(decoding: FileManager.default.contents(atPath: logFile.path) ?? Data(), as: UTF8.self) }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        child.arguments = ["--completion-child", dir.path, pub]
        child.standardOutput = log
        child.standardError = log
        try child.run()
        let deadline = Date().addingTimeInterval(20)
        while try store.list().isEmpty, child.isRunning, Date() < deadline {
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        try check(!(try store.list().isEmpty), "the child wrote no entry; its output: \(childLog())")
        try await Task.sleep(nanoseconds: 1_000_000_000) // its request is at Dwolla, whose answer is held
        try check(child.isRunning, "the child ended before the kill; its output: \(childLog())")
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        try checkEqual(child.terminationReason, .uncaughtSignal, "the child was not killed")
        try checkEqual(child.terminationStatus, SIGKILL, "killed by SIGKILL")

        let c = try storeClient(store)
        // The dead process's key is held by the backend until its lease ends: resume again while
        // it says retry, as an app does when the network returns.
        var outcome = try await c.resumePending()
        let until = Date().addingTimeInterval(30)
        while outcome.count == 1, case .retry = outcome[0].outcome, Date() < until {
            try await Task.sleep(nanoseconds: 1_000_000_000)
            outcome = try await c.resumePending()
        }
        guard outcome.count == 1, case let .exchanged(exchange) = outcome[0].outcome else {
            throw TestFailure(description: "expected one exchanged entry, got \(outcome)")
        }
        try checkNoSecret("\(outcome)", [pub], "resumePending's answer")
        _ = try await c.createFundingSource(customerId: "me", exchangeId: exchange.id,
                                            bankAccountType: .checking, name: "After a kill")
        try check(try await c.pendingCompletions().isEmpty, "still pending after the funding source")
        try check(try store.list().isEmpty, "an entry is left in the store")
        let after = try await Sim.exchangesAndFundingSources()
        print("kill -9 (Swift): exchanges \(after.0 - before.0), funding sources \(after.1 - before.1)")
        try checkEqual(after.0 - before.0, 1, "exchanges created")
        try checkEqual(after.1 - before.1, 1, "funding sources created")
    },
]
