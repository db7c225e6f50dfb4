import Foundation
import IAVBridge

/// Runs [BankVerification] for the screen; everything the screen shows is in `state`.
@MainActor
final class VerifyModel: ObservableObject {
    enum State {
        case idle
        /// A call is in flight (progress indicator).
        case working(String)
        /// The Plaid Link token is ready: the view opens Link with it.
        case linkReady(linkToken: String)
        case verified(FundingSource)
        case linkClosed(String)
        case failed(String)
    }

    @Published private(set) var state: State = .idle
    /// Whether the Plaid Link sheet is up (set once Link has loaded, cleared by its result).
    @Published var isPresentingLink = false
    private var verification: BankVerification?

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
            verification = BankVerification(client: client)
        } catch {
            state = .failed(BankVerification.describe(error))
        }
    }

    /// "Verify bank account" was tapped.
    func verify() {
        guard let verification else { return }
        state = .working("Preparing Plaid Link…")
        Task {
            do {
                let session = try await verification.start()
                state = .linkReady(linkToken: session.linkToken())
            } catch {
                state = .failed(BankVerification.describe(error))
            }
        }
    }

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
        guard let verification else { return }
        state = .working("Verifying the account…")
        Task {
            do {
                let name = String((institutionName.map { "\($0) checking" } ?? "Checking account").prefix(50))
                state = .verified(try await verification.finish(publicToken: publicToken, accountName: name))
            } catch {
                state = .failed(BankVerification.describe(error))
            }
        }
    }

    /// The user left Link, or Link failed.
    func linkExited(reason: String?) {
        isPresentingLink = false
        state = .linkClosed(reason ?? "Plaid Link was closed before the account was linked")
    }

    private static var isDebug: Bool {
        #if DEBUG
        return true
        #else
        return false
        #endif
    }
}
