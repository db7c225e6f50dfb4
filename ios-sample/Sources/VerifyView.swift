import IAVBridge
import LinkKit
import os
import SwiftUI

/// Plaid Link's events, for debugging (they carry no tokens).
private let linkEvents = Logger(subsystem: "dev.iavbridge.sample", category: "PlaidLink")

/// One screen: a menu to link a bank account (Plaid Link, MX Connect, Visa) or a debit card
/// (Checkout.com), the outcome, and the customer's linked accounts.
struct VerifyView: View {
    @StateObject private var model = VerifyModel()
    @State private var linkSession: LinkKit.PlaidLinkSession?

    var body: some View {
        ScrollView {
            VStack(spacing: 16) {
                Text("Link an account").font(.title2)
                // The bank links a kill or a dead network left pending, resumed when the screen opened.
                ForEach(model.resumed, id: \.self) { Text($0).font(.callout) }
                Menu {
                    ForEach(LinkMethod.allCases) { method in
                        Button(label(method)) { model.link(method) }
                            .disabled(method == .plaid && !model.isLinkLoaded && !isPlaidUnavailable)
                    }
                } label: {
                    Text("Link an account…").frame(maxWidth: .infinity)
                }
                .buttonStyle(.borderedProminent)
                .disabled(isBusy)

                if case .unavailable(let reason) = model.plaid {
                    Text("Plaid Link: \(reason)").foregroundStyle(.red)
                }
                outcome
                Divider()
                LinkedAccountsSection(model: model)
            }
            .padding(24)
        }
        .task { model.screenAppeared() }
        // Runs when the view appears and whenever the model has the token for another Link session.
        .task(id: model.plaid.readyId) { createLinkSession() }
        .sheet(isPresented: $model.isPresentingLink) {
            if let linkSession {
                linkSession.sheet()
            }
        }
        // region docs:mx-safari
        // MX Connect (and Visa before iOS 17.4) in SFSafariViewController, full screen so that only
        // Done closes it; its URL is single-use and never logged.
        .fullScreenCover(item: $model.presentedPage) { presented in
            SafariPage(url: presented.page.url) { model.pageClosed(presented) }
                .ignoresSafeArea()
        }
        // endregion docs:mx-safari
    }

    @ViewBuilder private var outcome: some View {
        switch model.state {
        case .idle:
            Text("Pick how to link: your bank in Plaid Link, MX Connect or Visa, or a debit card.")
                .foregroundStyle(.secondary)
        case .working(let step):
            ProgressView()
            Text(step)
        case .mxPick(let connections):
            Text("You connected several accounts. Which one should be linked?")
            ForEach(Array(connections.enumerated()), id: \.offset) { _, connection in
                Button(connection.name()) { model.mxPicked(connection) }
                    .buttonStyle(.bordered)
            }
        case .cardForm(let session):
            CardForm(model: model, session: session)
        case .verified(let fundingSource):
            VStack(alignment: .leading, spacing: 4) {
                Text("Linked").font(.headline)
                Text(fundingSource.name)
                Text(LinkedAccounts.describe(fundingSource))
                Text("Id: \(fundingSource.id)").font(.caption).foregroundStyle(.secondary)
            }
            .frame(maxWidth: .infinity, alignment: .leading)
            .padding()
            .background(.thinMaterial, in: RoundedRectangle(cornerRadius: 12))
        case .alreadyLinked(let existingId):
            Text("Already linked" + (existingId.map { " (funding source \($0))" } ?? "") + ". Remove it below to link it again.")
        case .linkClosed(let reason):
            Text(reason)
        case .failed(let reason):
            Text(reason).foregroundStyle(.red)
        }
    }

    private var isBusy: Bool {
        switch model.state {
        case .working, .cardForm: return true
        default: return false
        }
    }

    private var isPlaidUnavailable: Bool {
        if case .unavailable = model.plaid { return true }
        return false
    }

    private func label(_ method: LinkMethod) -> String {
        guard method == .plaid, !model.isLinkLoaded else { return method.rawValue }
        return method.rawValue + (isPlaidUnavailable ? " (try again)" : " (loading…)")
    }

