import Crypto
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A real HTTP upstream on 127.0.0.1 that checks auth-gateway signatures with its own HMAC code
/// (not the proxy's signer), records what it receives and behaves as the path asks:
/// `/sse` streams events with delays, `/status/NNN` answers that status, `/slow` never answers,
/// `/cut` closes mid-body, `/big` sends 1 MiB; anything else echoes what it received.
public final class TestUpstream: Sendable {
    public struct Received: Sendable {
        public var method: String
        public var target: String
        public var headers: [(String, String)]
        public var body: String
        public var signatureValid: Bool
        /// Which of the accepted secrets the signature verified with (rotation tests).
        public var signedWith: String?
    }

    public let secret: String
    public let channel: any Channel
    private let group: MultiThreadedEventLoopGroup
    private let log = NIOLockedValueBox<[Received]>([])
    private let connections = NIOLockedValueBox(0)
    private let closedConnections = NIOLockedValueBox(0)
    private let streamed = NIOLockedValueBox(0)
    /// Bytes of `/rpc-firehose` event streams handed to the kernel so far.
    public var streamedBytes: Int { streamed.withLockedValue { $0 } }
    private let stopped = NIOLockedValueBox(false)
    /// Connections the proxy has closed (or that ended) so far.
    public var closedConnectionCount: Int { closedConnections.withLockedValue { $0 } }
    /// TCP connections accepted so far: tells pooled reuse from a connection per request.
    public var connectionCount: Int { connections.withLockedValue { $0 } }
    /// GET on any path answers 405 when set (an upstream that cannot stream).
    let refusesGET: Bool

    public var port: Int { channel.localAddress!.port! }
    public var received: [Received] { log.withLockedValue { $0 } }

