import Foundation
import IAVBridge

let flowTests: [TestCase] = [
    TestCase(name: "flow.iosFromLinkToFundingSource") {
        let c = try makeClient()
        let alice = Backend.alice
        let s = try await c.startPlaidLink(customerId: alice.customerId)
        try check(s.linkToken().hasPrefix("link-sandbox-"))
        try check(s.sessionUrl().hasPrefix(Backend.backendUrl), s.sessionUrl())
        try check(!s.created().isEmpty)
        let publicToken = try await Sim.completeLink(s.linkToken())
        let exchange = try await c.completePlaidLink(customerId: alice.customerId, publicToken: publicToken)
        try check(exchange.url.hasPrefix(Backend.backendUrl) && exchange.url.hasSuffix(exchange.id), exchange.url)
        let fs = try await c.createFundingSource(customerId: alice.customerId, exchangeId: exchange.id,
                                                 bankAccountType: .checking, name: "Alice checking")
        try checkEqual(fs.name, "Alice checking")
        try check(fs.url.hasSuffix(fs.id))
        // The same exchange again: Dwolla's duplicate, typed, naming the existing funding source.
        let dup = try await expectError(BridgeError.self) {
            _ = try await c.createFundingSource(customerId: alice.customerId, exchangeId: exchange.id,
                                                bankAccountType: .checking, name: "Alice again")
        }
        guard case let .DuplicateFundingSource(existingId) = dup else { throw TestFailure(description: "expected DuplicateFundingSource, got \(dup)") }
        try checkEqual(existingId, fs.id)
    },
    TestCase(name: "flow.webAndAndroidPlatforms") {
        for platform in [Platform.web, .android(packageName: packageName)] {
            let c = try makeClient(platform: platform)
            let s = try await c.startPlaidLink(customerId: "me")
            try check(s.linkToken().hasPrefix("link-sandbox-"), "\(platform)")
        }
    },
    TestCase(name: "flow.partnersByName") {
        let partners = try await makeClient().exchangePartners()
        let names = Set(partners.map(\.name))
        try check(names.isSuperset(of: ["Plaid", "MX", "Checkout.com"]), "\(names)")
        for p in partners { try check(p.href.hasPrefix(Backend.backendUrl), p.href) }
    },
    TestCase(name: "flow.reauthAfterUpdateCredentials") {
        let c = try makeClient()
        let alice = Backend.alice
        let first = try await c.startPlaidLink(customerId: alice.customerId)
        let exchange = try await c.completePlaidLink(customerId: alice.customerId,
                                                     publicToken: try await Sim.completeLink(first.linkToken()))
        try await Sim.requireReauth(exchange.id)
        let e = try await expectError(BridgeError.self) {
            _ = try await c.createFundingSource(customerId: alice.customerId, exchangeId: exchange.id,
                                                bankAccountType: .savings, name: "Alice savings")
        }
        guard case let .ReauthRequired(exchangeUrl) = e else { throw TestFailure(description: "expected ReauthRequired, got \(e)") }
        try check(exchangeUrl.contains(exchange.id), exchangeUrl)
        let reauth = try await c.startReauth(exchangeId: exchange.id)
        try check(reauth.linkToken() != first.linkToken())
        _ = try await Sim.completeLink(reauth.linkToken())
        let fs = try await c.createFundingSource(customerId: alice.customerId, exchangeId: exchange.id,
                                                 bankAccountType: .savings, name: "Alice savings")
        try checkEqual(fs.name, "Alice savings")
    },
    TestCase(name: "flow.mxIsAWebRedirect") {
        let c = try makeClient()
        let url = try await c.createExchangeSession(customerId: Backend.alice.customerId, partnerName: "MX")
        guard case let .webRedirect(sessionUrl, pageUrl) = try await c.exchangeSession(sessionUrl: url) else {
            throw TestFailure(description: "expected webRedirect")
        }
        try checkEqual(sessionUrl, url)
        try check(pageUrl.hasPrefix("https://") || pageUrl.hasPrefix("http://"), pageUrl)
    },
    TestCase(name: "flow.checkoutIsRedacted") {
        let c = try makeClient()
        let url = try await c.createExchangeSession(customerId: Backend.alice.customerId, partnerName: "Checkout.com")
        let s = try await c.exchangeSession(sessionUrl: url)
        guard case let .checkoutPayment(p) = s else { throw TestFailure(description: "expected checkoutPayment, got \(s)") }
        try check(!p.id().isEmpty && !p.paymentSessionSecret().isEmpty && !p.paymentSessionToken().isEmpty)
        for text in [p.description, p.debugDescription, String(describing: s), String(reflecting: s)] {
            try checkNoSecret(text, [p.paymentSessionSecret(), p.paymentSessionToken()], "CheckoutPaymentSession printed")
        }
        try check(p.description.contains(p.id()))
    },
    TestCase(name: "flow.plaidThroughTheGeneralPath") {
        let c = try makeClient()
        let url = try await c.createExchangeSession(customerId: Backend.alice.customerId, partnerName: "Plaid")
        guard case let .plaidLink(s) = try await c.exchangeSession(sessionUrl: url) else {
            throw TestFailure(description: "expected plaidLink")
        }
        try check(s.linkToken().hasPrefix("link-sandbox-"))
    },
    TestCase(name: "flow.descriptionHidesTheLinkToken") {
        let s = try await makeClient().startPlaidLink(customerId: Backend.alice.customerId)
        for text in [s.description, s.debugDescription, "\(s)", String(reflecting: s)] {
            try checkNoSecret(text, [s.linkToken()], "PlaidLinkSession printed")
        }
        try check(s.description.contains(s.sessionUrl()))
    },
    TestCase(name: "flow.prewarm") {
        let c = try makeClient()
        c.prewarm()
        try check(try await c.startPlaidLink(customerId: "me").linkToken().hasPrefix("link-"))
    },
]
