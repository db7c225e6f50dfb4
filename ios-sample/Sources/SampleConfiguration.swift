import Foundation

/// Values from Config/Sample.xcconfig, passed through Info.plist.
enum SampleConfiguration {
    /// The app backend (the sample-backend on this Mac in development).
    static let backendURL = string("IAVBackendURL")
    /// The signed-in user's token for the backend.
    static let demoUserToken = string("IAVDemoUserToken")
    /// The universal link Plaid returns to after an OAuth bank; also the Dwolla redirect value.
    static let redirectURL = string("IAVRedirectURL")
    /// Debug builds only, against the sample-backend's simulated Dwolla: the simulator's URL, so
    /// that it stands in for MX Connect and Checkout.com's card form (`SimulatedPartners`).
    /// Empty: off.
    static let simulatorURL = string("IAVSimulatorURL")

    private static func string(_ key: String) -> String {
        (Bundle.main.object(forInfoDictionaryKey: key) as? String) ?? ""
    }
}
