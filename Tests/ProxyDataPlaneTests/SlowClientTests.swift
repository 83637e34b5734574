import Foundation
import NIOCore
import ProxyTestSupport
import Testing
@testable import ProxyDataPlane

/// Clients that are slow, stall or vanish cannot hold the proxy's resources.
@Suite("slow, stalled and vanishing clients")
struct SlowClientTests {
    /// Short enough to keep the suite quick, long enough that a loaded CI machine running the
    /// whole suite in parallel still connects and sends before the bounds trip.
    static let tight = ConnectionLimits(requestHeadTimeout: .seconds(3), requestBodyTimeout: .seconds(3),
                                        stalledClientTimeout: .seconds(3), checkInterval: .milliseconds(100))

    @Test("a head sent one byte at a time is cut off after the head timeout")
    func slowHeaders() async throws {
        try await ProxyHarness.with(limits: Self.tight) { proxy in
            let client = try await proxy.client()
            for byte in "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + String(repeating: "a", count: 100) {
                if client.isClosed { break }
                try? await client.send(String(byte))
                try await Task.sleep(for: .milliseconds(100))
            }
            await client.waitFor(timeout: 5) { _ in false }
            #expect(client.isClosed)
            #expect(proxy.upstream.received.isEmpty)
        }
    }

    @Test("an idle keep-alive connection is closed after the head timeout")
    func idleKeepAlive() async throws {
        try await ProxyHarness.with(limits: Self.tight) { proxy in
            let client = try await proxy.client()
            try await client.send(.post())
            _ = await client.response()
            #expect(!client.isClosed)
            await client.waitFor(timeout: 8) { _ in false }
            #expect(client.isClosed)
        }
    }

    @Test("a body that never completes gets 408 and the connection closes, nothing forwarded")
    func slowBody() async throws {
        try await ProxyHarness.with(limits: Self.tight) { proxy in
            let client = try await proxy.client()
            try await client.send("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{\"jsonrpc\"")
            let text = await client.waitFor(timeout: 8) { $0.contains("HTTP/1.1 408") }
            #expect(text.hasPrefix("HTTP/1.1 408"))
            await client.waitFor(timeout: 3) { _ in false }
            #expect(client.isClosed)
            #expect(proxy.upstream.received.isEmpty)
        }
    }

    @Test("a client that never reads its response is cut, and the upstream connection with it")
    func stalledReader() async throws {
        try await ProxyHarness.with(limits: Self.tight) { proxy in
            // Eight 1 MiB responses fit in an autotuned loopback receive buffer plus the proxy's send
            // buffer, and then nothing ever stalls; a fixed small receive buffer makes sure it does.
            let client = try await RawHTTPClient(port: proxy.port, receiveBufferSize: 16 * 1024)
            try await client.stopReading()
            // On a loaded machine the proxy may cut the stalled connection before the last sends:
            // a send failing then is the behaviour under test, not a test failure.
            for _ in 0..<8 { try? await client.send(.post("/mcp/big")) }
            #expect(await eventually(within: 30, polling: .milliseconds(50)) { proxy.upstream.closedConnectionCount >= 1 },
                    "the upstream exchange is abandoned")
            let after = try await proxy.exchange(.post())
            #expect(after?.status == 200, "the proxy keeps serving others")
            await client.close()
        }
    }

    @Test("a client that disconnects mid-stream makes the proxy drop the upstream stream promptly")
    func disconnectMidStream() async throws {
        try await ProxyHarness.with { proxy in
            let client = try await proxy.client()
            try await client.send(.post("/mcp/sse"))
            await client.waitFor { $0.contains("data:") }
            await client.close()
            await eventually(within: 2) { proxy.upstream.closedConnectionCount > 0 }
            #expect(proxy.upstream.closedConnectionCount == 1)
        }
    }

    @Test("oversized headers get 431 and the connection closes")
    func headerOverflow() async throws {
        try await ProxyHarness.with { proxy in
            let client = try await proxy.client()
            try await client.send("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + String(repeating: "a", count: 100_000) + "\r\n\r\n")
            let text = await client.waitFor { _ in false }
            #expect(text.hasPrefix("HTTP/1.1 431"))
            #expect(client.isClosed)
            #expect(proxy.upstream.received.isEmpty)
        }
    }

    @Test("faults leave no file descriptors behind: exactly the sockets of before, counted by port")
    func noDescriptorLeak() async throws {
        try await ProxyHarness.with(profile: [("request_timeout", "200ms")]) { proxy in
            let ports: Set = [proxy.port, proxy.upstream.port]
            // A keep-alive exchange first, so that the pool holds one idle connection, as at the end.
            #expect(try await proxy.exchange(.post())?.status == 200)
            await eventually { OpenSockets.count(touching: ports) == 4 }
            let before = OpenSockets.count(touching: ports)
            #expect(before == 4, "two listeners and both ends of the idle upstream connection")
            for _ in 0..<6 {
                for path in ["/mcp/cut", "/mcp/slow", "/mcp/sse-cut", "/mcp/status/500", "/mcp/garbage"] {
                    _ = try await proxy.exchange(.post(path))
                }
            }
            #expect(try await proxy.exchange(.post())?.status == 200)
            // Closes finish on the event loops a moment after the client has its answer.
            await eventually { OpenSockets.count(touching: ports) == before }
            let after = OpenSockets.count(touching: ports)
            #expect(after == before, "descriptors before \(before), after \(after)")
        }
    }
}
