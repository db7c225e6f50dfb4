// The code of docs/first-hour-ios.md and of the guide's token provider section: type-checked in
// Swift 6 mode against the IAVBridge module by `scripts/docs.sh --check`, and quoted by the pages
// region by region (scripts/lib/check_doc_snippets.py).
import Foundation
import IAVBridge

// region docs:app-session
/// Your app's sign-in: whatever holds the signed-in user's credential for your backend.
protocol AppSession: Sendable {
    /// The user's current access token for your backend, or nil when nobody is signed in.
    func currentAccessToken() async -> String?
    /// A new token (refresh token, re-sign-in), or nil when that is not possible.
    func refreshedAccessToken() async -> String?
}
// endregion docs:app-session

// region docs:token-provider
/// The library asks for a token before each request to your backend, and once more when the
/// backend answered 401: return a fresh one then.
final class SessionTokenProvider: AccessTokenProvider, @unchecked Sendable {
    private let session: AppSession
    private let lock = NSLock()
    private var forceRefresh = false

    init(session: AppSession) {
        self.session = session
    }

    func accessToken() async throws -> String {
        let refresh = lock.withLock { () -> Bool in
            let refresh = forceRefresh
            forceRefresh = true // a second call before a success means the last token was refused
            return refresh
        }
        let token = refresh ? await session.refreshedAccessToken() : await session.currentAccessToken()
        guard let token else {
            // Failing: the call then throws BridgeError.TokenProvider with this reason (never the
            // token); nothing is sent.
            throw AccessTokenError.Failed(reason: "nobody is signed in: sign in, then try again")
        }
        lock.withLock { forceRefresh = false }
        return token
    }
}
// endregion docs:token-provider

// region docs:create-client
/// One client for the app. `redirectURL` is the universal link registered with Plaid and Dwolla.
func createClient(session: AppSession, backendURL: String, redirectURL: String) throws -> BridgeClient {
    let config = BridgeConfig(
        backendUrl: backendURL,
        platform: .ios(redirectUrl: redirectURL),
        environment: .sandbox,
        allowInsecureHttp: false
    )
    let client = try BridgeClient(config: config, tokenProvider: SessionTokenProvider(session: session))
    client.prewarm()
    return client
}
// endregion docs:create-client

// region docs:verify
/// "me": the signed-in user's own Dwolla customer, which the backend looks up from the access
/// token. A Dwolla customer id works too, but only the user's own one (any other answers 404).
func linkToken(client: BridgeClient) async throws -> PlaidLinkSession {
    try await client.startPlaidLink(customerId: "me")
}

/// After LinkKit's success: the public token Link returned becomes a verified funding source.
func verified(client: BridgeClient, publicToken: String) async throws -> FundingSource {
    let exchange = try await client.completePlaidLink(customerId: "me", publicToken: publicToken)
    return try await client.createFundingSource(
        customerId: "me", exchangeId: exchange.id, bankAccountType: .checking, name: "Checking account")
}
// endregion docs:verify

// region docs:errors
/// What to tell the user, and what to do, for the errors a first integration meets.
func whatToDo(_ error: BridgeError) -> String {
    switch error {
    case .TokenProvider(let detail): return "Sign in again (\(detail))"
    case .Unauthorized: return "Your backend refused the token: sign in again"
    case .Network: return "No connection to the server: check the backend URL and the network"
    case .InvalidConfiguration(let reason): return "Fix the configuration: \(reason)"
    case .RedirectUrlNotAllowed(let detail): return "Add the redirect URL to the Dwolla account: \(detail)"
    case .DuplicateFundingSource(let existingId): return "Already linked (\(existingId ?? "id not given"))"
    case .ReauthRequired: return "Reconnect the bank (start a re-auth session for the exchange)"
    case .RateLimited(let retryAfterMs): return "Too many attempts: wait \(retryAfterMs) ms"
    default: return "Something went wrong: \(error.localizedDescription)"
    }
}
// endregion docs:errors