    /// - Parameter certificate: serve HTTPS with this certificate instead of plain HTTP.
    /// - Parameter alsoAccepting: further secrets a signature may verify with (a key rotation).
    /// - Parameter checksSignature: false for an upstream that takes other credentials (bearer,
    ///   API-key header, none): requests are recorded and answered whatever they carry.
    /// - Parameter requiringClientCertificate: with `certificate`, demand a client certificate
    ///   that chains to this one (mutual TLS).
    public init(secret: String, refusesGET: Bool = false, certificate: TestCertificate? = nil, alsoAccepting: [String] = [],
                checksSignature: Bool = true, requiringClientCertificate: TestCertificate? = nil) async throws {
        self.secret = secret
        self.refusesGET = refusesGET
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let log = self.log
        let connections = self.connections
        let closedConnections = self.closedConnections
        let streamed = self.streamed
        let tls = try certificate.map { certificate in
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(certificate.certificatePath).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: certificate.privateKeyPath, format: .pem)))
            if let client = requiringClientCertificate {
                configuration.certificateVerification = .noHostnameVerification
                configuration.trustRoots = .file(client.certificatePath)
            }
            return try NIOSSLContext(configuration: configuration)
        }
        channel = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                connections.withLockedValue { $0 += 1 }
                channel.closeFuture.whenComplete { _ in closedConnections.withLockedValue { $0 += 1 } }
                return channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(UpstreamHandler(secrets: [secret] + alsoAccepting, refusesGET: refusesGET, checksSignature: checksSignature, log: log, streamed: streamed))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    /// Closes the listener and every connection; a second call does nothing (its loop is gone).
    public func stop() async {
        guard stopped.withLockedValue({ stopped in defer { stopped = true }; return !stopped }) else { return }
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    /// The check a server author would write from docs/signing.md.
    /// How `/tools-<framing>` answers a `tools/list` request.
    public enum ToolListFraming: String, CaseIterable, Sendable {
        case json, chunked, sse
    }

    /// `/tools-decoy-<kind>`: an event stream that answers `tools/list` twice, a decoy first (a
    /// client skips it) and then the real list, or one the filter must refuse to read.
    public enum ToolListDecoy: String, CaseIterable, Sendable {
        /// The decoy's event type is not `message`: clients ignore the event.
        case eventFoo = "event-foo"
        /// Event types are case-sensitive: `Message` is not `message` either.
        case eventMessageCapitalised = "event-Message"
        /// No `jsonrpc` member: the SDKs reject the message.
        case noJSONRPC = "no-jsonrpc"
        case jsonRPC10 = "jsonrpc-1.0"
        /// The decoy wrapped in an array.
        case batch
        /// The stream starts with a UTF-8 byte order mark, which clients strip.
        case byteOrderMark = "bom"
        /// `Content-Encoding: gzip` on the stream (the proxy never asked for it).
        case gzip
        /// A second answer to the same id in one event stream, as a plain second event.
        case secondAnswer = "second-answer"

        public func response(id: String) -> (headers: [(String, String)], body: String) {
            let real = TestUpstream.toolListResponse(id: id)
            let decoy = #"{"jsonrpc":"2.0","id":\#(id),"result":{"tools":[{"name":"search_issues","inputSchema":{"type":"object"}}]}}"#
            var headers = [("content-type", "text/event-stream")]
            let body: String
            switch self {
            case .eventFoo: body = "event: foo\ndata: \(decoy)\n\nevent: message\ndata: \(real)\n\n"
            case .eventMessageCapitalised: body = "event: Message\ndata: \(decoy)\n\ndata: \(real)\n\n"
            case .noJSONRPC: body = "data: \(decoy.replacingOccurrences(of: #""jsonrpc":"2.0","#, with: ""))\n\ndata: \(real)\n\n"
            case .jsonRPC10: body = "data: \(decoy.replacingOccurrences(of: "2.0", with: "1.0"))\n\ndata: \(real)\n\n"
            case .batch: body = "data: [\(decoy)]\n\ndata: \(real)\n\n"
            case .byteOrderMark: body = "\u{FEFF}data: \(real)\n\n"
            case .gzip:
                headers.append(("content-encoding", "gzip"))
                body = "data: \(real)\n\n"
            case .secondAnswer: body = "data: \(decoy)\n\ndata: \(real)\n\n"
            }
            return (headers, body)
        }
    }

    /// The `tools/list` response `/tools-<framing>` sends: four tools, two of them with `delete`
    /// in their name, descriptions with escapes and non-ASCII text, and a `nextCursor`.
    public static func toolListResponse(id: String) -> String {
        let tools = ["search_issues", "delete_repo", "get_issue", "bulk_delete_labels"].map { name in
            #"{"name":"\#(name)","description":"Runs \#(name) \u2014 \"quoted\", caf\u00e9, a\/b","inputSchema":{"type":"object","properties":{}}}"#
        }
        return #"{"jsonrpc":"2.0","id":\#(id),"result":{"tools":[\#(tools.joined(separator: ","))],"nextCursor":"page-2"}}"#
    }

    public static func expectedSignature(secret: String, method: String, target: String, timestamp: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(method)\n\(target)\n\(timestamp)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return mac.map { String(format: "%02x", $0) }.joined()
    }
}

