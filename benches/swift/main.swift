// Swift benchmark of the bindings (run by scripts/bench-bindings.sh; prints numbers, asserts no
// timing): startPlaidLink through the bridge vs the same flow written with URLSession +
// JSONDecoder, against the same sample-backend, in the same run, alternating which side goes
// first on each round; plus one sync call (the validator) through the bridge.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import IAVBridge

private let hal = "application/vnd.dwolla.v1.hal+json"

struct Href: Decodable { let href: String }
struct PartnerLinks: Decodable { let `self`: Href }
struct Partner: Decodable {
    let name: String
    let _links: PartnerLinks
}
struct PartnerList: Decodable {
    struct Embedded: Decodable {
        let exchangePartners: [Partner]
        enum CodingKeys: String, CodingKey { case exchangePartners = "exchange-partners" }
    }
    let _embedded: Embedded
}
struct CreatedSession: Decodable { let externalProviderSessionToken: String? }
struct Link: Encodable { let href: String }
struct SessionLinks: Encodable {
    let exchangePartner: Link
    let redirectUrl: Link
    enum CodingKeys: String, CodingKey {
        case exchangePartner = "exchange-partner"
        case redirectUrl = "redirect-url"
    }
}
struct SessionRequest: Encodable { let _links: SessionLinks }

/// The same flow as BridgeClient.startPlaidLink, with URLSession and JSONDecoder.
final class PlainSwiftFlow: @unchecked Sendable {
    let backendUrl: String
    let token: String
    let redirect: String
    let session = URLSession(configuration: .default)
    // Cached like the bridge caches its partner list (fetched on the first flow only).
    var plaidHref: String?

    init(backendUrl: String, token: String, redirect: String) {
        self.backendUrl = backendUrl
        self.token = token
        self.redirect = redirect
    }

    func send(_ req: URLRequest) async throws -> (Int, Data) {
        try await withCheckedThrowingContinuation { cont in
            session.dataTask(with: req) { data, resp, error in
                if let error = error { cont.resume(throwing: error) }
                else { cont.resume(returning: ((resp as? HTTPURLResponse)?.statusCode ?? 0, data ?? Data())) }
            }.resume()
        }
    }

    func partnerHref() async throws -> String {
        if let h = plaidHref { return h }
        var req = URLRequest(url: URL(string: backendUrl + "exchange-partners")!)
        req.setValue(hal, forHTTPHeaderField: "Accept")
        req.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (status, data) = try await send(req)
        guard status == 200 else { throw TestFailure(description: "exchange-partners: \(status)") }
        let list = try JSONDecoder().decode(PartnerList.self, from: data)
        guard let plaid = list._embedded.exchangePartners.first(where: { $0.name == "Plaid" }) else {
            throw TestFailure(description: "no Plaid partner")
        }
        plaidHref = plaid._links.`self`.href
        return plaid._links.`self`.href
    }

    func startPlaidLink(customerId: String) async throws -> String {
        var req = URLRequest(url: URL(string: backendUrl + "customers/\(customerId)/exchange-sessions")!)
        req.httpMethod = "POST"
        req.setValue(hal, forHTTPHeaderField: "Accept")
        req.setValue(hal, forHTTPHeaderField: "Content-Type")
        req.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        req.setValue(UUID().uuidString, forHTTPHeaderField: "Idempotency-Key")
        req.httpBody = try JSONEncoder().encode(SessionRequest(_links: SessionLinks(
            exchangePartner: Link(href: try await partnerHref()), redirectUrl: Link(href: redirect))))
        let (status, data) = try await send(req)
        guard status == 201 else { throw TestFailure(description: "exchange-sessions: \(status)") }
        guard let t = try JSONDecoder().decode(CreatedSession.self, from: data).externalProviderSessionToken,
              t.hasPrefix("link-") else { throw TestFailure(description: "no link token in the 201 body") }
        return t
    }
}

struct Stats {
    let n: Int, median: Double, p99: Double, mean: Double
    init(_ nanos: [UInt64]) {
        let s = nanos.sorted()
        n = s.count
        median = Double(s[(s.count - 1) / 2]) / 1000
        p99 = Double(s[Int(Double(s.count - 1) * 0.99)]) / 1000
        mean = Double(s.reduce(0, +)) / Double(s.count) / 1000
    }
    var text: String { String(format: "median %8.1f us   p99 %8.1f us   mean %8.1f us   (n=%d)", median, p99, mean, n) }
}

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

let flows = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 2000
let alice = Backend.alice
let customer = "me"
print("swift bench: startPlaidLink, \(flows) flows per side, backend \(Backend.backendUrl)")
print("  both sides: iOS redirect '\(iosRedirect)', partner list fetched once and cached, HTTP/1.1 keep-alive;")
print("  each round runs one bridge flow and one plain flow, the side going first alternating.")
let client = try BridgeClient(config: makeConfig(), tokenProvider: StaticTokenProvider(alice.token))
let plain = PlainSwiftFlow(backendUrl: Backend.backendUrl, token: alice.token, redirect: iosRedirect)
for _ in 0..<200 {
    _ = try await client.startPlaidLink(customerId: customer)
    _ = try await plain.startPlaidLink(customerId: customer)
}
var bridge: [UInt64] = []
var urlSession: [UInt64] = []
for i in 0..<flows {
    func runBridge() async throws {
        let t = now()
        let s = try await client.startPlaidLink(customerId: customer)
        bridge.append(now() - t)
        precondition(s.linkToken().hasPrefix("link-"))
    }
    func runPlain() async throws {
        let t = now()
        _ = try await plain.startPlaidLink(customerId: customer)
        urlSession.append(now() - t)
    }
    if i % 2 == 0 { try await runBridge(); try await runPlain() } else { try await runPlain(); try await runBridge() }
}
let b = Stats(bridge), p = Stats(urlSession)
print("  bridge (uniffi + Rust reqwest)          \(b.text)")
print("  plain Swift (URLSession + JSONDecoder)  \(p.text)")
print(String(format: "  ratio bridge/plain: median %.2fx, p99 %.2fx", b.median / p.median, b.p99 / p.p99))

let name = "com.example.app123"
for _ in 0..<20_000 { _ = try validateAndroidPackageName(packageName: name) }
var batches: [Double] = []
for _ in 0..<5 {
    let t = now()
    for _ in 0..<40_000 { _ = try validateAndroidPackageName(packageName: name) }
    batches.append(Double(now() - t) / 40_000)
}
print(String(format: "swift bench: validateAndroidPackageName through the bridge: %.1f ns/call (median of 5 batches)", batches.sorted()[2]))
