import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The loopback redirect of a native OAuth client (RFC 8252 §7.3): a one-shot HTTP listener on
/// 127.0.0.1 that takes the authorization response's query parameters and tells the browser it
/// may close. Requests to other paths get 404 and are otherwise ignored.
package final class LoopbackRedirect: Sendable {
    package let port: Int
    package var uri: String { "http://127.0.0.1:\(port)/callback" }
    private let channel: any Channel
    private let received: EventLoopPromise<[(String, String)]>

    private init(channel: any Channel, received: EventLoopPromise<[(String, String)]>) {
        self.channel = channel
        self.received = received
        self.port = channel.localAddress?.port ?? 0
    }

    /// Binds 127.0.0.1:`port` (0: any free port).
    package static func bind(port: Int, group: any EventLoopGroup) async throws -> LoopbackRedirect {
        let eventLoop = group.next()
        let received = eventLoop.makePromise(of: [(String, String)].self)
        let channel = try await ServerBootstrap(group: eventLoop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandler(CallbackHandler(received: received))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        return LoopbackRedirect(channel: channel, received: received)
    }

    /// The callback's query parameters; throws after `timeout`.
    package func parameters(timeout: TimeAmount) async throws -> [(String, String)] {
        let timer = channel.eventLoop.scheduleTask(in: timeout) {
            self.received.fail(LoginFailure(description: "no authorization response arrived within \(timeout.nanoseconds / 1_000_000_000)s"))
        }
        defer { timer.cancel() }
        return try await received.futureResult.get()
    }

    package func close() async {
        received.fail(LoginFailure(description: "cancelled"))
        try? await channel.close()
    }
}

private final class CallbackHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let received: EventLoopPromise<[(String, String)]>
    private var uri: String?

    init(received: EventLoopPromise<[(String, String)]>) {
        self.received = received
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): uri = head.method == .GET ? head.uri : nil
        case .body: break
        case .end:
            let path = uri.map { $0.split(separator: "?", maxSplits: 1).first.map(String.init) ?? $0 }
            guard let uri, path == "/callback" else {
                respond(context, status: .notFound, text: "Not found.")
                return
            }
            let query = uri.split(separator: "?", maxSplits: 1).dropFirst().first ?? ""
            let parameters = FormEncoding.decode(query)
            let failed = parameters.contains { $0.0 == "error" }
            respond(context, status: .ok, text: failed
                    ? "Sign-in did not succeed. The terminal running mcp-auth-proxy login says why."
                    : "Signed in. You can close this window and return to the terminal.")
            received.succeed(parameters)
        }
    }

    private func respond(_ context: ChannelHandlerContext, status: HTTPResponseStatus, text: String) {
        let html = "<!doctype html><meta charset=utf-8><title>mcp-auth-proxy</title><p>\(text)</p>\n"
        var head = HTTPResponseHead(version: .http1_1, status: status)
        head.headers.add(name: "content-type", value: "text/html; charset=utf-8")
        head.headers.add(name: "content-length", value: String(html.utf8.count))
        head.headers.add(name: "connection", value: "close")
        head.headers.add(name: "cache-control", value: "no-store")
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: html)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}

package struct LoginFailure: Error, CustomStringConvertible {
    package var description: String
}
