import Foundation

/// The Rust doc comments reach the generated Swift (uniffi carries them): every public API item
/// has its doc comment right above it (blank lines, attributes and a lone `public` skipped).
let docsTests: [TestCase] = [
    TestCase(name: "docs.everyPublicApiItemHasItsDocComment") {
        let path = "bindings/swift/Sources/IAVBridge/IAVBridge.swift"
        guard let data = FileManager.default.contents(atPath: path) else { throw TestFailure(description: "cannot read \(path)") }
        let lines = String(decoding: data, as: UTF8.self).components(separatedBy: "\n")
        let items = [
            "^public func validateAndroidPackageName", "^public func validateIosRedirectUrl", "^public func setLogSink",
            "^public struct BridgeConfig", "^public enum Platform", "^public enum Environment",
            "^public protocol AccessTokenProvider", "^public protocol LogSink", "^public struct LogRecord",
            "^public enum LogLevel", "^open class BridgeClient", "^    func startPlaidLink\\(", "^    func startReauth\\(",
            "^    func completePlaidLink\\(", "^    func createFundingSource\\(", "^    func exchangePartners\\(",
            "^    func createExchangeSession\\(", "^    func exchangeSession\\(", "^    func prewarm\\(",
            "^open class PlaidLinkSession", "^    func linkToken\\(", "^open class CheckoutPaymentSession",
            "^    func paymentSessionSecret\\(", "^public enum ExchangeSession", "^public struct ExchangePartner",
            "^public struct Exchange:", "^public struct FundingSource", "^public enum BankAccountType",
            "^enum BridgeError", "^enum RedirectUrlError", "^enum AccessTokenError",
            "^    func mxConnections\\(", "^    func completeMxConnection\\(", "^    func createCardFundingSource\\(",
            "^    func fundingSources\\(", "^    func removeFundingSource\\(", "^open class MxConnection",
            "^    func availableConnectionToken\\(", "^public struct BillingAddress", "^public struct CardSummary",
            "^public enum FundingSourceKind", "^    case DuplicateFundingSource\\(",
            "^    func preparePlaidLink\\(", "^    func prepareReauth\\(", "^    func clearPrepared\\(",
            "^    public let preparedMaxAgeMs",
        ]
        var missing: [String] = []
        for item in items {
            let re = try NSRegularExpression(pattern: item)
            guard let i = lines.firstIndex(where: { re.firstMatch(in: $0, range: NSRange($0.startIndex..., in: $0)) != nil }) else {
                missing.append(item + " (not found)")
                continue
            }
            var j = i - 1
            while j >= 0, lines[j].trimmingCharacters(in: .whitespaces).isEmpty
                || lines[j].trimmingCharacters(in: .whitespaces).hasPrefix("@")
                || lines[j].trimmingCharacters(in: .whitespaces) == "public" { j -= 1 }
            let above = lines[max(0, j - 30)...max(0, j)].joined(separator: "\n")
            if !(j >= 0 && lines[j].trimmingCharacters(in: .whitespaces).hasSuffix("*/") && above.contains("/**")) {
                missing.append(item)
            }
        }
        try check(missing.isEmpty, "without doc comment in the generated Swift: \(missing)")
    },
]
