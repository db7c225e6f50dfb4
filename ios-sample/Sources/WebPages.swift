import AuthenticationServices
import SafariServices
import SwiftUI
import UIKit

/// A partner's web page (MX Connect, Visa) in SFSafariViewController. `onDone` runs when the user
/// closes it with Done: nothing else says when the partner's page is finished.
struct SafariPage: UIViewControllerRepresentable {
    let url: URL
    let onDone: @MainActor () -> Void

    func makeUIViewController(context: Context) -> SFSafariViewController {
        let controller = SFSafariViewController(url: url)
        controller.dismissButtonStyle = .done
        controller.delegate = context.coordinator
        return controller
    }

    func updateUIViewController(_ controller: SFSafariViewController, context: Context) {}

    func makeCoordinator() -> Coordinator {
        Coordinator(onDone: onDone)
    }

    final class Coordinator: NSObject, SFSafariViewControllerDelegate {
        let onDone: @MainActor () -> Void

        init(onDone: @escaping @MainActor () -> Void) {
            self.onDone = onDone
        }

        // region docs:mx-safari-done
        // MX Connect is in SFSafariViewController: Done closes it, and that is the app's signal to
        // ask the backend what was connected (VerifyModel.pageClosed calls mxConnections).
        func safariViewControllerDidFinish(_ controller: SFSafariViewController) {
            // UIKit calls its delegates on the main thread.
            MainActor.assumeIsolated { onDone() }
        }
        // endregion docs:mx-safari-done
    }
}

/// Visa's page in ASWebAuthenticationSession (iOS 17.4+): it ends when Visa redirects to the app's
/// https universal link (the redirect URL the library sent), or when the user cancels.
@MainActor
final class WebAuthentication: NSObject, ASWebAuthenticationPresentationContextProviding {
    static let shared = WebAuthentication()
    private var session: ASWebAuthenticationSession?

    @available(iOS 17.4, *)
    func open(_ url: URL, httpsHost host: String, path: String, onFinish: @escaping @MainActor @Sendable () -> Void) {
        // The callback URL may carry values for the app: it is not logged.
        let session = ASWebAuthenticationSession(url: url, callback: .https(host: host, path: path)) { @Sendable [weak self] _, _ in
            Task { @MainActor in
                self?.session = nil
                onFinish()
            }
        }
        session.presentationContextProvider = self
        session.prefersEphemeralWebBrowserSession = true
        self.session = session
        session.start()
    }

    nonisolated func presentationAnchor(for session: ASWebAuthenticationSession) -> ASPresentationAnchor {
        MainActor.assumeIsolated {
            UIApplication.shared.connectedScenes
                .compactMap { ($0 as? UIWindowScene)?.keyWindow }
                .first ?? ASPresentationAnchor()
        }
    }
}
