import NIOCore
import NIOHTTP1
import NIOPosix

/// The admin HTTP server (`admin:` in the config). It runs on the forwarding engine's event loops
/// on purpose: `/healthz` answering proves those loops turn. Low traffic, so NIO's HTTP/1 codec
/// is used rather than the data plane's own parser.
package final class AdminListener: Sendable {
    package let channel: any Channel

    package var localPort: Int { channel.localAddress?.port ?? 0 }

    private init(channel: any Channel) {
        self.channel = channel
    }

    package static func bind(host: String, port: Int, group: any EventLoopGroup, endpoints: AdminEndpoints) async throws -> AdminListener {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(AdminHandler(endpoints: endpoints))
                }
            }
        let channel = try await bootstrap.bind(host: host == "localhost" ? "127.0.0.1" : host, port: port).get()
        return AdminListener(channel: channel)
    }

    package func close() async {
        try? await channel.close()
    }
}

/// One admin connection: answers each request from `AdminEndpoints`; keep-alive as the client asks.
final class AdminHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let endpoints: AdminEndpoints
    private var head: HTTPRequestHead?

    init(endpoints: AdminEndpoints) {
        self.endpoints = endpoints
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head else { return }
            self.head = nil
            respond(to: head, context: context)
        }
    }

    private func respond(to request: HTTPRequestHead, context: ChannelHandlerContext) {
        let hosts = request.headers["host"], origins = request.headers["origin"]
        let response = endpoints.respond(method: request.method.rawValue, uri: request.uri,
                                         host: hosts.count > 1 ? "" : hosts.first,
                                         origin: origins.count > 1 ? "" : origins.first)
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: response.contentType)
        headers.add(name: "content-length", value: String(response.body.count))
        headers.add(name: "cache-control", value: "no-store")
        if let allow = response.allow { headers.add(name: "allow", value: allow) }
        let keepAlive = request.isKeepAlive
        if !keepAlive { headers.add(name: "connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if request.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
