import Foundation
import IAVBridge

// Every partner's flow to its end through the generated API against the sample-backend: MX
// Connect to a funding source, a Checkout.com card token to a card funding source, Visa on iOS
// only, and the customer's funding sources (listed with kinds and statuses, removed, duplicates).

private func makeAddress(city: String = "Des Moines", state: String = "IA", country: String = "US",
                         postalCode: String = "50310") -> BillingAddress {
    BillingAddress(address1: "552 Test St", city: city, stateProvinceRegion: state, country: country, postalCode: postalCode)
}

private let address = makeAddress()

private func lastSegment(_ url: String) -> String {
    String(url.split(separator: "/").last ?? "")
}

/// A Checkout.com session, its payment completed by the simulated Flow component: the card token.
private func cardToken(_ c: BridgeClient, _ customerId: String) async throws -> String {
    let url = try await c.createExchangeSession(customerId: customerId, partnerName: "Checkout.com")
    guard case let .checkoutPayment(session) = try await c.exchangeSession(sessionUrl: url) else {
        throw TestFailure(description: "expected checkoutPayment")
    }
    return try await Sim.completePaymentSession(session.id())
}

/// A Plaid link to a bank funding source; `account` names the bank account.
private func bank(_ c: BridgeClient, _ customerId: String, _ name: String, account: String? = nil) async throws -> FundingSource {
    let link = try await c.startPlaidLink(customerId: customerId)
    let exchange = try await c.completePlaidLink(customerId: customerId,
                                                 publicToken: try await Sim.completeLink(link.linkToken(), account: account))
    return try await c.createFundingSource(customerId: customerId, exchangeId: exchange.id,
                                           bankAccountType: .checking, name: name)
}

