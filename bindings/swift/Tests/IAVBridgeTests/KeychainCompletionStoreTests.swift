// KeychainCompletionStore's logic on any platform, over an in-memory stand-in of the Keychain's
// generic-password items (KeychainSecurityItems.swift, the Security calls, is what it replaces).

import Foundation
@testable import IAVBridge
import XCTest

/// Generic-password items in memory, by service and account; can be told to fail as the
/// Keychain does (an `OSStatus`).
final class MemoryKeychainItems: KeychainItems, @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String: [String: Data]] = [:]
    var failWith: Int32?

    func set(service: String, account: String, data: Data) throws {
        lock.lock(); defer { lock.unlock() }
        if let status = failWith { throw KeychainFailure(operation: "SecItemAdd", status: status) }
        items[service, default: [:]][account] = data
    }

    func delete(service: String, account: String) throws {
        lock.lock(); defer { lock.unlock() }
        if let status = failWith { throw KeychainFailure(operation: "SecItemDelete", status: status) }
        items[service]?[account] = nil
    }

    func list(service: String) throws -> [(account: String, data: Data)] {
        lock.lock(); defer { lock.unlock() }
        if let status = failWith { throw KeychainFailure(operation: "SecItemCopyMatching", status: status) }
        return (items[service] ?? [:]).map { ($0.key, $0.value) }
    }

    func raw(_ service: String) -> [String: Data] {
        lock.lock(); defer { lock.unlock() }
        return items[service] ?? [:]
    }
}

/// A token provider that answers at once (no request is made in these tests).
final class FixedToken: AccessTokenProvider, @unchecked Sendable {
    func accessToken() async throws -> String { "test-access-token-0123456789" }
}

final class KeychainCompletionStoreTests: XCTestCase {
    let id = "6f1c2b9e-1d2a-8b3c-9d4e-5f6a7b8c9d0e"
    let entry = Data(#"{"v":1,"secret":"public-sandbox-0b7d4c1e-secret"}"#.utf8)

    func testAnEntryRoundTripsUnderTheLibrarysServiceAndIsRemoved() throws {
        let items = MemoryKeychainItems()
        let store = KeychainCompletionStore(items: items)
        XCTAssertEqual(try store.list(), [])
        try store.put(id: id, entry: entry)
        XCTAssertEqual(try store.list(), [StoredCompletion(id: id, entry: entry)])
        XCTAssertEqual(items.raw("dev.iavbridge.completions"), [id: entry], "one item, the id as its account")
        let newer = Data(#"{"v":1}"#.utf8)
        try store.put(id: id, entry: newer)
        XCTAssertEqual(try store.list(), [StoredCompletion(id: id, entry: newer)], "put replaces")
        try store.put(id: "other", entry: entry)
        XCTAssertEqual(Set(try store.list().map(\.id)), [id, "other"])
        try store.remove(id: id)
        try store.remove(id: id) // nothing to remove: no error
        XCTAssertEqual(try store.list().map(\.id), ["other"])
    }

    func testTwoStoresOfOneServiceAgreeAndAnotherServiceIsApart() throws {
        let items = MemoryKeychainItems()
        let a = KeychainCompletionStore(items: items)
        let b = KeychainCompletionStore(items: items)
        let elsewhere = KeychainCompletionStore(items: items, service: "com.example.other")
        try a.put(id: id, entry: entry)
        XCTAssertEqual(try b.list().map(\.id), [id])
        XCTAssertEqual(try elsewhere.list(), [])
        try b.remove(id: id)
        XCTAssertEqual(try a.list(), [])
    }

    func testAKeychainFailureIsThrownAsTheStoreErrorWithTheStatusAndNoEntry() throws {
        let items = MemoryKeychainItems()
        let store = KeychainCompletionStore(items: items)
        items.failWith = -25308 // errSecInteractionNotAllowed: the device is locked
        for call in [{ try store.put(id: self.id, entry: self.entry) },
                     { try store.remove(id: self.id) },
                     { _ = try store.list() }] {
            XCTAssertThrowsError(try call()) { error in
                guard case CompletionStoreError.Failed(let reason) = error else {
                    return XCTFail("unexpected error \(error)")
                }
                XCTAssertTrue(reason.contains("-25308"), reason)
                XCTAssertFalse(reason.contains("public-sandbox"), reason)
            }
        }
        XCTAssertEqual(items.raw("dev.iavbridge.completions"), [:])
    }

    func testAnItemThatIsNoEntryIsReportedUnreadableByTheClientAndRemoved() async throws {
        let items = MemoryKeychainItems()
        let store = KeychainCompletionStore(items: items)
        try store.put(id: id, entry: Data()) // an item whose data is gone
        try store.put(id: "garbled", entry: Data("\u{1}not json".utf8))
        let config = BridgeConfig(
            backendUrl: "https://127.0.0.1:9/",
            platform: .ios(redirectUrl: "https://example.com/app"),
            environment: .sandbox
        )
        let client = try BridgeClient.withCompletionStore(config: config, tokenProvider: FixedToken(),
                                                          completionStore: store)
        let pending = try await client.pendingCompletions()
        XCTAssertEqual(pending.count, 0)
        let resumed = try await client.resumePending()
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: resumed.map { ($0.id, $0.outcome) }),
                       [id: .unreadable, "garbled": .unreadable])
        XCTAssertEqual(items.raw("dev.iavbridge.completions"), [:], "both were removed")
    }
}
