// Tests of the Swift package as an app links it: the IAVBridge product over the IAVBridgeFFI
// binary (the XCFramework's macOS slice on a Mac; the host library on Linux, see Package.swift).
// They need no network. `swift test` on a Mac after scripts/build-xcframework.sh;
// scripts/check-packaging.sh runs them on Linux.

import IAVBridge
import XCTest

final class PackageTests: XCTestCase {
    func testAndroidPackageNameIsReturnedExactlyAsGiven() throws {
        XCTAssertEqual(try validateAndroidPackageName(packageName: "com.example.app123"), "com.example.app123")
    }

    func testAndroidPackageNameWithALeadingDigitSegmentIsRefusedWithTheRule() {
        XCTAssertThrowsError(try validateAndroidPackageName(packageName: "com.1app")) { error in
            guard case RedirectUrlError.InvalidAndroidPackageName(let reason) = error else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertTrue(reason.contains("1app"), reason)
        }
    }

    func testIosRedirectUrlIsReturnedWithoutNormalizing() throws {
        // No trailing slash is added: Dwolla matches configured URLs byte for byte.
        XCTAssertEqual(try validateIosRedirectUrl(redirectUrl: "https://example.com/app"), "https://example.com/app")
    }

    func testIosRedirectUrlWithAQueryIsRefused() {
        XCTAssertThrowsError(try validateIosRedirectUrl(redirectUrl: "https://example.com/app?x=1")) { error in
            guard case RedirectUrlError.InvalidIosRedirectUrl(let reason) = error else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertTrue(reason.lowercased().contains("query"), reason)
        }
    }

    func testClientRefusesPlainHttpInProduction() {
        let config = BridgeConfig(
            backendUrl: "http://api.example.com/dwolla/",
            platform: .ios(redirectUrl: "https://example.com/app"),
            environment: .production,
            allowInsecureHttp: true
        )
        XCTAssertThrowsError(try BridgeClient(config: config, tokenProvider: nil)) { error in
            guard case BridgeError.InvalidConfiguration = error else {
                return XCTFail("unexpected error \(error)")
            }
        }
    }

    func testClientAcceptsAValidConfigurationWithoutNetwork() throws {
        let config = BridgeConfig(
            backendUrl: "https://api.example.com/dwolla/",
            platform: .ios(redirectUrl: "https://example.com/app"),
            environment: .sandbox
        )
        _ = try BridgeClient(config: config, tokenProvider: nil)
    }
}
