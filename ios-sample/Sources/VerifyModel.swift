import Foundation
import IAVBridge

/// How the user links an account: the screen's menu.
enum LinkMethod: String, CaseIterable, Identifiable {
    case plaid = "Bank account with Plaid"
    case mx = "Bank account with MX"
    case card = "Debit card (Checkout.com)"
    case visa = "Bank account with Visa"

    var id: String { rawValue }
}

/// A partner's web page the view presents (MX Connect, or Visa's page).
struct PresentedPage: Identifiable {
    enum Partner { case mx, visa }
    let partner: Partner
    let page: PartnerPage
    var id: String { page.id }
}

/// Runs the flows for the screen; everything the screen shows is in `state` and `accounts`.
@MainActor
final class VerifyModel: ObservableObject {
    enum State {
        case idle
        /// A call is in flight (progress indicator).
        case working(String)
        /// The user connected several accounts in MX Connect: they pick one.
        case mxPick([MxConnection])
        /// Checkout.com's payment session is ready: the card form takes over.
        case cardForm(CheckoutPaymentSession)
        case verified(FundingSource)
        /// Already a funding source of the customer (its id, where the server named it).
        case alreadyLinked(existingId: String?)
        case linkClosed(String)
        case failed(String)
    }

    enum Accounts {
        case loading
        case loaded([FundingSource])
        case failed(String)
    }

    @Published private(set) var state: State = .idle
    @Published private(set) var accounts: Accounts = .loading
    /// What became of the bank links pending when the screen opened (one line each).
    @Published private(set) var resumed: [String] = []
    /// Plaid Link's token for the next Link session, fetched when the screen appears.
    @Published private(set) var plaid: PlaidLinkState = .preparing
    /// The Link session (`PlaidLinkState.ready`'s id) whose LinkKit session has loaded: Plaid's
    /// button is enabled.
    @Published private(set) var loadedLinkId: Int?
    /// Whether the Plaid Link sheet is up (set by the tap, cleared by Link's result).
    @Published var isPresentingLink = false
    private var plaidTask: Task<Void, Never>?
    private var linkIds = 0
    /// The partner page up in SFSafariViewController (MX Connect, or Visa before iOS 17.4).
    @Published var presentedPage: PresentedPage?
    private var client: BridgeClient?
    /// Debug builds with IAV_SIMULATOR_URL set: the simulator stands in for MX Connect and the card form.
    private let simulated: SimulatedPartners? = {
        guard VerifyModel.isDebug, let url = URL(string: SampleConfiguration.simulatorURL), url.host != nil else { return nil }
        return SimulatedPartners(simulatorURL: url)
    }()

    init() {
        do {
            // region docs:client
            let url = SampleConfiguration.backendURL
            let config = BridgeConfig(
                backendUrl: url,
                platform: .ios(redirectUrl: SampleConfiguration.redirectURL),
                environment: .sandbox,
                // Plain http only to this Mac's loopback (the sample-backend), and only in Debug.
                allowInsecureHttp: Self.isDebug && (URL(string: url)?.host == "127.0.0.1" || URL(string: url)?.host == "localhost")
            )
            // The completion store keeps a Link success that is not finished yet in the Keychain
            // (this device only, after the first unlock), so that a kill does not lose it.
            let client = try BridgeClient.withCompletionStore(
                config: config,
                tokenProvider: DemoUserTokenProvider(token: SampleConfiguration.demoUserToken),
                completionStore: KeychainCompletionStore()
            )
            client.prewarm()
            // endregion docs:client
            self.client = client
            refreshAccounts()
        } catch {
            state = .failed(BankVerification.describe(error))
            accounts = .failed(BankVerification.describe(error))
        }
    }

    /// Whether Plaid's item opens Link now (LinkKit has loaded the current token).
    var isLinkLoaded: Bool {
        loadedLinkId != nil && loadedLinkId == plaid.readyId
    }

