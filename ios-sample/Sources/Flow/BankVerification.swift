// The sample's verification flows, free of UI and LinkKit, so that they compile anywhere the
// IAVBridge package does (scripts/check-packaging.sh type-checks this file in Swift 6 mode on
// Linux): Plaid, MX, the debit card (Checkout.com), Visa, and the linked accounts.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import IAVBridge

/// The app's credential for its backend. The sample uses a fixed demo user token.
final class DemoUserTokenProvider: AccessTokenProvider {
    private let token: String

    init(token: String) {
        self.token = token
    }

    func accessToken() async throws -> String {
        guard !token.isEmpty else {
            throw AccessTokenError.Failed(reason: "no demo user token: set DEMO_USER_TOKEN in Config/Sample.xcconfig")
        }
        return token
    }
}

/// What became of the bank links that were pending when the screen opened (a Link success the app
/// was killed, or lost the network, before finishing): one line per entry, for the screen.
struct PendingCompletions: Sendable {
    let client: BridgeClient

    // region docs:resume
    /// Finishes what is pending (call it when the screen opens and when the network returns) and
    /// says what happened to each. An exchange that waits for its funding source is attached as a
    /// checking account (what the sample's Link flow does); the entry is removed once it is.
    func resume() async throws -> [String] {
        var lines: [String] = []
        for r in try await client.resumePending() {
            let what: String
            switch r.kind {
            case .plaid: what = "A Plaid bank link"
            case .mx: what = "An MX bank link"
            case .card: what = "A debit card"
            case nil: what = "A saved bank link"
            }
            switch r.outcome {
            case .completed(let fundingSource):
                lines.append("\(what) was finished: \(fundingSource.name) is linked.")
            case .exchanged(let exchange):
                do {
                    let fs = try await client.createFundingSource(
                        customerId: r.customerId ?? "me", exchangeId: exchange.id,
                        bankAccountType: .checking, name: "Checking account")
                    lines.append("\(what) was finished: \(fs.name) is linked.")
                } catch {
                    lines.append("\(what) is verified but not attached yet (\(BankVerification.describe(error))); it is kept.")
                }
            case .retry(let error):
                lines.append("\(what) could not be finished yet (\(BankVerification.describe(error))); it is kept.")
            case .expired:
                lines.append("\(what) expired before it could be finished: link the account again.")
            case .refused(let error):
                lines.append("\(what) was refused (\(BankVerification.describe(error))): link the account again.")
            case .otherUser:
                lines.append("\(what) belongs to another user and is left for them.")
            case .unreadable:
                lines.append("\(what) could not be read and was removed: link the account again.")
            }
        }
        return lines
    }
    // endregion docs:resume
}

/// Verify bank account: `preparePlaidLink` when the screen appears, `startPlaidLink` -> (Plaid Link in the app) -> `completePlaidLink` ->
/// `createFundingSource`. Customer id `me` lets the backend pick the signed-in user's customer.
struct BankVerification: Sendable {
    let client: BridgeClient
    var customerId = "me"

    // region docs:prepare
    /// The verification screen appeared: create the Plaid session in the background, kept in the
    /// client's memory for this customer (returns at once; errors are logged, and `start()` then
    /// reports its own). Then take it with `start()` at once, to hand its token to LinkKit ahead of
    /// the tap: once the prepare has finished that makes no request, and one still in flight is
    /// awaited, not duplicated.
    func prepared() async throws -> PlaidLinkSession {
        client.preparePlaidLink(customerId: customerId)
        return try await start()
    }
    // endregion docs:prepare

    // region docs:flow
    /// The Plaid Link session to open: the prepared one (no request; handed out once, and one older
    /// than 3 hours is replaced), else a new exchange session.
    func start() async throws -> PlaidLinkSession {
        try await client.startPlaidLink(customerId: customerId)
    }

    /// After Link's success: exchanges the public token and creates the funding source.
    func finish(publicToken: String, accountName: String) async throws -> FundingSource {
        let exchange = try await client.completePlaidLink(customerId: customerId, publicToken: publicToken)
        return try await client.createFundingSource(
            customerId: customerId,
            exchangeId: exchange.id,
            bankAccountType: .checking,
            name: accountName
        )
    }
    // endregion docs:flow

    // region docs:sign-out
    /// The user signs out: drop the sessions prepared for them (memory only; cancels a prepare in
    /// flight), so that the next user never gets one.
    static func signedOut(_ client: BridgeClient) {
        client.clearPrepared()
    }
    // endregion docs:sign-out

