import NIOCore
import NIOEmbedded
import ProxyTestSupport
import Testing
@testable import ProxyConfig
@testable import ProxyDataPlane
@testable import ProxyLogging
@testable import ProxySigning

/// A forwarded exchange with its upstream attached, both ends `EmbeddedChannel`s on one embedded
/// loop: the real handler, pool and `UpstreamConnectionHandler`, only the sockets replaced through
/// the pool's dialer seam. Backpressure, stalls and timeouts run in virtual time.
@Suite("forwarded exchange on EmbeddedChannels, upstream attached")
struct ForwardedExchangeEmbeddedTests {
    /// Counts the reads asked of an upstream channel: resuming after backpressure asks for one.
    private final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var reads = 0

        func read(context: ChannelHandlerContext) {
            reads += 1
            context.read()
        }
    }

    /// Opens every upstream connection as an embedded channel on the client's loop.
    private final class EmbeddedDialer: UpstreamDialer {
        let loop: EmbeddedEventLoop
        private(set) var channels: [EmbeddedChannel] = []
        private(set) var counters: [ReadCounter] = []

        init(loop: EmbeddedEventLoop) {
            self.loop = loop
        }

        func dial(
            _ endpoint: UpstreamEndpoint, on eventLoop: any EventLoop,
            initialize: @escaping @Sendable (any Channel) throws -> Void
        ) -> EventLoopFuture<any Channel> {
            let channel = EmbeddedChannel(loop: loop)
            let counter = ReadCounter()
            do {
                try channel.pipeline.syncOperations.addHandler(counter)
                try initialize(channel)
                channels.append(channel)
                counters.append(counter)
                let address = try SocketAddress(ipAddress: endpoint.url.host, port: endpoint.url.port)
                return channel.connect(to: address).map { channel as any Channel }
            } catch {
                return loop.makeFailedFuture(error)
            }
        }
    }

    /// The one pool of the embedded loop, as the engine would give it to a handler on its loop.
    private final class EmbeddedUpstreams: UpstreamPools {
        let pool: UpstreamPool
        init(pool: UpstreamPool) { self.pool = pool }
        func pool(for eventLoop: any EventLoop) -> UpstreamPool { pool }
    }

    private final class Exchange {
        let client = EmbeddedChannel()
        let dialer: EmbeddedDialer
        let log = LogSink(minimumLevel: .error, fileDescriptor: 2)

        init(_ keys: LoadedConfig.Keys = [], limits: ConnectionLimits) throws {
            dialer = EmbeddedDialer(loop: client.embeddedEventLoop)
            let profile = try ProxyHarness.embeddedProfile(keys)
            let runtime = try ProfileRuntime(profile: profile, signer: AuthGatewaySigner(), log: log, limits: limits)
            let upstreams = EmbeddedUpstreams(pool: UpstreamPool(eventLoop: client.embeddedEventLoop, dialer: dialer))
            try client.pipeline.syncOperations.addHandler(ClientConnectionHandler(slot: RuntimeSlot(runtime), upstreams: upstreams))
            try client.connect(to: .init(ipAddress: "127.0.0.1", port: 1)).wait()
        }

        var upstream: EmbeddedChannel? { dialer.channels.last }

        func send(_ text: String) throws {
            try client.writeInbound(ByteBuffer(string: text))
        }

        /// What the upstream answers, as its bytes arrive.
        func upstreamSends(_ text: String) throws {
            try upstream?.writeInbound(ByteBuffer(string: text))
        }

        /// Everything written to `channel` since the last call.
        func written(on channel: EmbeddedChannel?) throws -> String {
            var text = ""
            while let buffer = try channel?.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
            return text
        }

        func clientWritability(_ isWritable: Bool) {
            client.isWritable = isWritable
            client.pipeline.fireChannelWritabilityChanged()
        }

        func advance(_ amount: TimeAmount) {
            client.embeddedEventLoop.advanceTime(by: amount)
        }

        func finish() {
            for channel in dialer.channels { _ = try? channel.finish() }
            _ = try? client.finish()
            log.shutdown()
        }
    }

    private static let call = #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search","arguments":{}}}"#
    private static let request = "POST /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\naccept: application/json, text/event-stream\r\n"
        + "content-type: application/json\r\ncontent-length: \(call.utf8.count)\r\n\r\n\(call)"

    private static func chunk(_ text: String) -> String {
        String(text.utf8.count, radix: 16) + "\r\n" + text + "\r\n"
    }

    @Test("a client that stops reading pauses the upstream, reading again resumes it, and a stall past the limit ends the exchange")
    func backpressureAndStall() throws {
        let exchange = try Exchange(limits: ConnectionLimits(stalledClientTimeout: .seconds(3), checkInterval: .seconds(1)))
        defer { exchange.finish() }
        try exchange.send(Self.request)
        let upstream = try #require(exchange.upstream, "the pool dialed the upstream")
        let forwarded = try exchange.written(on: upstream)
        #expect(forwarded.hasPrefix("POST /up HTTP/1.1\r\n"), "\(forwarded)")
        #expect(forwarded.contains("x-signature: ") && forwarded.hasSuffix("\r\n\r\n" + Self.call), "signed, body intact")

        try exchange.upstreamSends("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
                                   + Self.chunk("data: one\n\n"))
        let opening = try exchange.written(on: exchange.client)
        #expect(opening.hasPrefix("HTTP/1.1 200 OK\r\n") && opening.contains("data: one\n\n"), "\(opening)")

        // The client's socket fills: the upstream is paused, and the connection outlives a short stall.
        exchange.clientWritability(false)
        let readsWhilePaused = exchange.dialer.counters[0].reads
        exchange.advance(.seconds(2))
        #expect(exchange.client.isActive && upstream.isActive, "2 s unwritable is under the 3 s limit")
        exchange.clientWritability(true)
        #expect(exchange.dialer.counters[0].reads == readsWhilePaused + 1, "writable again: the upstream is asked to read")
        try exchange.upstreamSends(Self.chunk("data: two\n\n"))
        #expect(try exchange.written(on: exchange.client).contains("data: two\n\n"))

        // Stalled past the limit: the exchange is cut at the next check, both ends closed.
        exchange.clientWritability(false)
        exchange.advance(.seconds(3))
        #expect(exchange.client.isActive, "exactly 3 s is not past the limit")
        exchange.advance(.seconds(1))
        #expect(!exchange.client.isActive, "the stalled client is closed")
        #expect(!upstream.isActive, "its upstream exchange is abandoned, not pooled half-read")
    }

    @Test("a silent upstream: 504 after request_timeout in virtual time, its connection closed; the next request dials anew")
    func requestTimeout() throws {
        let exchange = try Exchange([("request_timeout", "5s")], limits: ConnectionLimits(checkInterval: .seconds(1)))
        defer { exchange.finish() }
        try exchange.send(Self.request)
        let silent = try #require(exchange.upstream)
        #expect(try exchange.written(on: silent).hasPrefix("POST /up HTTP/1.1\r\n"))
        exchange.advance(.seconds(5))
        #expect(try exchange.written(on: exchange.client) == "", "nothing before the timeout has passed")
        exchange.advance(.milliseconds(500))
        let answer = try exchange.written(on: exchange.client)
        #expect(answer.hasPrefix("HTTP/1.1 504 "), "\(answer)")
        #expect(answer.contains(#""jsonrpc":"2.0""#) && answer.contains(#""error""#), "a JSON-RPC error body")
        #expect(!silent.isActive, "a connection with an unanswered request is never reused")
        #expect(exchange.client.isActive, "the client's connection stays open for its next request")

        try exchange.send(Self.request)
        #expect(exchange.dialer.channels.count == 2)
        try exchange.upstreamSends("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}")
        let second = try exchange.written(on: exchange.client)
        #expect(second.hasPrefix("HTTP/1.1 200 OK\r\n") && second.hasSuffix("\r\n\r\n{}"), "\(second)")
    }
}
