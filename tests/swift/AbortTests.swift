// Cancelling a Task aborts the request in flight, seen from the server: a purpose-built loopback
// server (plain sockets) that reads the request, never answers, and records when the client
// closes the connection. Also a server answering a body that is not JSON.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import IAVBridge

/// A one-connection HTTP server on 127.0.0.1 that reads the request head, then either answers
/// `reply` (when given) or stays silent until the client closes.
final class LoopbackServer: @unchecked Sendable {
    let port: UInt16
    private let listenFd: Int32
    private let lock = NSLock()
    private var _requestSeen = false
    private var _closedAt: Date?

    var requestSeen: Bool { lock.lock(); defer { lock.unlock() }; return _requestSeen }
    var closedAt: Date? { lock.lock(); defer { lock.unlock() }; return _closedAt }
    var url: String { "http://127.0.0.1:\(port)/" }

    init(reply: String? = nil) throws {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw TestFailure(description: "socket() failed") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) }
        }
        guard bound == 0, listen(fd, 8) == 0 else { close(fd); throw TestFailure(description: "bind/listen failed") }
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        listenFd = fd
        port = UInt16(bigEndian: addr.sin_port)
        let thread = Thread { [self] in self.serve(reply: reply) }
        thread.start()
    }

    private func serve(reply: String?) {
        let conn = accept(listenFd, nil, nil)
        guard conn >= 0 else { return }
        defer { close(conn) }
        var head = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: head, as: UTF8.self).contains("\r\n\r\n") {
            let n = recv(conn, &buf, buf.count, 0)
            if n <= 0 { break }
            head += buf[0..<n]
        }
        lock.lock(); _requestSeen = true; lock.unlock()
        if let reply = reply {
            let bytes = Array(reply.utf8)
            _ = send(conn, bytes, bytes.count, 0)
        }
        while recv(conn, &buf, buf.count, 0) > 0 {}
        lock.lock(); _closedAt = Date(); lock.unlock()
    }

    func stop() { close(listenFd) }
}

func waitUntil(_ seconds: Double, _ condition: () -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try await Task.sleep(nanoseconds: 10_000_000)
    }
    return condition()
}

let abortTests: [TestCase] = [
    TestCase(name: "abort.cancellingTheTaskClosesTheConnection") {
        let server = try LoopbackServer()
        defer { server.stop() }
        let c = try BridgeClient(config: makeConfig(backendUrl: server.url, maxRetries: 0, timeoutMs: 30_000),
                                 tokenProvider: StaticTokenProvider("t"))
        let task = Task { try await c.exchangePartners() }
        try check(try await waitUntil(10) { server.requestSeen }, "the request never reached the server")
        try await Task.sleep(nanoseconds: 100_000_000)
        let cancelledAt = Date()
        task.cancel()
        _ = await task.result
        try check(try await waitUntil(3) { server.closedAt != nil }, "the connection stayed open after cancellation")
        let took = server.closedAt!.timeIntervalSince(cancelledAt)
        try check(took < 1.0, "closed \(took) s after cancellation")
    },
    TestCase(name: "abort.nonJsonAnswerIsInvalidResponse") {
        let body = "<html>not json</html>"
        let server = try LoopbackServer(reply: "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.dwolla.v1.hal+json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
        defer { server.stop() }
        let c = try BridgeClient(config: makeConfig(backendUrl: server.url, maxRetries: 0), tokenProvider: StaticTokenProvider("t"))
        let e = try await expectError(BridgeError.self) { _ = try await c.exchangePartners() }
        guard case let .InvalidResponse(detail) = e else { throw TestFailure(description: "expected InvalidResponse, got \(e)") }
        try check(!detail.isEmpty)
    },
]