    /// A LinkKit session is single-use: one per link token, created as soon as the model has the
    /// token (fetched when the screen appeared), so that Link has loaded before the tap.
    private func createLinkSession() {
        linkSession = nil
        guard case .ready(let session, let id) = model.plaid else { return }
        // region docs:plaid-link
        // LinkKit calls back outside the main actor's knowledge: hand plain values to the model.
        // The token goes to LinkKit only; it is never logged or shown.
        let model = self.model
        let configuration = LinkTokenConfiguration(
            token: session.linkToken(),
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
                // Link has loaded: enable the button (the tap then only presents the sheet).
                Task { @MainActor in model.linkLoaded(id: id) }
            }
        )
        do {
            // Kept until the tap presents it (`.sheet { linkSession.sheet() }`).
            linkSession = try Plaid.createPlaidLinkSession(configuration: configuration)
        } catch {
            model.linkUnavailable("Plaid Link could not start: \(error.localizedDescription)")
        }
        // endregion docs:plaid-link
    }
}

/// The card form. In an app, Checkout.com's Flow component (Flow for mobile) takes the card number,
/// expiry and security code here: it is created with the payment session's `id()`,
/// `paymentSessionToken()` and `paymentSessionSecret()` (secrets: passed to the component, never
/// logged or shown) and tokenizes the card; its token reaches `CardLinking.finish` through the
/// model's `CardTokenSource`. This sample does not embed Checkout.com's SDK; the billing address is
/// the app's.
private struct CardForm: View {
    @ObservedObject var model: VerifyModel
    let session: CheckoutPaymentSession
    @State private var name = "My debit card"
    @State private var street = ""
    @State private var apartment = ""
    @State private var city = ""
    @State private var region = ""
    @State private var postalCode = ""

    var body: some View {
        VStack(alignment: .leading, spacing: 8) {
            Text("Checkout.com's card form (Flow component) goes here.")
                .frame(maxWidth: .infinity, alignment: .leading)
                .padding()
                .background(.thinMaterial, in: RoundedRectangle(cornerRadius: 12))
            TextField("Name of the card in the app", text: $name)
            TextField("Street address", text: $street)
            TextField("Apartment, suite (optional)", text: $apartment)
            TextField("City", text: $city)
            HStack {
                TextField("State (IA)", text: $region).textInputAutocapitalization(.characters)
                TextField("ZIP code", text: $postalCode).keyboardType(.numberPad)
            }
            HStack {
                Button("Cancel", role: .cancel) { model.cardCancelled() }
                Spacer()
                Button("Add card") {
                    model.cardSubmitted(
                        session: session,
                        name: name,
                        address: CardLinking.billingAddress(
                            street: street, apartment: apartment, city: city, state: region, postalCode: postalCode
                        )
                    )
                }
                .buttonStyle(.borderedProminent)
            }
        }
        .textFieldStyle(.roundedBorder)
    }
}

/// The customer's funding sources: kind, status, and Remove.
private struct LinkedAccountsSection: View {
    @ObservedObject var model: VerifyModel

    var body: some View {
        VStack(alignment: .leading, spacing: 8) {
            HStack {
                Text("Linked accounts").font(.headline)
                Spacer()
                Button("Refresh") { model.refreshAccounts() }
            }
            switch model.accounts {
            case .loading:
                ProgressView()
            case .failed(let reason):
                Text(reason).foregroundStyle(.red)
            case .loaded(let accounts) where accounts.isEmpty:
                Text("No linked accounts yet.").foregroundStyle(.secondary)
            case .loaded(let accounts):
                ForEach(accounts, id: \.id) { account in
                    HStack {
                        VStack(alignment: .leading) {
                            Text(account.name)
                            Text(LinkedAccounts.describe(account)).font(.caption).foregroundStyle(.secondary)
                        }
                        Spacer()
                        Button("Remove", role: .destructive) { model.remove(account) }
                    }
                }
            }
        }
    }
}
