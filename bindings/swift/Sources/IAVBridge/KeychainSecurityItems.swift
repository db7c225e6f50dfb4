// The library's only Keychain calls: KeychainCompletionStore's items on Apple platforms.
#if canImport(Security)
import Foundation
import Security

/// Generic-password items through the Security framework, in the data-protection Keychain,
/// accessible after the first unlock, on this device only.
struct SecurityKeychainItems: KeychainItems {
    private func query(_ service: String, _ account: String? = nil) -> [String: Any] {
        var q: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecUseDataProtectionKeychain as String: true,
        ]
        if let account { q[kSecAttrAccount as String] = account }
        return q
    }

    func set(service: String, account: String, data: Data) throws {
        let attributes: [String: Any] = [
            kSecValueData as String: data,
            kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
        ]
        let updated = SecItemUpdate(query(service, account) as CFDictionary, attributes as CFDictionary)
        if updated == errSecSuccess { return }
        guard updated == errSecItemNotFound else {
            throw KeychainFailure(operation: "SecItemUpdate", status: updated)
        }
        let added = SecItemAdd(query(service, account).merging(attributes) { $1 } as CFDictionary, nil)
        guard added == errSecSuccess else { throw KeychainFailure(operation: "SecItemAdd", status: added) }
    }

    func delete(service: String, account: String) throws {
        let status = SecItemDelete(query(service, account) as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else {
            throw KeychainFailure(operation: "SecItemDelete", status: status)
        }
    }

    func list(service: String) throws -> [(account: String, data: Data)] {
        var q = query(service)
        q[kSecMatchLimit as String] = kSecMatchLimitAll
        q[kSecReturnAttributes as String] = true
        q[kSecReturnData as String] = true
        var result: CFTypeRef?
        let status = SecItemCopyMatching(q as CFDictionary, &result)
        if status == errSecItemNotFound { return [] }
        guard status == errSecSuccess else { throw KeychainFailure(operation: "SecItemCopyMatching", status: status) }
        let found = result as? [[String: Any]] ?? []
        return found.compactMap { item in
            guard let account = item[kSecAttrAccount as String] as? String else { return nil }
            return (account, item[kSecValueData as String] as? Data ?? Data())
        }
    }
}

extension KeychainCompletionStore {
    /// A store in this device's Keychain, under ``defaultService``.
    public convenience init() {
        self.init(items: SecurityKeychainItems())
    }
}
#endif
