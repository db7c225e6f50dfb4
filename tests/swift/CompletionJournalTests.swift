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
]