let partnersTests: [TestCase] = [
    TestCase(name: "partners.mxFromConnectToAFundingSource") {
        let bob = Backend.bob
        let c = try makeClient(user: bob)
        let url = try await c.createExchangeSession(customerId: bob.customerId, partnerName: "MX")
        guard case .webRedirect = try await c.exchangeSession(sessionUrl: url) else {
            throw TestFailure(description: "expected webRedirect")
        }
        // The user goes through MX Connect; the page is closed.
        let token = try await Sim.completeMxSession(lastSegment(url))
        guard let connection = try await c.mxConnections(customerId: bob.customerId)
            .first(where: { $0.availableConnectionToken() == token }) else {
            throw TestFailure(description: "the completed MX connection is not listed")
        }
        try check(!connection.name().isEmpty)
        for text in [connection.description, connection.debugDescription, "\(connection)", String(reflecting: connection)] {
            try checkNoSecret(text, [token], "MxConnection printed")
        }
        try check(connection.description.contains(connection.name()), connection.description)

        let exchange = try await c.completeMxConnection(customerId: bob.customerId, connection: connection)
        try checkEqual(exchange.status, "active")
        try check(exchange.url.hasPrefix(Backend.backendUrl), exchange.url)
        try check(try await c.mxConnections(customerId: bob.customerId).allSatisfy { $0.availableConnectionToken() != token },
                  "a used MX connection is still listed")
        // The same completion repeated replays its exchange (its key is derived from it); another
        // request with the used token ("me": another key) is refused.
        try checkEqual(try await c.completeMxConnection(customerId: bob.customerId, connection: connection), exchange)
        let again = try await expectError(BridgeError.self) {
            _ = try await c.completeMxConnection(customerId: "me", connection: connection)
        }
        guard case let .Validation(code, _, _) = again else { throw TestFailure(description: "expected Validation, got \(again)") }
        try checkEqual(code, "InvalidExchangeToken")
        try checkNoSecret(String(describing: again) + again.localizedDescription, [token], "the used MX token's error")

        let fs = try await c.createFundingSource(customerId: bob.customerId, exchangeId: exchange.id,
                                                 bankAccountType: .savings, name: "Bob MX savings")
        try checkEqual(fs.kind, .bank)
        try checkEqual(fs.name, "Bob MX savings")
        try check(fs.card == nil)
    },
    TestCase(name: "partners.checkoutCardTokenToACardFundingSource") {
        let alice = Backend.alice
        let c = try makeClient()
        let token = try await cardToken(c, alice.customerId)
        try check(token.hasPrefix("src_"), "not a card token")
        let fs = try await c.createCardFundingSource(customerId: alice.customerId, cardToken: token, name: "Alice debit",
                                                     billingAddress: address)
        try checkEqual(fs.kind, .card)
        try checkEqual(fs.name, "Alice debit")
        try check(fs.bankName == nil)
        guard let card = fs.card else { throw TestFailure(description: "a card funding source without a card summary") }
        try check(card.lastFour.count == 4 && card.lastFour.allSatisfy(\.isNumber), card.lastFour)
        try check((1...12).contains(card.expirationMonth), "\(card.expirationMonth)")
        try check(card.expirationYear >= 2025, "\(card.expirationYear)")
        try check(!card.brand.isEmpty)
        try checkNoSecret(String(describing: fs), [token], "FundingSource printed")

        // The token again: Dwolla's "The card data is invalid.", without the token.
        let e = try await expectError(BridgeError.self) {
            _ = try await c.createCardFundingSource(customerId: alice.customerId, cardToken: token, name: "Alice again",
                                                    billingAddress: address)
        }
        guard case let .Validation(_, _, path) = e else { throw TestFailure(description: "expected Validation, got \(e)") }
        try checkEqual(path, "/cardToken")
        try checkNoSecret(String(describing: e) + e.localizedDescription, [token], "the used card token's error")
    },
    TestCase(name: "partners.aBillingAddressToFixIsRefusedBeforeAnyRequest") {
        // Nothing listens there: any request would be a Network error.
        let c = try BridgeClient(config: makeConfig(backendUrl: "http://127.0.0.1:9/"), tokenProvider: StaticTokenProvider("t"))
        let bad = makeAddress(city: String(repeating: "c", count: 51), state: "ia", country: "UK")
        let e = try await expectError(BridgeError.self) {
            _ = try await c.createCardFundingSource(customerId: "me", cardToken: "src_abc123", name: "Card", billingAddress: bad)
        }
        guard case let .InvalidArgument(reason) = e else { throw TestFailure(description: "expected InvalidArgument, got \(e)") }
        try check(reason.contains("the United Kingdom is 'GB'"), reason)
        try check(reason.contains("state_province_region must be in upper case: 'IA'"), reason)
        try check(reason.contains("city must be at most 50 characters (it has 51)"), reason)
        let blank = makeAddress(postalCode: " ")
        let e2 = try await expectError(BridgeError.self) {
            _ = try await c.createCardFundingSource(customerId: "me", cardToken: "src_abc 123", name: "Card", billingAddress: blank)
        }
        guard case let .InvalidArgument(reason2) = e2 else { throw TestFailure(description: "expected InvalidArgument, got \(e2)") }
        try check(reason2.contains("postal_code is required"), reason2)
        try checkNoSecret(reason2, ["src_abc 123", "abc 123"], "InvalidArgument")
    },
    TestCase(name: "partners.visaOnIosOnly") {
        try await Sim.putAccount([
            "partners": ["Finicity", "MX", "Plaid", "Flinks", "Checkout.com", "Visa"],
            "enabledPartners": ["MX", "Plaid", "Checkout.com", "Visa"],
        ])
        let ios = try makeClient(platform: .ios(redirectUrl: iosRedirect))
        try check(try await ios.exchangePartners().contains { $0.name == "Visa" }, "Visa is not listed")
        let url = try await ios.createExchangeSession(customerId: Backend.alice.customerId, partnerName: "Visa")
        guard case let .webRedirect(sessionUrl, page) = try await ios.exchangeSession(sessionUrl: url) else {
            throw TestFailure(description: "expected webRedirect")
        }
        try checkEqual(sessionUrl, url)
        try check(page.hasPrefix("https://"), page)
        for platform in [Platform.android(packageName: packageName), .web] {
            let c = try makeClient(platform: platform)
            let e = try await expectError(BridgeError.self) {
                _ = try await c.createExchangeSession(customerId: Backend.alice.customerId, partnerName: "Visa")
            }
            guard case let .InvalidRedirectUrl(reason) = e else { throw TestFailure(description: "expected InvalidRedirectUrl, got \(e)") }
            try check(reason.contains("Visa needs an https redirect URL, which only the iOS platform carries"), reason)
        }
    },
    TestCase(name: "partners.fundingSourcesListBankAndCardThenOneIsRemoved") {
        let alice = Backend.alice
        let c = try makeClient()
        let bankSource = try await bank(c, alice.customerId, "Alice list checking")
        let card = try await c.createCardFundingSource(customerId: alice.customerId, cardToken: try await cardToken(c, alice.customerId),
                                                       name: "Alice list card", billingAddress: address)
        let listed = Dictionary(uniqueKeysWithValues: try await c.fundingSources(customerId: alice.customerId).map { ($0.id, $0) })
        try checkEqual(listed[bankSource.id]?.kind, .bank)
        try checkEqual(listed[card.id]?.kind, .card)
        try checkEqual(listed[bankSource.id]?.status, bankSource.status)
        try checkEqual(listed[card.id]?.card, card.card)
        for f in listed.values {
            try check(f.status == "verified" || f.status == "unverified", f.status)
            try check(!f.removed && !f.created.isEmpty)
            try checkEqual(f.kind == .card, f.card != nil)
            try check(f.url.hasPrefix(Backend.backendUrl), f.url)
        }

        // Bob may not remove alice's: 404, as for one that does not exist.
        let bob = try makeClient(user: Backend.bob)
        let e = try await expectError(BridgeError.self) { _ = try await bob.removeFundingSource(fundingSourceId: bankSource.id) }
        guard case .NotFound = e else { throw TestFailure(description: "expected NotFound, got \(e)") }
        try check(try await bob.fundingSources(customerId: "me").allSatisfy { $0.id != bankSource.id && $0.id != card.id },
                  "bob sees alice's funding sources")

        let removed = try await c.removeFundingSource(fundingSourceId: bankSource.id)
        try check(removed.removed)
        try checkEqual(removed.id, bankSource.id)
        let after = try await c.fundingSources(customerId: alice.customerId).map(\.id)
        try check(!after.contains(bankSource.id) && after.contains(card.id), "\(after)")
    },
    TestCase(name: "partners.theSameBankLinkedTwiceIsADuplicateNamingTheFirst") {
        let alice = Backend.alice
        let account = "acct-\(UUID().uuidString)"
        let c = try makeClient()
        let first = try await bank(c, alice.customerId, "Alice first", account: account)
        let e = try await expectError(BridgeError.self) { _ = try await bank(c, alice.customerId, "Alice second", account: account) }
        guard case let .DuplicateFundingSource(existingId) = e else { throw TestFailure(description: "expected DuplicateFundingSource, got \(e)") }
        try checkEqual(existingId, first.id)
    },
]