    /// A sentence for the user for each error the library can raise, with its reason.
    static func describe(_ error: any Error) -> String {
        if let error = error as? SampleFlowError {
            return error.message
        }
        guard let error = error as? BridgeError else {
            return "Unexpected error: \(error.localizedDescription)"
        }
        switch error {
        case .InvalidConfiguration(let reason): return "The app is misconfigured: \(reason)"
        case .InvalidArgument(let reason): return "Invalid request: \(reason)"
        // region docs:redirect-refused
        // A redirect URL the library refuses, for Plaid or Visa (both need the https universal link).
        case .InvalidRedirectUrl(let reason): return "Redirect URL refused: \(reason)"
        // endregion docs:redirect-refused
        case .PartnerUnavailable(let partner): return "\(partner) is not available for this account"
        case .Validation(let code, let detail, let path):
            return "Request refused (\(code)): \(detail)" + (path.map { " at \($0)" } ?? "")
        // region docs:duplicate
        case .DuplicateFundingSource(let existingId):
            return "Already linked" + (existingId.map { " (funding source \($0))" } ?? "")
                + ": remove it under Linked accounts to link it again"
        // endregion docs:duplicate
        case .RedirectUrlNotAllowed(let detail): return "This app is not allowed by the Dwolla account: \(detail)"
        case .ReauthRequired: return "Your bank connection needs to be renewed"
        case .Unauthorized(let code, let detail): return "Please sign in again (\(code)): \(detail)"
        case .Forbidden(let code, let detail): return "Not allowed (\(code)): \(detail)"
        case .NotFound(let detail): return "Not found: \(detail)"
        case .RateLimited(let retryAfterMs): return "Too many attempts; try again in \((retryAfterMs + 999) / 1000) s"
        case .Server(let status, let code, let detail): return "The server failed (\(status) \(code)): \(detail)"
        case .Network(let detail): return "No connection to the server: \(detail)"
        case .Timeout(let afterMs): return "The server did not answer within \(afterMs) ms"
        case .InvalidResponse(let detail): return "Unexpected answer from the server: \(detail)"
        case .TokenProvider(let detail): return "Could not get your session token: \(detail)"
        case .Internal(let detail): return "Internal error: \(detail)"
        }
    }
}

/// Renew a bank connection (`BridgeError.ReauthRequired`): the same preload with the exchange that
/// needs it. The screen that asks the user to reconnect calls `prepared()` when it appears and hands
/// the token to LinkKit (update mode) at once, as the Plaid screen does; the sample has no such
/// screen (nothing in the simulator asks for re-authentication), so this is the flow alone.
struct PlaidReauth: Sendable {
    let client: BridgeClient
    let exchangeId: String

    // region docs:reauth
    /// The re-authentication screen appeared: prepare the update-mode session in the background and
    /// take it at once (no request once the prepare has finished). A prepared one older than
    /// 20 minutes is replaced; each is handed out once.
    func prepared() async throws -> PlaidLinkSession {
        client.prepareReauth(exchangeId: exchangeId)
        return try await client.startReauth(exchangeId: exchangeId)
    }
    // endregion docs:reauth
}

/// Plaid Link ahead of the tap, apart from the screen's other state (the other methods stay usable
/// while it prepares): the view creates LinkKit's session as soon as the token is `.ready` and
/// enables its button when LinkKit's `onLoad` fires; the tap only opens Link.
enum PlaidLinkState: Sendable {
    /// The link token is being fetched (the prepared session, or a new one).
    case preparing
    /// The token for the next Link session; `id` tells one Link session from the next (LinkKit's
    /// are single-use). The session's `description` redacts the token.
    case ready(PlaidLinkSession, id: Int)
    /// No token: the reason is shown, and the button tries again.
    case unavailable(String)

    /// Which Link session the view should have (nil: none).
    var readyId: Int? {
        if case .ready(_, let id) = self { return id }
        return nil
    }
}

/// A failure of the sample's own steps (not the library's): the message is shown as is and names
/// no token.
struct SampleFlowError: Error {
    let message: String

    /// The backend handed back another kind of session than the partner's.
    static func unexpectedSession(_ partner: String, _ session: ExchangeSession) -> SampleFlowError {
        let kind: String
        switch session {
        case .plaidLink: kind = "Plaid Link"
        case .webRedirect: kind = "web page"
        case .checkoutPayment: kind = "Checkout.com payment"
        case .unrecognized: kind = "unrecognized"
        }
        return SampleFlowError(message: "\(partner) answered with a session this app cannot open (\(kind))")
    }
}

/// A partner's web page for one exchange session (MX Connect, Visa). Its `url` is single-use:
/// never log it (`description` leaves it out).
struct PartnerPage: Sendable, Identifiable, CustomStringConvertible {
    /// The exchange session's URL on the backend (its last segment is the session's id).
    let sessionUrl: String
    /// The page to open in SFSafariViewController or ASWebAuthenticationSession.
    let url: URL

