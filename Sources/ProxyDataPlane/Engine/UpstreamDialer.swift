import NIOCore
import NIOPosix

/// How a pool opens a connection to its upstream. The program dials TCP (`SocketDialer`); an
/// `EmbeddedChannel` test hands out embedded channels on its own loop instead, with the same
/// handlers in their pipelines, so that the whole exchange runs in virtual time.
protocol UpstreamDialer {
    /// Opens a channel to `endpoint` on `eventLoop`; `initialize` puts the connection's handlers
    /// (TLS, `UpstreamConnectionHandler`) in its pipeline before it connects.
    func dial(
        _ endpoint: UpstreamEndpoint, on eventLoop: any EventLoop,
        initialize: @escaping @Sendable (any Channel) throws -> Void
    ) -> EventLoopFuture<any Channel>
}

/// A TCP connection with keep-alive probes and no Nagle delay, bounded by `connect_timeout`.
struct SocketDialer: UpstreamDialer {
    func dial(
        _ endpoint: UpstreamEndpoint, on eventLoop: any EventLoop,
        initialize: @escaping @Sendable (any Channel) throws -> Void
    ) -> EventLoopFuture<any Channel> {
        ClientBootstrap(group: eventLoop)
            .connectTimeout(endpoint.connectTimeout)
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try initialize(channel) }
            }
            .connect(host: endpoint.url.host, port: endpoint.url.port)
    }
}

/// Where a client connection's handler finds the upstream pool of its event loop: the engine's
/// pool for that loop in the program, a test's own pool on an `EmbeddedEventLoop`.
protocol UpstreamPools {
    func pool(for eventLoop: any EventLoop) -> UpstreamPool
}
