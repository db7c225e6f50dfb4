import Foundation

/// The generic-password items of the Keychain, as `KeychainCompletionStore` uses them: one item
/// per account within a service. The Security framework's implementation is in
/// KeychainSecurityItems.swift (the library's only Keychain calls); tests use one in memory.
protocol KeychainItems: Sendable {
    /// Stores `data` as the item `account` of `service`, adding it or replacing its data.
    func set(service: String, account: String, data: Data) throws
    /// Deletes the item `account` of `service`; nothing when there is none.
    func delete(service: String, account: String) throws
    /// Every item of `service`, as (account, data); an item without data has empty data.
    func list(service: String) throws -> [(account: String, data: Data)]
}

/// A Keychain call that failed: its operation and its `OSStatus`.
struct KeychainFailure: Error, CustomStringConvertible {
    /// The Security function that failed (`SecItemAdd`, ...).
    let operation: String
    /// Its status code.
    let status: Int32

    var description: String { "\(operation) returned OSStatus \(status)" }
}

/// The `CompletionStore` for iOS and macOS: each pending completion is a generic-password item of
/// the Keychain (service ``KeychainCompletionStore/defaultService``, the completion's id as the
/// account), accessible after the first unlock and on this device only
/// (`kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly`: never in a backup or on another device),
/// in the data-protection Keychain.
///
/// Give it to the client with `BridgeClient.withCompletionStore(config:tokenProvider:completionStore:)`.
/// Creating it touches nothing; the client calls it on its own threads. A Keychain error is
/// thrown as `CompletionStoreError.Failed` (with the `OSStatus`, never an entry's bytes); the
/// client then goes on from memory and logs a warning.
public final class KeychainCompletionStore: CompletionStore {
    /// The Keychain service the library's completions are kept under.
    public static let defaultService = "dev.iavbridge.completions"

    private let items: KeychainItems
    private let service: String

    /// A store over `items` (the Keychain on Apple platforms; a stand-in in tests).
    init(items: KeychainItems, service: String = KeychainCompletionStore.defaultService) {
        self.items = items
        self.service = service
    }

    /// Stores `entry` under `id`, replacing what `id` held.
    public func put(id: String, entry: Data) throws {
        try guarded("write") { try items.set(service: service, account: id, data: entry) }
    }

    /// Removes the entry `id` (nothing when there is none).
    public func remove(id: String) throws {
        try guarded("remove") { try items.delete(service: service, account: id) }
    }

    /// Every entry of the store, in any order.
    public func list() throws -> [StoredCompletion] {
        try guarded("list") {
            try items.list(service: service).map { StoredCompletion(id: $0.account, entry: $0.data) }
        }
    }

    /// Runs `body`, throwing any failure as `CompletionStoreError.Failed` without an entry's bytes.
    private func guarded<T>(_ what: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as CompletionStoreError {
            throw error
        } catch let error as KeychainFailure {
            throw CompletionStoreError.Failed(reason: "could not \(what) a pending completion: \(error)")
        } catch {
            throw CompletionStoreError.Failed(reason: "could not \(what) a pending completion: \(type(of: error))")
        }
    }
}