    var id: String { sessionUrl }
    var description: String { "PartnerPage(sessionUrl: \(sessionUrl))" }

    /// The web page of a `.webRedirect` session.
    static func from(_ session: ExchangeSession, partner: String) throws -> PartnerPage {
        guard case .webRedirect(let sessionUrl, let url) = session, let page = URL(string: url) else {
            throw SampleFlowError.unexpectedSession(partner, session)
        }
        return PartnerPage(sessionUrl: sessionUrl, url: page)
    }
}

/// What the user left behind in MX Connect, read once its page was closed.
enum MxOutcome: Sendable {
    /// Nothing connected (yet): the user closed the page early, or MX Connect is not done.
    case nothingConnected
    /// One account: link it without asking.
    case one(MxConnection)
    /// Several accounts: the user picks one.
    case several([MxConnection])
}

/// Verify a bank account with MX: `createExchangeSession("MX")` + `exchangeSession` -> (MX Connect
/// in SFSafariViewController) -> `mxConnections` once it is closed -> `completeMxConnection` ->
/// `createFundingSource`.
struct MxVerification: Sendable {
    let client: BridgeClient
    var customerId = "me"

    // region docs:mx-flow
    /// Creates an MX exchange session and returns the MX Connect page to open.
    func start() async throws -> PartnerPage {
        let sessionUrl = try await client.createExchangeSession(customerId: customerId, partnerName: "MX")
        return try PartnerPage.from(try await client.exchangeSession(sessionUrl: sessionUrl), partner: "MX")
    }

    /// Once MX Connect's page is closed: what the user connected there. Nothing from Dwolla says
    /// when MX Connect is done, so the list is the answer; an empty one means nothing yet.
    func connected() async throws -> MxOutcome {
        let connections = try await client.mxConnections(customerId: customerId)
        switch connections.count {
        case 0: return .nothingConnected
        case 1: return .one(connections[0])
        default: return .several(connections)
        }
    }

    /// Exchanges the connection the user picked and links it as a funding source.
    func finish(connection: MxConnection, bankAccountType: BankAccountType = .checking) async throws -> FundingSource {
        let exchange = try await client.completeMxConnection(customerId: customerId, connection: connection)
        return try await client.createFundingSource(
            customerId: customerId,
            exchangeId: exchange.id,
            bankAccountType: bankAccountType,
            name: String(connection.name().prefix(50))
        )
    }
    // endregion docs:mx-flow
}

// region docs:card-token-source
/// Where the card token comes from. In an app it is Checkout.com's Flow component (Flow for
/// mobile): create it with the payment session's `id()`, `paymentSessionToken()` and
/// `paymentSessionSecret()`, let it take the card, and hand back the token (`src_...`) it
/// tokenizes the card into. The token and the secrets are credentials: pass them on, never log
/// or show them.
protocol CardTokenSource: Sendable {
    /// The card token for `session`, or nil when the user left the card form.
    func cardToken(for session: CheckoutPaymentSession) async throws -> String?
}
// endregion docs:card-token-source

/// Link a debit card (Push to Card): `createExchangeSession("Checkout.com")` + `exchangeSession`
/// -> (the card form gives a card token) -> `createCardFundingSource` with the billing address.
struct CardLinking: Sendable {
    let client: BridgeClient
    var customerId = "me"

    // region docs:card-flow
    /// Creates a Checkout.com exchange session: the payment session for the card form.
    func start() async throws -> CheckoutPaymentSession {
        let sessionUrl = try await client.createExchangeSession(customerId: customerId, partnerName: "Checkout.com")
        let session = try await client.exchangeSession(sessionUrl: sessionUrl)
        guard case .checkoutPayment(let payment) = session else {
            throw SampleFlowError.unexpectedSession("Checkout.com", session)
        }
        return payment
    }

    /// Gets the card token from `cards` and links the card; nil when the user left the card form.
    /// The library checks the name and the address before any request (`InvalidArgument` lists
    /// every field to fix).
    func finish(
        session: CheckoutPaymentSession,
        cards: any CardTokenSource,
        name: String,
        billingAddress: BillingAddress
    ) async throws -> FundingSource? {
        guard let cardToken = try await cards.cardToken(for: session) else { return nil }
        return try await client.createCardFundingSource(
            customerId: customerId,
            cardToken: cardToken,
            name: name,
            billingAddress: billingAddress
        )
    }
    // endregion docs:card-flow

