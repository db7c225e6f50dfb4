import Foundation
import IAVBridge

let validatorAndConfigTests: [TestCase] = [
    TestCase(name: "validators.androidValidReturnedUnchanged") {
        for name in ["com.example.app", "com.example.app123", "a.b", "Com.Example_App.v2"] {
            try checkEqual(try validateAndroidPackageName(packageName: name), name)
        }
    },
    TestCase(name: "validators.androidInvalidThrowsTheRule") {
        let cases: [(String, String)] = [
            ("com.1app", "segment 2"), ("app", "two"), ("https://example.com/app", "URL"),
            (" com.example.app", "whitespace"), ("com..app", "empty"), ("", "empty"),
            ("a." + String(repeating: "b", count: 222), "223"),
        ]
        for (value, hint) in cases {
            let e = try await expectError(RedirectUrlError.self) { _ = try validateAndroidPackageName(packageName: value) }
            guard case let .InvalidAndroidPackageName(reason) = e else {
                throw TestFailure(description: "\(value): expected InvalidAndroidPackageName, got \(e)")
            }
            try check(reason.lowercased().contains(hint.lowercased()), "reason for '\(value)' lacks '\(hint)': \(reason)")
            // LocalizedError: the generated errorDescription is the debug form, naming the case.
            try check((e.errorDescription ?? "").contains("InvalidAndroidPackageName"), "errorDescription: \(e.errorDescription ?? "nil")")
        }
    },
    TestCase(name: "validators.iosValidReturnedUnchanged") {
        for url in ["https://example.com/app", "https://example.com", "https://example.com/", "https://sub.example.co.uk:8443/plaid/oauth"] {
            try checkEqual(try validateIosRedirectUrl(redirectUrl: url), url)
        }
    },
    TestCase(name: "validators.iosInvalidThrowsTheRule") {
        let cases: [(String, String)] = [
            ("http://example.com/app", "https"), ("myapp://plaid", "scheme"),
            ("https://example.com/app?x=1", "query"), ("https://example.com/app#f", "fragment"),
            ("https://user:pw@example.com/app", "user"), ("com.example.app", "URL"),
            ("https://example.com/" + String(repeating: "a", count: 2100), "2048"),
        ]
        for (value, hint) in cases {
            let e = try await expectError(RedirectUrlError.self) { _ = try validateIosRedirectUrl(redirectUrl: value) }
            guard case let .InvalidIosRedirectUrl(reason) = e else {
                throw TestFailure(description: "expected InvalidIosRedirectUrl, got \(e)")
            }
            try check(reason.lowercased().contains(hint.lowercased()), "reason for '\(value.prefix(40))' lacks '\(hint)': \(reason)")
        }
    },
    TestCase(name: "config.defaultsAndValueSemantics") {
        let cfg = BridgeConfig(backendUrl: "https://api.example.com/", platform: .web, environment: .production)
        try checkEqual(cfg.timeoutMs, 15_000)
        try checkEqual(cfg.maxRetries, 2)
        try checkEqual(cfg.allowInsecureHttp, false)
        try checkEqual(cfg.additionalRootCertificates, [])
        try checkEqual(cfg.userAgent, nil)
        let other = BridgeConfig(backendUrl: "https://api.example.com/", platform: .web, environment: .production, timeoutMs: 5_000)
        try check(cfg != other)
        try checkEqual(Set([cfg, cfg, other]).count, 2)
    },
    TestCase(name: "config.validBuildsWithoutNetwork") {
        _ = try BridgeClient(config: BridgeConfig(backendUrl: "https://127.0.0.1:9/api/", platform: .ios(redirectUrl: iosRedirect),
                                                  environment: .sandbox), tokenProvider: StaticTokenProvider("t"))
    },
    TestCase(name: "config.badBackendUrlRefused") {
        for url in ["", "not a url", "ftp://example.com/", "/relative/path"] {
            let e = try await expectError(BridgeError.self) {
                _ = try BridgeClient(config: BridgeConfig(backendUrl: url, platform: .web, environment: .sandbox), tokenProvider: nil)
            }
            guard case let .InvalidConfiguration(reason) = e else { throw TestFailure(description: "\(url): got \(e)") }
            try check(!reason.isEmpty)
        }
    },
    TestCase(name: "config.httpNeedsOptInAndNeverProduction") {
        let e = try await expectError(BridgeError.self) {
            _ = try BridgeClient(config: BridgeConfig(backendUrl: "http://127.0.0.1:8080/", platform: .web, environment: .sandbox), tokenProvider: nil)
        }
        guard case .InvalidConfiguration = e else { throw TestFailure(description: "got \(e)") }
        _ = try BridgeClient(config: BridgeConfig(backendUrl: "http://127.0.0.1:8080/", platform: .web, environment: .sandbox,
                                                  allowInsecureHttp: true), tokenProvider: nil)
        let p = try await expectError(BridgeError.self) {
            _ = try BridgeClient(config: BridgeConfig(backendUrl: "http://127.0.0.1:8080/", platform: .web, environment: .production,
                                                      allowInsecureHttp: true), tokenProvider: nil)
        }
        guard case .InvalidConfiguration = p else { throw TestFailure(description: "got \(p)") }
    },
    TestCase(name: "config.badPlatformValueRefused") {
        let e = try await expectError(BridgeError.self) {
            _ = try BridgeClient(config: BridgeConfig(backendUrl: "https://api.example.com/", platform: .ios(redirectUrl: "myapp://plaid"),
                                                      environment: .sandbox), tokenProvider: nil)
        }
        switch e {
        case let .InvalidRedirectUrl(reason), let .InvalidConfiguration(reason):
            try check(reason.contains("https"), reason)
        default:
            throw TestFailure(description: "expected InvalidRedirectUrl, got \(e)")
        }
        let a = try await expectError(BridgeError.self) {
            _ = try BridgeClient(config: BridgeConfig(backendUrl: "https://api.example.com/", platform: .android(packageName: "com.1app"),
                                                      environment: .sandbox), tokenProvider: nil)
        }
        try check(String(describing: a).contains("segment 2"), "\(a)")
    },
]
