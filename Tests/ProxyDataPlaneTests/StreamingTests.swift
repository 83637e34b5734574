import Foundation
import ProxyTestSupport
import Testing
import ProxyConfig
@testable import ProxyDataPlane

@Suite("event streams")
struct StreamingTests {
    @Test("SSE events reach the client one by one, before the stream ends")
    func eventsArriveBeforeEnd() async throws {
        try await ProxyHarness.with { proxy in
            let client = try await proxy.client()
            try await client.send(.post("/mcp/sse"))
            let start = Date()
            let first = await client.waitFor { $0.contains("data: {\"n\":0}") }
            let firstAt = Date().timeIntervalSince(start)
            #expect(first.contains("text/event-stream"))
            #expect(first.contains("x-accel-buffering: no"))
            #expect(first.contains("cache-control: no-cache"))
            #expect(!first.contains("data: {\"n\":2}"), "the first event must not wait for the last")
            let all = await client.waitFor { $0.hasSuffix("0\r\n\r\n") }
            #expect(all.contains("data: {\"n\":2}"))
            #expect(Date().timeIntervalSince(start) > firstAt + 0.3)
            await client.close()
        }
    }

    @Test("a stream the upstream cuts is ended cleanly for the client")
    func cutStreamEndsCleanly() async throws {
        try await ProxyHarness.with { proxy in
            let client = try await proxy.client()
            try await client.send(.post("/mcp/sse-cut"))
            let text = await client.waitFor { $0.hasSuffix("0\r\n\r\n") }
            #expect(text.contains("data: {\"n\":0}"))
            #expect(text.hasSuffix("0\r\n\r\n"))
        }
    }

    @Test("a non-stream body the upstream cuts is not completed for the client")
    func cutBodyStaysIncomplete() async throws {
        try await ProxyHarness.with { proxy in
            let client = try await proxy.client()
            try await client.send(.post("/mcp/cut"))
            await client.waitFor { _ in false }
            #expect(client.isClosed)
            #expect(ParsedResponse.parse(client.text) == nil, "a truncated body must not look complete")
        }
    }

    @Test("GET falls back to a local heartbeat when the upstream answers 405, and remembers it")
    func heartbeatFallback() async throws {
        try await ProxyHarness.with(profile: [("heartbeat_interval", "100ms")], refusesGET: true) { proxy in
            let client = try await proxy.client()
            try await client.send(.get())
            let text = await client.waitFor { $0.components(separatedBy: ": heartbeat").count >= 4 }
            #expect(text.hasPrefix("HTTP/1.1 200 OK"))
            #expect(text.contains("text/event-stream"))
            #expect(text.components(separatedBy: ": heartbeat").count >= 4)
            await client.close()
            let second = try await proxy.client()
            try await second.send(.get())
            await second.waitFor { $0.contains(": heartbeat") }
            #expect(proxy.upstream.received.filter { $0.method == "GET" }.count == 1, "the 405 is remembered")
            await second.close()
        }
    }

    @Test("upstream_streaming: off never sends GET upstream")
    func streamingOff() async throws {
        try await ProxyHarness.with(profile: [("upstream_streaming", "off")]) { proxy in
            let client = try await proxy.client()
            try await client.send(.get())
            let text = await client.waitFor { $0.contains(": heartbeat") }
            #expect(text.contains(": heartbeat"))
            #expect(proxy.upstream.received.isEmpty)
            await client.close()
        }
    }

    @Test("shutdown ends an open stream cleanly and lets a request in flight finish")
    func gracefulShutdown() async throws {
        let proxy = try await ProxyHarness.start(profile: [("upstream_streaming", "off"), ("heartbeat_interval", "60s")])
        let stream = try await proxy.client()
        try await stream.send(.get())
        await stream.waitFor { $0.contains(": heartbeat") }
        let inFlight = try await proxy.client()
        try await inFlight.send(.post("/mcp/sse"))
        await inFlight.waitFor { $0.contains("data:") }
        await proxy.listener.shutdown(grace: .seconds(5))
        #expect(await stream.waitFor { $0.hasSuffix("0\r\n\r\n") }.hasSuffix("0\r\n\r\n"), "the heartbeat stream gets its final chunk")
        #expect(await inFlight.waitFor { $0.hasSuffix("0\r\n\r\n") }.hasSuffix("0\r\n\r\n"), "the proxied stream is ended cleanly")
        // The close follows the final chunk; wait for it rather than racing it.
        await stream.waitFor(timeout: 10) { _ in false }
        #expect(stream.isClosed)
        await proxy.stop()
    }
}

@Suite("shutdown under load and pipelining")
struct ShutdownUnderLoadTests {
    @Test("every request in flight when shutdown starts gets its complete response")
    func shutdownUnderLoad() async throws {
        let proxy = try await ProxyHarness.start()
        var clients: [RawHTTPClient] = []
        for index in 0..<20 {
            let client = try await proxy.client()
            try await client.send(.post("/mcp/delay", body: #"{"jsonrpc":"2.0","id":\#(index),"method":"slow"}"#))
            clients.append(client)
        }
        await eventually(within: 3) { proxy.upstream.received.count >= 20 }
        await proxy.listener.shutdown(grace: .seconds(5))
        for client in clients {
            let response = await client.response()
            #expect(response?.status == 200)
            #expect(response?.body == #"{"delayed":true}"#)
            // The wait ends as soon as the proxy closes; the long bound is for a loaded CI machine.
            await client.waitFor(timeout: 10) { _ in false }
            #expect(client.isClosed, "the connection is not kept after shutdown")
        }
        let refused = try? await proxy.client()
        #expect(refused == nil, "no new connections after shutdown")
        await proxy.stop()
    }

    @Test("pipelined requests are answered in order on one connection")
    func pipelining() async throws {
        try await ProxyHarness.with { proxy in
            let client = try await proxy.client()
            let first = String.post("/mcp/delay", body: #"{"jsonrpc":"2.0","id":1,"method":"first"}"#)
            let second = String.post("/mcp/second", body: #"{"jsonrpc":"2.0","id":2,"method":"second"}"#)
            try await client.send(first + second)
            let text = await client.waitFor { $0.components(separatedBy: "HTTP/1.1 200").count == 3 }
            let delayed = try #require(text.range(of: #"{"delayed":true}"#))
            let echoed = try #require(text.range(of: #"\"id\":2"#))
            #expect(delayed.lowerBound < echoed.lowerBound, "responses keep request order")
            await client.close()
        }
    }

    @Test("a pipelined flood larger than a head's limit pauses reading, and every request is still answered in order")
    func pipelinedFlood() async throws {
        try await ProxyHarness.with { proxy in
            let client = try await proxy.client()
            let count = 600
            let requests = (1...count).map { String.post(body: #"{"jsonrpc":"2.0","id":\#($0),"method":"flood"}"#) }.joined()
            #expect(requests.utf8.count > RequestParser.maxHeadBytes, "more waits in the parser than one head may hold")
            try await client.send(requests)
            let text = await client.waitFor(timeout: 20) { $0.components(separatedBy: "HTTP/1.1 200").count == count + 1 }
            #expect(text.components(separatedBy: "HTTP/1.1 200").count == count + 1)
            let first = try #require(text.range(of: #"\"id\":1,"#))
            let last = try #require(text.range(of: #"\"id\":\#(count),"#))
            #expect(first.lowerBound < last.lowerBound, "responses keep request order")
            #expect(!client.isClosed)
            #expect(proxy.upstream.received.count == count)
            await client.close()
        }
    }
}
