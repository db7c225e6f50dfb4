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
        /// The Plaid Link token is ready: the view opens Link with it.
        case linkReady(linkToken: String)
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
    /// Whether the Plaid Link sheet is up (set once Link has loaded, cleared by its result).
    @Published var isPresentingLink = false
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
            let client = try BridgeClient(
                config: config,
                tokenProvider: DemoUserTokenProvider(token: SampleConfiguration.demoUserToken)
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

    /// An item of the menu was tapped.
    func link(_ method: LinkMethod) {
        switch method {
        case .plaid:
            step("Preparing Plaid Link…") { client in
                .linkReady(linkToken: try await BankVerification(client: client).start().linkToken())
            }
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

    /// The view has handed the token to LinkKit.
    func linkOpened() {
        state = .working("Opening Plaid Link…")
    }

    /// LinkKit has loaded: present it.
    func linkLoaded() {
        isPresentingLink = true
        state = .working("Waiting for Plaid Link…")
    }

    /// Plaid Link succeeded: finish on the backend.
    func linkSucceeded(publicToken: String, institutionName: String?) {
        isPresentingLink = false
        step("Verifying the account…") { client in
            let name = String((institutionName.map { "\($0) checking" } ?? "Checking account").prefix(50))
            return .verified(try await BankVerification(client: client).finish(publicToken: publicToken, accountName: name))
        }
    }

    /// The user left Link, or Link failed.
    func linkExited(reason: String?) {
        isPresentingLink = false
        state = .linkClosed(reason ?? "Plaid Link was closed before the account was linked")
    }

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