    /// An item of the menu was tapped.
    func link(_ method: LinkMethod) {
        switch method {
        case .plaid:
            // region docs:plaid-link-open
            // The tap presents Link, loaded already: no call to the backend here.
            if isLinkLoaded {
                isPresentingLink = true
                state = .working("Waiting for Plaid Link…")
            } else if case .unavailable = plaid {
                prepareLink()
            }
            // endregion docs:plaid-link-open
        case .mx:
            step("Preparing MX Connect…") { [weak self] client in
                let page = try await MxVerification(client: client).start()
                self?.presentedPage = PresentedPage(partner: .mx, page: page)
                return .working("Waiting for MX Connect… (tap Done when you are finished)")
            }
        case .card:
            step("Preparing the card form…") { client in
                .cardForm(try await CardLinking(client: client).start())
            }
        case .visa:
            step("Preparing Visa…") { [weak self] client in
                let page = try await VisaVerification(client: client).start()
                self?.openVisa(page)
                return .working("Waiting for Visa…")
            }
        }
    }

    // MARK: Plaid

    /// The screen appeared (`.task`): the first token, unless one is on its way or there.
    func screenAppeared() {
        if plaidTask == nil { prepareLink() }
        resumePending()
    }

    /// The screen appeared: finish the bank links a kill or a dead network left pending, and show
    /// what happened to them; then read the accounts again if one was linked.
    func resumePending() {
        guard let client else { return }
        Task { @MainActor [weak self] in
            let lines: [String]
            do {
                lines = try await PendingCompletions(client: client).resume()
            } catch {
                lines = ["Saved bank links could not be resumed: \(BankVerification.describe(error))"]
            }
            self?.resumed = lines
            if !lines.isEmpty { self?.refreshAccounts() }
        }
    }

    // region docs:prepare-screen
    /// The screen appeared, or the last Link session was used: fetch the token for the next one
    /// now, in the background. Once the prepare has finished, this makes no request; the view hands
    /// the token to LinkKit at once and enables the button on LinkKit's `onLoad`.
    func prepareLink() {
        guard let client else {
            plaid = .unavailable("Bank verification could not start")
            return
        }
        plaidTask?.cancel()
        plaid = .preparing
        plaidTask = Task {
            do {
                let session = try await BankVerification(client: client).prepared()
                guard !Task.isCancelled else { return }
                linkIds += 1
                plaid = .ready(session, id: linkIds)
            } catch {
                guard !Task.isCancelled else { return }
                plaid = .unavailable(BankVerification.describe(error))
            }
        }
    }
    // endregion docs:prepare-screen

    /// LinkKit has loaded the Link session `id`: enable Plaid's button.
    func linkLoaded(id: Int) {
        if plaid.readyId == id { loadedLinkId = id }
    }

    /// LinkKit could not create a session for the token: the button tries again.
    func linkUnavailable(_ reason: String) {
        plaid = .unavailable(reason)
    }

    // region docs:plaid-link-next
    /// Plaid Link succeeded: finish on the backend, and get the next token (the user may link another).
    func linkSucceeded(publicToken: String, institutionName: String?) {
        isPresentingLink = false
        step("Verifying the account…") { client in
            let name = String((institutionName.map { "\($0) checking" } ?? "Checking account").prefix(50))
            return .verified(try await BankVerification(client: client).finish(publicToken: publicToken, accountName: name))
        }
        prepareLink()
    }

    /// The user left Link, or Link failed (an expired or invalid token among the reasons). A link
    /// token serves one Link session: get the next one now, in the background, not at the next tap.
    func linkExited(reason: String?) {
        isPresentingLink = false
        state = .linkClosed(reason ?? "Plaid Link was closed before the account was linked")
        prepareLink()
    }
    // endregion docs:plaid-link-next

    // MARK: MX and Visa pages

    // region docs:mx-closed
    /// SFSafariViewController with a partner page was closed (Done): for MX, see what the user
    /// connected there; for Visa, read the linked accounts again.
    func pageClosed(_ presented: PresentedPage) {
        presentedPage = nil
        switch presented.partner {
        case .visa:
            visaFinished()
        case .mx:
            step("Looking for the accounts you connected…") { [simulated] client in
                try await simulated?.connectInMx(presented.page)
                let mx = MxVerification(client: client)
                switch try await mx.connected() {
                case .nothingConnected:
                    return .linkClosed("Nothing was connected in MX Connect. Open it again to connect an account.")
                case .one(let connection):
                    return .verified(try await mx.finish(connection: connection))
                case .several(let connections):
                    return .mxPick(connections)
                }
            }
        }
    }
    // endregion docs:mx-closed

