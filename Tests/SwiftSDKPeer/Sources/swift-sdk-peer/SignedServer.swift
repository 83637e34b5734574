import Crypto
import Foundation
import MCP
import NIOCore
import NIOHTTP1
import NIOPosix

/// An MCP server built on the SDK's `StatelessHTTPServerTransport` (JSON answers, no session),
/// served over SwiftNIO, behind an auth-gateway signature check written from docs/signing.md:
/// a request without `X-Api-Key-Id`, a fresh `X-Timestamp` and the right `X-Signature` gets 401
/// before the SDK sees it. Tools: `echo` (its `text`) and `big` (`kib` KiB of text).
struct SignedServer {
    let port: Int
    let keyID: String
    let secret: String

    func run() async throws {
        let transport = StatelessHTTPServerTransport()
        let server = Server(name: "swift-sdk-server", version: "1.0.0", capabilities: .init(tools: .init(listChanged: false)))
        await server.withMethodHandler(ListTools.self) { _ in
            .init(tools: [
                Tool(name: "echo", description: "Returns its text", inputSchema: .object(["type": "object", "properties": ["text": ["type": "string"]]])),
                Tool(name: "big", description: "Returns kib KiB of text", inputSchema: .object(["type": "object", "properties": ["kib": ["type": "integer"]]])),
            ])
        }
        await server.withMethodHandler(CallTool.self) { params in
            switch params.name {
            case "echo":
                return .init(content: [.text(text: params.arguments?["text"]?.stringValue ?? "", annotations: nil, _meta: nil)], isError: false)
            case "big":
                let kib = params.arguments?["kib"]?.intValue ?? Int(params.arguments?["kib"]?.doubleValue ?? 1)
                return .init(content: [.text(text: String(repeating: "x", count: kib * 1024), annotations: nil, _meta: nil)], isError: false)
            default:
                return .init(content: [.text(text: "no tool \(params.name)", annotations: nil, _meta: nil)], isError: true)
            }
        }
        try await server.start(transport: transport)

        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
        let check = SignatureCheck(keyID: keyID, secret: secret)
        try await listener.executeThenClose { connections in
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in connections {
                    group.addTask { try? await Self.serve(connection, transport: transport, check: check) }
                }
            }
        }
    }

    /// One connection: each request read whole, checked, handed to the transport, answered.
    private static func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>,
                              transport: StatelessHTTPServerTransport, check: SignatureCheck) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let requestHead):
                    head = requestHead
                    body.clear()
                case .body(var bytes):
                    body.writeBuffer(&bytes)
                case .end:
                    guard let head else { continue }
                    let response: HTTPResponse
                    if check.accepts(head) {
                        var headers: [String: String] = [:]
                        for (name, value) in head.headers { headers[name] = value }
                        let request = HTTPRequest(method: head.method.rawValue, headers: headers,
                                                  body: body.readableBytes > 0 ? Data(body.readableBytesView) : nil, path: head.uri)
                        response = await transport.handleRequest(request)
                    } else {
                        response = .error(statusCode: 401, MCPError.invalidRequest("invalid signature"))
                    }
                    try await write(response, to: outbound, keepAlive: head.isKeepAlive)
                }
            }
        }
    }

    private static func write(_ response: HTTPResponse, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>, keepAlive: Bool) async throws {
        var headers = HTTPHeaders()
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        if !keepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
        if case .stream(let chunks, _) = response {
            try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)))
            for try await chunk in chunks { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: chunk)))) }
            try await outbound.write(.end(nil))
            return
        }
        let body = response.bodyData ?? Data()
        headers.replaceOrAdd(name: "content-length", value: String(body.count))
        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: response.statusCode), headers: headers)))
        if !body.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
        try await outbound.write(.end(nil))
    }
}

/// HMAC-SHA256 over `METHOD\nTARGET\nTIMESTAMP`, hex, with the timestamp within 300 s.
struct SignatureCheck: Sendable {
    let keyID: String
    let secret: String

    func accepts(_ head: HTTPRequestHead) -> Bool {
        guard head.headers.first(name: "x-api-key-id") == keyID,
              let timestamp = head.headers.first(name: "x-timestamp"), let seconds = Int(timestamp),
              abs(Int(Date().timeIntervalSince1970) - seconds) < 300,
              let signature = head.headers.first(name: "x-signature") else { return false }
        let key = SymmetricKey(data: Data(secret.utf8))
        let expected = HMAC<SHA256>.authenticationCode(for: Data("\(head.method.rawValue)\n\(head.uri)\n\(timestamp)".utf8), using: key)
        let hex = expected.map { String(format: "%02x", $0) }.joined()
        // Constant time, as a gateway compares.
        guard hex.utf8.count == signature.utf8.count else { return false }
        return zip(hex.utf8, signature.utf8).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
