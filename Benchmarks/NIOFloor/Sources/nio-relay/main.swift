import NIOCore
import NIOPosix

// What the proxy's request path cannot cost less than on SwiftNIO: per client connection one
// upstream connection, kept alive; every read on one side written and flushed to the other as
// it is, with no parsing, checks, signature or log line. Counting it beside nginx and the proxy
// splits the proxy's instructions into NIO's share and the proxy's own.
//   nio-relay LISTEN_PORT UPSTREAM_PORT

/// A channel initializer adding the one handler `make` builds, on the channel's own loop: the
/// only handler either side of the relay has.
func installing(_ make: @escaping @Sendable () -> any ChannelHandler) -> @Sendable (any Channel) -> EventLoopFuture<Void> {
    { channel in
        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(make()) }
    }
}

/// The upstream side: its reads go back to the client unchanged.
final class UpstreamSide: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let client: Channel

    init(client: Channel) { self.client = client }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        client.writeAndFlush(unwrapInboundIn(data), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        client.close(promise: nil)
    }
}

/// The client side: connects upstream when it becomes active and relays its reads there,
/// holding what arrives before the connection is up.
final class ClientSide: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let upstreamPort: Int
    var upstream: Channel?
    var early: [ByteBuffer] = []

    init(upstreamPort: Int) { self.upstreamPort = upstreamPort }

    func channelActive(context: ChannelHandlerContext) {
        let client = context.channel
        let loop = context.eventLoop
        ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer(installing { UpstreamSide(client: client) })
            .connect(host: "127.0.0.1", port: upstreamPort)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    self.upstream = channel
                    for data in self.early { channel.write(data, promise: nil) }
                    self.early = []
                    channel.flush()
                case .failure:
                    client.close(promise: nil)
                }
            }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let upstream {
            upstream.writeAndFlush(unwrapInboundIn(data), promise: nil)
        } else {
            early.append(unwrapInboundIn(data))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        upstream?.close(promise: nil)
    }
}

let arguments = CommandLine.arguments
guard arguments.count == 3, let listenPort = Int(arguments[1]), let upstreamPort = Int(arguments[2]) else {
    print("usage: nio-relay LISTEN_PORT UPSTREAM_PORT")
    exit(64)
}
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let server = try ServerBootstrap(group: group)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer(installing { ClientSide(upstreamPort: upstreamPort) })
    .bind(host: "127.0.0.1", port: listenPort)
    .wait()
// SIGTERM (or ^C in a terminal) ends the process; callgrind writes its counts at exit.
try server.closeFuture.wait()