    /// The user picked one of the accounts connected in MX Connect.
    func mxPicked(_ connection: MxConnection) {
        step("Verifying the account…") { client in
            .verified(try await MxVerification(client: client).finish(connection: connection))
        }
    }

    /// Visa's page: in ASWebAuthenticationSession from iOS 17.4 (it returns when Visa redirects to
    /// the app's https universal link), else in SFSafariViewController (closed with Done).
    private func openVisa(_ page: PartnerPage) {
        if #available(iOS 17.4, *), let redirect = URL(string: SampleConfiguration.redirectURL), let host = redirect.host {
            WebAuthentication.shared.open(page.url, httpsHost: host, path: redirect.path) { [weak self] in
                self?.visaFinished()
            }
        } else {
            presentedPage = PresentedPage(partner: .visa, page: page)
        }
    }

    /// Back from Visa's page. Dwolla's documents end at Visa's redirect: the linked accounts show
    /// what Dwolla made of it.
    private func visaFinished() {
        state = .linkClosed("Back from Visa. The linked accounts below are read again.")
        refreshAccounts()
    }

    // MARK: Card

    /// The card form was submitted with the card's name and billing address.
    func cardSubmitted(session: CheckoutPaymentSession, name: String, address: BillingAddress) {
        let cards = cardTokenSource()
        step("Linking the card…") { client in
            guard let card = try await CardLinking(client: client).finish(
                session: session, cards: cards, name: name, billingAddress: address
            ) else {
                return .linkClosed("The card form was closed before a card was added")
            }
            return .verified(card)
        }
    }

    /// The user left the card form.
    func cardCancelled() {
        state = .linkClosed("The card form was closed before a card was added")
    }

    /// Where the card token comes from. In an app: Checkout.com's Flow component, mounted by the
    /// card screen with the payment session, which hands the token back here. This sample does not
    /// embed Checkout.com's SDK: against the simulator, the simulator tokenizes a test card.
    private func cardTokenSource() -> any CardTokenSource {
        simulated ?? NoCardForm()
    }

    // MARK: Linked accounts

    /// Reads the linked accounts again.
    func refreshAccounts() {
        accountsStep { try await LinkedAccounts(client: $0).list() }
    }

    /// "Remove" was tapped on a linked account.
    func remove(_ fundingSource: FundingSource) {
        accountsStep { try await LinkedAccounts(client: $0).remove(fundingSource) }
    }

    // MARK: Steps

    /// Shows `working`, then what `body` returns, or the failure.
    private func step(_ working: String, _ body: @escaping @MainActor (BridgeClient) async throws -> State) {
        guard let client else { return }
        state = .working(working)
        Task {
            do {
                state = try await body(client)
                if case .verified = state { refreshAccounts() }
            } catch BridgeError.DuplicateFundingSource(let existingId) {
                state = .alreadyLinked(existingId: existingId)
            } catch {
                state = .failed(BankVerification.describe(error))
            }
        }
    }

    private func accountsStep(_ body: @escaping @MainActor (BridgeClient) async throws -> [FundingSource]) {
        guard let client else { return }
        accounts = .loading
        Task {
            do {
                accounts = .loaded(try await body(client))
            } catch {
                accounts = .failed(BankVerification.describe(error))
            }
        }
    }

    nonisolated private static var isDebug: Bool {
        #if DEBUG
        return true
        #else
        return false
        #endif
    }
}

/// Without the simulator: the card form of this sample has no Checkout.com SDK behind it.
private struct NoCardForm: CardTokenSource {
    func cardToken(for session: CheckoutPaymentSession) async throws -> String? {
        throw SampleFlowError(message: "Checkout.com's Flow component is not part of this sample: set IAV_SIMULATOR_URL to run the card path against the simulator")
    }
}
