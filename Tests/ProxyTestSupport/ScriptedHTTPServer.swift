import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A plain HTTP server on 127.0.0.1 that answers each request as `answer` says and records what it
/// received: the other side of the proxy's control-plane calls (a credential endpoint, STS) in
/// tests that check what the proxy asks and how it reads the answer.
public final class ScriptedHTTPServer: Sendable {
    public struct Request: Sendable {
        public var method: String
        public var target: String
        public var headers: [(name: String, value: String)]
        public var body: String

        public func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name }?.value }
    }

    public struct Answer: Sendable {
        public var status: Int
        public var contentType: String
        public var body: String

        public init(status: Int = 200, contentType: String = "application/json", body: String) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }
    }

    private let channel: any Channel
    private let recorded = NIOLockedValueBox<[Request]>([])
    public var port: Int { channel.localAddress!.port! }
    public var received: [Request] { recorded.withLockedValue { $0 } }

    public init(_ answer: @escaping @Sendable (Request) -> Answer) async throws {
        let recorded = self.recorded
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(ScriptedHandler(answer: answer, recorded: recorded))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    public func stop() async {
        try? await channel.close()
    }
}

private final class ScriptedHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let answer: @Sendable (ScriptedHTTPServer.Request) -> ScriptedHTTPServer.Answer
    let recorded: NIOLockedValueBox<[ScriptedHTTPServer.Request]>
    var head: HTTPRequestHead?
    var body = ""

    init(answer: @escaping @Sendable (ScriptedHTTPServer.Request) -> ScriptedHTTPServer.Answer, recorded: NIOLockedValueBox<[ScriptedHTTPServer.Request]>) {
        self.answer = answer
        self.recorded = recorded
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
            let request = ScriptedHTTPServer.Request(method: head.method.rawValue, target: head.uri,
                                                     headers: head.headers.map { ($0.name, $0.value) }, body: body)
            recorded.withLockedValue { $0.append(request) }
            let reply = answer(request)
            let headers = HTTPHeaders([("content-type", reply.contentType), ("content-length", String(reply.body.utf8.count)), ("connection", "close")])
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: reply.status), headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: reply.body)))), promise: nil)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
