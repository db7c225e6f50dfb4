// The Swift suite: every test runs against the sample-backend started by scripts/test-swift.sh.
// Arguments: test names or name prefixes (e.g. `flow`) to run a subset. Exit 1 on any failure.
import Foundation

/// Runs the app compiled in Swift 6 mode (tests/swift/swift6), built by scripts/test-swift.sh.
let swift6Tests: [TestCase] = [
    TestCase(name: "swift6.appUsage") {
        guard let path = ProcessInfo.processInfo.environment["IAV_SWIFT6_APP"] else {
            throw TestFailure(description: "IAV_SWIFT6_APP is not set")
        }
        let alice = Backend.alice
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        var env = ProcessInfo.processInfo.environment
        env["IAV_BACKEND_URL"] = Backend.backendUrl
        env["IAV_TOKEN"] = alice.token
        env["IAV_CUSTOMER_ID"] = alice.customerId
        p.environment = env
        try p.run()
        p.waitUntilExit()
        try checkEqual(p.terminationStatus, 0, "the Swift 6 app failed")
    },
]

// The child process of the journal's kill -9 test.
if CommandLine.arguments.dropFirst().first == "--completion-child" {
    exit(await completionChild(Array(CommandLine.arguments.dropFirst(2))))
}

let all = validatorAndConfigTests + flowTests + completionJournalTests + prepareTests + partnersTests + errorTests + tokenProviderTests + loggingTests + concurrencyTests + abortTests + docsTests + swift6Tests
let only = Set(CommandLine.arguments.dropFirst())
let status = await runAll(all, only: only)
exit(status)