private final class UpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let secrets: [String]
    let refusesGET: Bool
    let checksSignature: Bool
    let log: NIOLockedValueBox<[TestUpstream.Received]>
    var head: HTTPRequestHead?
    var body = ""

    let streamed: NIOLockedValueBox<Int>

    init(secrets: [String], refusesGET: Bool, checksSignature: Bool, log: NIOLockedValueBox<[TestUpstream.Received]>, streamed: NIOLockedValueBox<Int>) {
        self.streamed = streamed
        self.secrets = secrets
        self.checksSignature = checksSignature
        self.refusesGET = refusesGET
        self.log = log
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = ""
        case .body(let buffer):
            body += String(buffer: buffer)
        case .end:
            guard let head else { return }
            let timestamp = head.headers.first(name: "x-timestamp") ?? ""
            let signedWith = head.headers["x-signature"].count == 1 ? secrets.first { secret in
                head.headers.first(name: "x-signature")
                    == TestUpstream.expectedSignature(secret: secret, method: head.method.rawValue, target: head.uri, timestamp: timestamp)
            } : nil
            let received = TestUpstream.Received(method: head.method.rawValue, target: head.uri, headers: head.headers.map { ($0.name, $0.value) },
                                                 body: body, signatureValid: signedWith != nil, signedWith: signedWith)
            log.withLockedValue { $0.append(received) }
            respond(context: context, head: head, received: received)
        }
    }

    private func write(_ context: ChannelHandlerContext, status: HTTPResponseStatus, headers: [(String, String)], body: String?) {
        var httpHeaders = HTTPHeaders(headers)
        if let body { httpHeaders.replaceOrAdd(name: "content-length", value: String(body.utf8.count)) }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: httpHeaders))), promise: nil)
        if let body { context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    private func respond(context: ChannelHandlerContext, head: HTTPRequestHead, received: TestUpstream.Received) {
        let path = String(head.uri.split(separator: "?").first ?? "")
        if checksSignature, !received.signatureValid {
            return write(context, status: .unauthorized, headers: [("content-type", "application/json")], body: #"{"error":"bad signature"}"#)
        }
        // `/refuse-bearer/<token>`: an OAuth resource server that no longer accepts that one access token.
        if let range = path.range(of: "/refuse-bearer/"), head.headers["authorization"].first == "Bearer " + path[range.upperBound...] {
            return write(context, status: .unauthorized, headers: [("content-type", "application/json"),
                         ("www-authenticate", #"Bearer error="invalid_token", resource_metadata="http://127.0.0.1/.well-known/oauth-protected-resource""#)],
                         body: #"{"error":"invalid_token"}"#)
        }
        // `/insufficient-scope/<scopes>`: a resource server that wants more scopes (+ for spaces).
        if let range = path.range(of: "/insufficient-scope/") {
            let scope = path[range.upperBound...].replacingOccurrences(of: "+", with: " ")
            return write(context, status: .forbidden, headers: [("content-type", "application/json"),
                         ("www-authenticate", #"Bearer error="insufficient_scope", scope="\#(scope)""#)], body: #"{"error":"insufficient_scope"}"#)
        }
        if head.method == .GET, refusesGET {
            return write(context, status: .methodNotAllowed, headers: [("allow", "POST")], body: "no streams here")
        }
        if let code = path.split(separator: "/").last.flatMap({ Int($0) }), path.contains("/status/") {
            let body = code == 500 ? String(repeating: "E", count: 2000) : #"{"error":"status \#(code)"}"#
            return write(context, status: HTTPResponseStatus(statusCode: code), headers: [("content-type", "application/json"), ("www-authenticate", "HMAC"), ("x-multi", "a"), ("x-multi", "b")], body: body)
        }
        if path.hasSuffix("/rpc-firehose") { return firehose(context) }
        if path.hasSuffix("/rpc-streaming"), head.method == .GET { return serverStream(context, head: head) }
        // A GET stream that replays a tools/list response, as a server resuming a broken stream does.
        if path.hasSuffix("/rpc-replaying"), head.method == .GET { return toolList(context, received: received, framing: .sse) }
        if path.hasSuffix("/rpc") || path.hasSuffix("/rpc-expiring") || path.hasSuffix("/rpc-streaming") || path.hasSuffix("/rpc-replaying") {
            return rpc(context, head: head, received: received, expiring: path.hasSuffix("/rpc-expiring"))
        }
        if path.hasSuffix("/tools-twice") {
            // `result` named twice: the first holds only allowed tools, the last every tool.
            let request = (try? JSONSerialization.jsonObject(with: Data(received.body.utf8))) as? [String: Any]
            let id = (request?["id"] as? String).map { "\"\($0)\"" } ?? "null"
            let body = #"{"jsonrpc":"2.0","id":\#(id),"result":{"tools":[{"name":"search_issues"}]},"# + TestUpstream.toolListResponse(id: id).dropFirst(#"{"jsonrpc":"2.0","id":\#(id),"#.count)
            return write(context, status: .ok, headers: [("content-type", "application/json")], body: String(body))
        }
        if let decoy = TestUpstream.ToolListDecoy.allCases.first(where: { path.hasSuffix("/tools-decoy-\($0.rawValue)") }) {
            let request = (try? JSONSerialization.jsonObject(with: Data(received.body.utf8))) as? [String: Any]
            let id = request?["id"].flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.fragmentsAllowed]) }
            let (headers, body) = decoy.response(id: id.map { String(decoding: $0, as: UTF8.self) } ?? "null")
            return write(context, status: .ok, headers: headers, body: body)
        }
        if path.hasSuffix("/echo-401") {
            // A debugging gateway's refusal that echoes the request's headers back.
            let lines = received.headers.map { "\($0.0): \($0.1)" }.joined(separator: "\n")
            return write(context, status: .unauthorized, headers: [("content-type", "text/plain")], body: "refused; you sent:\n" + lines)
        }
        if let framing = TestUpstream.ToolListFraming.allCases.first(where: { path.hasSuffix("/tools-\($0.rawValue)") }) {
            return toolList(context, received: received, framing: framing)
        }
        if path.hasSuffix("/slow") { return }
        if path.hasSuffix("/delay") {
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .milliseconds(400)) {
                let (handler, context) = bound.value
                handler.write(context, status: .ok, headers: [("content-type", "application/json")], body: #"{"delayed":true}"#)
            }
            return
        }
        if let raw = Self.rawResponses.first(where: { path.hasSuffix($0.key) })?.value {
            // Below the HTTP handlers, so framing the encoder would never produce can be tested.
            let encoder = try! context.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self)
            encoder.writeAndFlush(NIOAny(ByteBuffer(string: raw.bytes)), promise: nil)
            if raw.close { context.close(promise: nil) }
            return
        }
        if path.hasSuffix("/garbage") {
            // Below the HTTP handlers: raw bytes that are no HTTP response at all.
            let encoder = try! context.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self)
            encoder.writeAndFlush(NIOAny(ByteBuffer(string: "HTTP/1.1 twohundred OK\r\nno colon here\r\n\r\n")), promise: nil)
            return
        }
        if path.hasSuffix("/sse") { return streamEvents(context: context, count: 3, delay: .milliseconds(300), cut: false) }
        if path.hasSuffix("/sse-cut") { return streamEvents(context: context, count: 1, delay: .milliseconds(100), cut: true) }
        if path.hasSuffix("/cut") {
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: ["content-length": "100"]))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "partial")))), promise: nil)
            context.close(promise: nil)
            return
        }
        if path.hasSuffix("/big") {
            return write(context, status: .ok, headers: [("content-type", "application/octet-stream")], body: String(repeating: "x", count: 1 << 20))
        }
        if path.hasSuffix("/no-content") { return write(context, status: .noContent, headers: [], body: nil) }
        let echo: [String: Any] = [
            "method": received.method, "target": received.target, "body": received.body,
            "headers": received.headers.map { [$0.0.lowercased(), $0.1] },
        ]
        let json = String(decoding: try! JSONSerialization.data(withJSONObject: echo, options: [.sortedKeys]), as: UTF8.self)
        write(context, status: .ok, headers: [("content-type", "application/json"), ("mcp-session-id", "session-1"), ("connection", "x-upstream-private"), ("x-upstream-private", "1")], body: json)
    }

    /// A minimal JSON-RPC endpoint for the stdio bridge's tests: answers each request with its
    /// method as the result (initialize also assigns the session `rpc-session`), never answers
    /// `slow`, takes notifications and responses with 202, refuses GET with 405. With `expiring`,
    /// any request inside a session gets 404, as from a server that forgot the session.
    private func rpc(_ context: ChannelHandlerContext, head: HTTPRequestHead, received: TestUpstream.Received, expiring: Bool) {
        if head.method == .GET { return write(context, status: .methodNotAllowed, headers: [], body: nil) }
        if head.method == .DELETE { return write(context, status: .ok, headers: [], body: nil) }
        guard let message = try? JSONSerialization.jsonObject(with: Data(received.body.utf8)) as? [String: Any],
              let method = message["method"] as? String, let id = message["id"] else {
            return write(context, status: .accepted, headers: [], body: nil)
        }
        if method == "slow" { return }
        if expiring, head.headers["mcp-session-id"].first != nil {
            return write(context, status: .notFound, headers: [("content-type", "application/json")], body: #"{"error":"unknown session"}"#)
        }
        var result: [String: Any] = ["method": method]
        var headers = [("content-type", "application/json")]
        if method == "tools/list", head.headers["mcp-protocol-version"].first == "2026-07-28" {
            // A 2026-07-28 list: one argument mirrored into Mcp-Param-Region, one tool whose
            // annotation sits off the properties chain (a client must drop it).
            result["tools"] = [
                ["name": "route", "inputSchema": ["type": "object", "properties": ["region": ["type": "string", "x-mcp-header": "Region"]]]],
                ["name": "broken", "inputSchema": ["type": "object", "x-mcp-header": "Root"]],
            ]
        }
        if method == "tools/call", let name = (message["params"] as? [String: Any])?["name"] as? String {
            // For the audit trail: a tool that reports a failure, and one the server does not know.
            if name == "unknown_tool" {
                let error = #"{"jsonrpc":"2.0","id":\#(id),"error":{"code":-32602,"message":"unknown tool"}}"#
                return write(context, status: .ok, headers: headers, body: error)
            }
            result["content"] = [["type": "text", "text": "called \(name)"]]
            result["isError"] = name.hasPrefix("failing")
        }
        if method == "initialize" {
            result["protocolVersion"] = "2025-06-18"
            headers.append(("mcp-session-id", "rpc-session"))
        }
        let body = try! JSONSerialization.data(withJSONObject: ["jsonrpc": "2.0", "id": id, "result": result], options: [.sortedKeys])
        write(context, status: .ok, headers: headers, body: String(decoding: body, as: UTF8.self))
    }

    /// A `tools/list` response for the tool policy's tests, written in 23-byte pieces 3 ms apart
    /// so that the proxy reads it split across many TCP reads. The SSE form has a priming event,
    /// a comment and a progress notification before the response, CRLF line ends, and the
    /// response's JSON split over two `data` lines.
    private func toolList(_ context: ChannelHandlerContext, received: TestUpstream.Received, framing: TestUpstream.ToolListFraming) {
        let request = (try? JSONSerialization.jsonObject(with: Data(received.body.utf8))) as? [String: Any]
        let id = request?["id"].flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.fragmentsAllowed]) }
        // A GET stream replays the response to an earlier POST's request 3, as on SSE resumption.
        let message = TestUpstream.toolListResponse(id: received.method == "GET" ? "3" : id.map { String(decoding: $0, as: UTF8.self) } ?? "null")
        var headers: HTTPHeaders = ["content-type": framing == .sse ? "text/event-stream" : "application/json"]
        let body: String
        switch framing {
        case .json:
            body = message
            headers.add(name: "content-length", value: String(body.utf8.count))
        case .chunked:
            body = message
        case .sse:
            let split = message.range(of: #""result":"#)!.lowerBound
            body = "id: prime-1\r\ndata:\r\n\r\n: a comment\r\n"
                + "event: message\r\ndata: " + #"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1}}"# + "\r\n\r\n"
                + "event: message\r\nid: ev-2\r\ndata: " + message[..<split] + "\r\ndata: " + message[split...] + "\r\n\r\n"
        }
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        let bytes = Array(body.utf8)
        let pieces = stride(from: 0, to: bytes.count, by: 23).map { Array(bytes[$0..<min($0 + 23, bytes.count)]) }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        for (index, piece) in pieces.enumerated() {
            context.eventLoop.scheduleTask(in: .milliseconds(3 * Int64(index + 1))) {
                let (handler, context) = bound.value
                context.writeAndFlush(handler.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: piece)))), promise: nil)
            }
        }
        context.eventLoop.scheduleTask(in: .milliseconds(3 * Int64(pieces.count + 1))) {
            let (handler, context) = bound.value
            context.writeAndFlush(handler.wrapOutboundOut(.end(nil)), promise: nil)
        }
    }

    /// A GET stream of server-initiated messages that drops after two events, numbered on from
    /// the `Last-Event-ID` the client sends, so a test can see the reconnect resume.
    private func serverStream(_ context: ChannelHandlerContext, head: HTTPRequestHead) {
        let first = head.headers["last-event-id"].first.flatMap { Int($0) }.map { $0 + 1 } ?? 1
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: ["content-type": "text/event-stream", "transfer-encoding": "chunked"]))), promise: nil)
        for id in first...(first + 1) {
            let event = #"id: \#(id)"# + "\n" + #"data: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"event \#(id)"}}"# + "\n\n"
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: event)))), promise: nil)
        }
        context.flush()
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .milliseconds(50)) { bound.value.close(promise: nil) }
    }

    /// An event stream of 64 KiB notifications written as fast as the connection takes them (each
    /// write waits for the previous one to reach the kernel), up to 256 MiB: how far it gets shows
    /// whether the reader applies backpressure.
    private func firehose(_ context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: ["content-type": "text/event-stream", "transfer-encoding": "chunked"]))), promise: nil)
        let event = ByteBuffer(string: #"data: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":""# + String(repeating: "x", count: 64 * 1024) + "\"}}\n\n")
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let streamed = self.streamed
        func next() {
            let (handler, context) = bound.value
            guard context.channel.isActive, streamed.withLockedValue({ $0 }) < 256 << 20 else { return }
            context.writeAndFlush(handler.wrapOutboundOut(.body(.byteBuffer(event)))).assumeIsolated().whenSuccess {
                streamed.withLockedValue { $0 += event.readableBytes }
                next()
            }
        }
        next()
    }

    /// Responses written as raw bytes: interim 1xx heads, close-delimited bodies, 304s. The
    /// connection closes after each, since they bypass the pipelining handler.
    static let rawResponses: [String: (bytes: String, close: Bool)] = [
        "/early-hints": ("HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}", true),
        "/close-delimited": ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"until\":\"close\"}", true),
        "/not-modified": ("HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n", true),
        "/chunked-trailer": ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\nX-Trailer: t\r\n\r\n", true),
        // A bare LF inside a field: relayed as bytes, it would plant a header line of its own.
        "/split-header": ("HTTP/1.1 200 OK\r\nX-Note: a\nSet-Cookie: planted=1\r\nContent-Length: 2\r\n\r\n{}", true),
    ]

    private func streamEvents(context: ChannelHandlerContext, count: Int, delay: TimeAmount, cut: Bool) {
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: ["content-type": "text/event-stream", "transfer-encoding": "chunked"]))), promise: nil)
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        for index in 0..<count {
            loop.scheduleTask(in: delay * Int64(index + 1)) {
                let (handler, context) = bound.value
                context.writeAndFlush(handler.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "id: \(index)\ndata: {\"n\":\(index)}\n\n")))), promise: nil)
            }
        }
        loop.scheduleTask(in: delay * Int64(count + 1)) {
            let (handler, context) = bound.value
            if cut {
                context.close(promise: nil)
            } else {
                context.writeAndFlush(handler.wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
