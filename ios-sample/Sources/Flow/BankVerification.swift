// The sample's verification flow, free of UI and LinkKit, so that it compiles anywhere the IAVBridge
// package does (scripts/check-packaging.sh type-checks it in Swift 6 mode on Linux).

import Foundation
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

/// Verify bank account: `startPlaidLink` -> (Plaid Link in the app) -> `completePlaidLink` ->
/// `createFundingSource`. Customer id `me` lets the backend pick the signed-in user's customer.
struct BankVerification: Sendable {
    let client: BridgeClient
    var customerId = "me"

    // region docs:flow
    /// Creates the exchange session and returns the Plaid Link session to open.
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

    /// A sentence for the user for each error the library can raise, with its reason.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? BridgeError else {
            return "Unexpected error: \(error.localizedDescription)"
        }
        switch error {
        case .InvalidConfiguration(let reason): return "The app is misconfigured: \(reason)"
        case .InvalidArgument(let reason): return "Invalid request: \(reason)"
        case .InvalidRedirectUrl(let reason): return "Invalid redirect URL for Plaid: \(reason)"
        case .PartnerUnavailable(let partner): return "\(partner) is not available for this account"
        case .Validation(let code, let detail, let path):
            return "Request refused (\(code)): \(detail)" + (path.map { " at \($0)" } ?? "")
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
