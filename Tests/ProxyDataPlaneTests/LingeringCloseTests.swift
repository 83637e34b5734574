import Foundation
import NIOCore
import ProxyConfig
import ProxyTestSupport
import Testing
@testable import ProxyDataPlane

/// An answer given before the request's end (413, 431, 400) reaches a client that is still
/// sending: the proxy shuts its write side and drains the rest for a bounded time and byte count
/// instead of closing with unread bytes, which would make the kernel reset the connection and
/// destroy the answer in the client's receive buffer.
@Suite("lingering close")
struct LingeringCloseTests {
    static func oversizedPost(_ body: String) -> String {
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
    }

    @Test("a 5 MiB body sent in one write over the 4 MiB default limit reads its 413")
    func oversizedBodyInOneWrite() async throws {
        try await ProxyHarness.with { proxy in
            let request = Self.oversizedPost(String(repeating: "x", count: 5 << 20))
            let outcome = await WriteThenReadClient.exchange(port: proxy.port, request: Array(request.utf8))
            #expect(outcome.sendError == nil, "the proxy drained the body instead of resetting")
            #expect(outcome.receiveError == nil, "the answer ended with the proxy's FIN, not a reset")
            let response = ParsedResponse.parse(outcome.text)
            #expect(response?.status == 413)
            #expect(response?.header("connection") == "close")
            #expect(proxy.upstream.received.isEmpty)
        }
    }

    @Test("a chunked body counted over the limit mid-upload reads its 413")
    func chunkedOverLimit() async throws {
        try await ProxyHarness.with(profile: [("max_request_body", "64KiB")]) { proxy in
            let chunks = String(repeating: "4000\r\n" + String(repeating: "y", count: 0x4000) + "\r\n", count: 128) + "0\r\n\r\n"
            let request = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks
            let outcome = await WriteThenReadClient.exchange(port: proxy.port, request: Array(request.utf8))
            #expect(outcome.sendError == nil && outcome.receiveError == nil)
            #expect(ParsedResponse.parse(outcome.text)?.status == 413)
            #expect(proxy.upstream.received.isEmpty)
        }
    }

    @Test("a 431 for an oversized head reaches a client that sends more behind it")
    func headTooLargeWithMoreBehind() async throws {
        try await ProxyHarness.with { proxy in
            let head = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + String(repeating: "a", count: 100_000) + "\r\n\r\n"
            let outcome = await WriteThenReadClient.exchange(port: proxy.port, request: Array((head + String(repeating: "z", count: 2 << 20)).utf8))
            #expect(outcome.sendError == nil && outcome.receiveError == nil)
            #expect(outcome.text.hasPrefix("HTTP/1.1 431"))
        }
    }

    @Test("a client that keeps sending after the answer is cut once the lingering time is over")
    func lingeringTimeBound() async throws {
        let limits = ConnectionLimits(checkInterval: .milliseconds(100), lingeringTimeout: .seconds(2))
        try await ProxyHarness.with(limits: limits) { proxy in
            let (client, started) = try await Self.refusedUploader(proxy)
            var openAfterHalfASecond: Bool?
            while !client.isClosed, Date().timeIntervalSince(started) < 10 {
                try? await client.send(String(repeating: "w", count: 1024))
                try await Task.sleep(for: .milliseconds(50))
                if openAfterHalfASecond == nil, Date().timeIntervalSince(started) > 0.5 { openAfterHalfASecond = !client.isClosed }
            }
            #expect(openAfterHalfASecond == true, "the proxy lingers, reading, instead of closing at once")
            #expect(client.isClosed)
            #expect(Date().timeIntervalSince(started) < 7, "closed after about two seconds, not at the 30 s head timeout")
        }
    }

    @Test("a client that keeps sending after the answer is cut once the lingering byte bound is passed")
    func lingeringByteBound() async throws {
        let limits = ConnectionLimits(lingeringTimeout: .seconds(60), lingeringByteLimit: 256 * 1024)
        try await ProxyHarness.with(limits: limits) { proxy in
            let (client, started) = try await Self.refusedUploader(proxy)
            var sent = 0
            while !client.isClosed, Date().timeIntervalSince(started) < 8 {
                try? await client.send(String(repeating: "b", count: 64 * 1024))
                sent += 64 * 1024
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(client.isClosed)
            #expect(sent > 256 * 1024, "the proxy discarded up to the bound before closing")
            #expect(Date().timeIntervalSince(started) < 6, "closed after 256 KiB, long before the lingering time")
        }
    }

    /// A client whose declared body is refused with 413 and which keeps its write side open after
    /// the proxy's FIN, as an uploader does.
    static func refusedUploader(_ proxy: ProxyHarness) async throws -> (RawHTTPClient, Date) {
        let client = try await RawHTTPClient(port: proxy.port, halfClosure: true)
        try await client.send("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999\r\n\r\n")
        #expect(await client.response()?.status == 413)
        return (client, Date())
    }
}