    // region docs:billing-address
    /// The billing address the user typed (two-letter state, ISO 3166-1 alpha-2 country).
    static func billingAddress(street: String, apartment: String, city: String, state: String, postalCode: String) -> BillingAddress {
        let trimmed = { (text: String) in text.trimmingCharacters(in: .whitespacesAndNewlines) }
        return BillingAddress(
            address1: trimmed(street),
            address2: trimmed(apartment).isEmpty ? nil : trimmed(apartment),
            city: trimmed(city),
            stateProvinceRegion: trimmed(state).uppercased(),
            country: "US",
            postalCode: trimmed(postalCode)
        )
    }
    // endregion docs:billing-address
}

/// Verify a bank account with Visa (iOS only): Visa's page needs an https redirect URL, which the
/// iOS platform's universal link is; the library sends it. Dwolla removed Visa from its API in
/// 2025: most accounts no longer list it (`PartnerUnavailable`).
struct VisaVerification: Sendable {
    let client: BridgeClient
    var customerId = "me"

    // region docs:visa-flow
    /// Creates a Visa exchange session (with the app's universal link as its redirect URL) and
    /// returns Visa's page to open; Visa sends the user back to that URL.
    func start() async throws -> PartnerPage {
        let sessionUrl = try await client.createExchangeSession(customerId: customerId, partnerName: "Visa")
        return try PartnerPage.from(try await client.exchangeSession(sessionUrl: sessionUrl), partner: "Visa")
    }
    // endregion docs:visa-flow
}

/// The "Linked accounts" list: the customer's bank accounts and debit cards, and their removal.
struct LinkedAccounts: Sendable {
    let client: BridgeClient
    var customerId = "me"

    // region docs:linked-accounts
    /// The customer's funding sources (removed ones are left out by the library).
    func list() async throws -> [FundingSource] {
        try await client.fundingSources(customerId: customerId)
    }

    /// Removes one; Dwolla keeps it, marked removed. Then the list is read again.
    func remove(_ fundingSource: FundingSource) async throws -> [FundingSource] {
        _ = try await client.removeFundingSource(fundingSourceId: fundingSource.id)
        return try await list()
    }
    // endregion docs:linked-accounts

    // region docs:linked-account-row
    /// One row of the list: what it is and its status; of a card, never more than the last four.
    static func describe(_ fundingSource: FundingSource) -> String {
        let what: String
        switch fundingSource.kind {
        case .bank:
            what = fundingSource.bankName ?? "Bank account"
        case .card:
            if let card = fundingSource.card {
                let month = card.expirationMonth < 10 ? "0\(card.expirationMonth)" : "\(card.expirationMonth)"
                what = "\(card.brand) •••• \(card.lastFour), expires \(month)/\(card.expirationYear)"
            } else {
                what = "Debit card"
            }
        }
        return "\(what) · \(fundingSource.status)"
    }
    // endregion docs:linked-account-row
}

/// Debug builds against the sample-backend's simulated Dwolla only: stands in for what the user
/// does in the partners' own pages, through the simulator's `/sim/` controls
/// (docs/backend-contract.md). The simulated MX Connect page does not load, and the sample does not
/// embed Checkout.com's Flow component; with this, both paths run to their end on the simulator.
/// An app has no such thing. `simulatorURL` is the "Dwolla simulator:" URL that
/// `cargo run -p sample-backend -- serve` prints.
struct SimulatedPartners: CardTokenSource {
    let simulatorURL: URL

    /// What the user does in MX Connect: connects a bank account to the session.
    func connectInMx(_ page: PartnerPage) async throws {
        let sessionId = page.sessionUrl.split(separator: "/").last.map(String.init) ?? ""
        _ = try await post("sim/mx/complete-session", key: "exchangeSessionId", value: sessionId)
    }

    /// What Checkout.com's Flow component does: tokenizes a test card for the payment session.
    func cardToken(for session: CheckoutPaymentSession) async throws -> String? {
        let answer = try await post("sim/checkout/complete-payment-session", key: "paymentSessionId", value: session.id())
        guard let token = (try? JSONSerialization.jsonObject(with: answer)) as? [String: Any],
              let cardToken = token["cardToken"] as? String else {
            throw SampleFlowError(message: "the simulator answered without a card token")
        }
        return cardToken
    }

    /// POSTs `{"<key>": "<value>"}`; the answer's body. Errors never repeat the answer (it may
    /// hold a token).
    private func post(_ path: String, key: String, value: String) async throws -> Data {
        var request = URLRequest(url: simulatorURL.appendingPathComponent(path), timeoutInterval: 5)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: [key: value])
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200 else {
            throw SampleFlowError(message: "the simulator answered \(status) to /\(path)")
        }
        return data
    }
}
