import NIOCore
import NIOEmbedded
import ProxyTestSupport
import Testing
@testable import ProxyConfig
@testable import ProxyDataPlane
@testable import ProxyLogging
@testable import ProxySigning

/// The shell around the state machine, on an `EmbeddedChannel`: bytes in, bytes out, virtual time.
/// Only paths that never reach an upstream are here; forwarding is proven on real sockets.
@Suite("ClientConnectionHandler on an EmbeddedChannel")
struct ClientConnectionHandlerEmbeddedTests {
    /// A handler for a profile whose upstream is never contacted, in a fresh embedded channel.
    private final class Shell {
        let channel = EmbeddedChannel()
        let engine = ForwardingEngine(threads: 1)
        let log = LogSink(minimumLevel: .error, fileDescriptor: 2)

        /// `keys`: the profile's YAML keys besides a never-contacted upstream and its credential.
        init(_ keys: LoadedConfig.Keys = []) throws {
            let profile = try ProxyHarness.embeddedProfile(keys)
            let runtime = try ProfileRuntime(profile: profile, signer: AuthGatewaySigner(), log: log)
            try channel.pipeline.syncOperations.addHandler(ClientConnectionHandler(slot: RuntimeSlot(runtime), upstreams: engine))
            try channel.connect(to: .init(ipAddress: "127.0.0.1", port: 1)).wait()
        }

        func send(_ text: String) throws {
            try channel.writeInbound(ByteBuffer(string: text))
        }

        /// Everything the handler wrote since the last call.
        func written() throws -> String {
            var text = ""
            while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
            return text
        }

        /// Synchronous like every test here: an `EmbeddedChannel` must stay on the thread that made it.
        func finish() throws {
            _ = try? channel.finish()
            try engine.group.syncShutdownGracefully()
            log.shutdown()
        }
    }

    private static let ping = #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#

    @Test("pipelined refused requests are answered in order on a connection that stays open")
    func pipelinedRefusals() throws {
        let shell = try Shell()
        try shell.send("POST /elsewhere HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 2\r\n\r\n{}"
                       + "GET /.well-known/oauth-authorization-server HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n"
                       + "POST /mcp HTTP/1.1\r\nhost: evil.example\r\ncontent-length: 0\r\n\r\n")
        let written = try shell.written()
        let statuses = written.components(separatedBy: "HTTP/1.1 ").dropFirst().map { String($0.prefix(3)) }
        #expect(statuses == ["404", "404", "403"])
        #expect(written.contains("no MCP endpoint at this path") && written.contains("OAuth discovery") && written.contains("DNS rebinding"))
        #expect(!written.contains("connection: close"))
        #expect(shell.channel.isActive)
        try shell.finish()
    }

    @Test("a body that is not JSON-RPC gets a JSON-RPC parse error, and a HEAD answer has no body")
    func bodyCheckAndHead() throws {
        let shell = try Shell()
        try shell.send("POST /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 5\r\n\r\n{nope")
        let parseError = try shell.written()
        #expect(parseError.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(parseError.contains(#""code":-32700"#))
        try shell.send("HEAD /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
        let head = try shell.written()
        #expect(head.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n") && head.contains("allow: "))
        #expect(head.hasSuffix("\r\n\r\n"), "the head only")
        try shell.finish()
    }

    @Test("an oversized body is answered 413 before it arrives, without a 100 Continue")
    func oversizedBody() throws {
        let shell = try Shell()
        try shell.send("POST /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\nexpect: 100-continue\r\ncontent-length: 99999999\r\n\r\n")
        let written = try shell.written()
        #expect(written.hasPrefix("HTTP/1.1 413 Payload Too Large\r\n"))
        #expect(written.contains("connection: close"))
        #expect(!written.contains("100 Continue"))
        try shell.finish()
    }

    @Test("malformed framing is answered 400 and the connection closes")
    func malformed() throws {
        let shell = try Shell()
        try shell.send("POST /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nxx")
        #expect(try shell.written().hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(!shell.channel.isActive)
        try shell.finish()
    }

    @Test("the local heartbeat stream: a comment at once, one per interval, a clean end at shutdown")
    func heartbeatStream() throws {
        let shell = try Shell([("upstream_streaming", "off"), ("heartbeat_interval", "1s")])
        try shell.send("GET /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\naccept: text/event-stream\r\n\r\n")
        let opening = try shell.written()
        #expect(opening.hasPrefix("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"))
        #expect(opening.hasSuffix("\r\n\r\nd\r\n: heartbeat\n\n\r\n"))
        shell.channel.embeddedEventLoop.advanceTime(by: .milliseconds(999))
        #expect(try shell.written() == "")
        shell.channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(try shell.written() == "d\r\n: heartbeat\n\n\r\n")
        shell.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(try shell.written() == "0\r\n\r\n")
        #expect(!shell.channel.isActive)
        try shell.finish()
    }

    @Test("an idle connection closes once requestHeadTimeout has passed, not before")
    func idleTimeout() throws {
        let shell = try Shell()
        let limits = ConnectionLimits()
        shell.channel.embeddedEventLoop.advanceTime(by: limits.requestHeadTimeout)
        #expect(shell.channel.isActive)
        shell.channel.embeddedEventLoop.advanceTime(by: limits.checkInterval)
        #expect(!shell.channel.isActive)
        try shell.finish()
    }

    @Test("a request body that stops arriving is answered 408 after requestBodyTimeout")
    func bodyTimeout() throws {
        let shell = try Shell()
        try shell.send("POST /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: \(Self.ping.utf8.count)\r\n\r\n{")
        let limits = ConnectionLimits()
        shell.channel.embeddedEventLoop.advanceTime(by: limits.requestBodyTimeout)
        #expect(try shell.written() == "")
        shell.channel.embeddedEventLoop.advanceTime(by: limits.checkInterval)
        #expect(try shell.written().hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        try shell.finish()
    }
}
