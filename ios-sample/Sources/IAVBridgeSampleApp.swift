import IAVBridge
import SwiftUI

@main
struct IAVBridgeSampleApp: App {
    init() {
        // The library's logs (never a token) go to OSLog, subsystem dev.iavbridge.
        #if DEBUG
        setLogSink(sink: OSLogSink(), maxLevel: .debug)
        #else
        setLogSink(sink: OSLogSink(), maxLevel: .warn)
        #endif
    }

    var body: some Scene {
        WindowGroup {
            VerifyView()
        }
    }
}
