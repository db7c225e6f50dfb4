import IAVBridge
import LinkKit
import os
import SwiftUI

/// Plaid Link's events, for debugging (they carry no tokens).
private let linkEvents = Logger(subsystem: "dev.iavbridge.sample", category: "PlaidLink")

/// One screen: "Verify bank account" -> Plaid Link -> the new funding source.
struct VerifyView: View {
    @StateObject private var model = VerifyModel()
    @State private var linkSession: LinkKit.PlaidLinkSession?

    var body: some View {
        VStack(spacing: 16) {
            Text("Link your bank account").font(.title2)
            Button(action: model.verify) {
                Text("Verify bank account").frame(maxWidth: .infinity)
            }
            .buttonStyle(.borderedProminent)
            .disabled(isBusy)

            switch model.state {
            case .idle:
                Text("You will pick your bank in Plaid Link.").foregroundStyle(.secondary)
            case .working(let step):
                ProgressView()
                Text(step)
            case .linkReady:
                ProgressView()
            case .verified(let fundingSource):
                VStack(alignment: .leading, spacing: 4) {
                    Text("Bank account verified").font(.headline)
                    Text("Funding source: \(fundingSource.name)")
                    Text("Id: \(fundingSource.id)").font(.caption).foregroundStyle(.secondary)
                }
                .frame(maxWidth: .infinity, alignment: .leading)
                .padding()
                .background(.thinMaterial, in: RoundedRectangle(cornerRadius: 12))
            case .linkClosed(let reason):
                Text(reason)
            case .failed(let reason):
                Text(reason).foregroundStyle(.red)
            }
            Spacer()
        }
        .padding(24)
        .onChange(of: linkToken) { token in
            if let token { openLink(token: token) }
        }
        .sheet(isPresented: $model.isPresentingLink) {
            if let linkSession {
                linkSession.sheet()
            }
        }
    }

    private var isBusy: Bool {
        switch model.state {
        case .working, .linkReady: return true
        default: return false
        }
    }

    private var linkToken: String? {
        if case .linkReady(let token) = model.state { return token }
        return nil
    }

    /// A LinkKit session is single-use: one per link token.
    private func openLink(token: String) {
        // region docs:plaid-link
        // LinkKit calls back outside the main actor's knowledge: hand plain values to the model.
        let model = self.model
        let configuration = LinkTokenConfiguration(
            token: token,
            onSuccess: { success in
                let publicToken = success.publicToken
                let institution = success.metadata.institution.name
                Task { @MainActor in model.linkSucceeded(publicToken: publicToken, institutionName: institution) }
            },
            onExit: { exit in
                let reason = exit.error.map { $0.displayMessage ?? $0.errorMessage }
                Task { @MainActor in model.linkExited(reason: reason) }
            },
            onEvent: { event in
                linkEvents.debug("Link event: \(String(describing: event), privacy: .public)")
            },
            onLoad: {
                Task { @MainActor in model.linkLoaded() }
            }
        )
        do {
            linkSession = try Plaid.createPlaidLinkSession(configuration: configuration)
            model.linkOpened()
        } catch {
            model.linkExited(reason: "Plaid Link could not start: \(error.localizedDescription)")
        }
        // endregion docs:plaid-link
    }
}
