import Foundation
import NIOCore
import ProxyConfig
import ProxyTestSupport
import Testing
@testable import ProxyDataPlane

/// Every object a connection or a request creates is freed once it ends: the profile's
/// `LiveObjectTally` (debug builds) returns to zero. Each test first sees its objects counted, so a
/// zero is never the tally missing them. This is the test that would have caught a handler,
/// context and pipeline kept alive by every connection (about 3 KB each).
@Suite("connection and request objects are freed", .enabled(if: LiveObjectTally.isCounting))
struct ConnectionLifetimeTests {
    static let clientKinds: [LiveObjectTally.Kind] = [.clientHandler, .clientChannel]
    static let upstreamKinds: [LiveObjectTally.Kind] = [.upstreamHandler, .upstreamChannel]

    @Test("connections closed without a request leave no handler or channel behind")
    func closedWithoutRequest() async throws {
        try await ProxyHarness.with { proxy in
            var clients: [RawHTTPClient] = []
            for _ in 0..<50 { clients.append(try await proxy.client()) }
            let open = await proxy.settle([.clientHandler, .clientChannel], to: 50)
            #expect(open == [.clientHandler: 50, .clientChannel: 50])
            for client in clients { await client.close() }
            #expect(await proxy.settle(Self.clientKinds) == Self.zero(Self.clientKinds))
        }
    }

    @Test("a request per connection, forwarded or answered locally, leaves nothing behind")
    func requestPerConnection() async throws {
        let requests: [(String, Int)] = [
            (.post(headers: ["Connection: close"]), 200),
            (.post(), 200),
            (.get("/elsewhere"), 404),
            (.post(headers: ["Origin: http://evil.example"]), 403),
            (.post(body: "{not json"), 400),
            ("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999\r\n\r\n", 413),
            ("BROKEN REQUEST LINE\r\n\r\n", 400),
            (.post("/mcp/status/503"), 503),
        ]
        try await ProxyHarness.with { proxy in
            for round in 0..<10 {
                for (request, status) in requests {
                    let response = try await proxy.exchange(request)
                    #expect(response?.status == status, "round \(round): \(request.prefix(40))")
                }
            }
            #expect(await proxy.settle(Self.clientKinds) == Self.zero(Self.clientKinds))
        }
    }

    @Test("keep-alive requests reuse their connection's objects; a client gone mid-request frees them")
    func keepAliveExchanges() async throws {
        try await ProxyHarness.with { proxy in
            let client = try await proxy.client()
            for count in 1...40 {
                try await client.send(.post())
                await client.waitFor { $0.components(separatedBy: "HTTP/1.1 200").count - 1 == count }
            }
            #expect(proxy.liveObjects.live(.clientHandler) == 1)
            #expect(proxy.liveObjects.live(.upstreamHandler) == 1, "one pooled upstream connection served all 40")
            try await client.send(.post("/mcp/slow"))
            #expect(await eventually { proxy.upstream.received.contains { $0.target.hasSuffix("/slow") } }, "the request is in flight")
            await client.close()
            #expect(await proxy.settle(Self.clientKinds + Self.upstreamKinds) == Self.zero(Self.clientKinds + Self.upstreamKinds),
                    "the abandoned upstream connection is closed and freed as well")
        }
    }

    @Test("event streams cut by the client, relayed or local heartbeat, leave nothing behind")
    func streamsCut() async throws {
        for streaming in [Profile.UpstreamStreaming.on, .off] {
            try await ProxyHarness.with(profile: [("upstream_streaming", streaming.rawValue), ("heartbeat_interval", "1s")]) { proxy in
                for _ in 0..<10 {
                    let client = try await proxy.client()
                    try await client.send(.get("/mcp/sse"))
                    await client.waitFor { $0.contains("\r\n\r\n") }
                    #expect(proxy.liveObjects.live(.clientHandler) == 1, "\(streaming): the stream's connection is counted while open")
                    await client.close()
                    _ = await proxy.settle([.clientHandler])
                }
                #expect(await proxy.settle(Self.clientKinds + Self.upstreamKinds) == Self.zero(Self.clientKinds + Self.upstreamKinds))
            }
        }
    }

    @Test("pooled upstream connections are freed when the upstream closes them, and after failures")
    func upstreamConnections() async throws {
        try await ProxyHarness.with { proxy in
            var clients: [RawHTTPClient] = []
            for _ in 0..<8 {
                let client = try await proxy.client()
                try await client.send(.post("/mcp/delay"))
                clients.append(client)
            }
            for client in clients { _ = await client.response() }
            // Up to eight: on a loaded machine some requests start after others ended and reuse them.
            let pooled = proxy.liveObjects.live(.upstreamHandler)
            #expect((1...8).contains(pooled), "pooled upstream connections are counted")
            for path in ["/mcp/cut", "/mcp/garbage"] {
                _ = try await proxy.exchange(.post(path))
            }
            for client in clients { await client.close() }
            // Idle connections closed by the upstream leave the pool at once, not when next looked for.
            await proxy.upstream.stop()
            #expect(await proxy.settle(Self.clientKinds + Self.upstreamKinds) == Self.zero(Self.clientKinds + Self.upstreamKinds))
        }
        let dead = try RefusingPort()
        try await ProxyHarness.with(upstreamPort: dead.port) { proxy in
            for _ in 0..<10 {
                let response = try await proxy.exchange(.post())
                #expect(response?.status == 502)
            }
            #expect(await proxy.settle(Self.clientKinds + Self.upstreamKinds) == Self.zero(Self.clientKinds + Self.upstreamKinds))
        }
    }

    static func zero(_ kinds: [LiveObjectTally.Kind]) -> [LiveObjectTally.Kind: Int] {
        Dictionary(uniqueKeysWithValues: kinds.map { ($0, 0) })
    }
}

extension ProxyHarness {
    var liveObjects: LiveObjectTally { listener.runtime.liveObjects }

    /// Waits until each kind counts `target` live objects (closing and freeing take a few loop
    /// turns), or 10 s pass; returns the counts seen last.
    func settle(_ kinds: [LiveObjectTally.Kind], to target: Int = 0) async -> [LiveObjectTally.Kind: Int] {
        let deadline = Date().addingTimeInterval(10)
        while true {
            let counts = Dictionary(uniqueKeysWithValues: kinds.map { ($0, liveObjects.live($0)) })
            if counts.values.allSatisfy({ $0 == target }) || Date() > deadline { return counts }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
