import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL

/// One HTTP/1.1 server for one profile, on the shared engine's event loops.
package final class ProfileListener: Sendable {
    /// The runtime new requests use; a reload stores a new one here.
    package let slot: RuntimeSlot
    package var runtime: ProfileRuntime { slot.runtime }
    let engine: ForwardingEngine
    /// Dropped once shutdown is done: the helper fails an internal promise when it is
    /// deallocated, which must happen while the event loops still run.
    private let quiescing: NIOLockedValueBox<ServerQuiescingHelper?>
    package let channel: any Channel

    /// The address actually bound (useful when the profile asked for port 0 in tests).
    package var localPort: Int { channel.localAddress?.port ?? 0 }

    private init(slot: RuntimeSlot, engine: ForwardingEngine, quiescing: ServerQuiescingHelper, channel: any Channel) {
        self.slot = slot
        self.engine = engine
        self.quiescing = NIOLockedValueBox(quiescing)
        self.channel = channel
    }

    /// Binds the listener. Throws when the address cannot be bound (port taken, no such address).
    package static func bind(runtime: ProfileRuntime, engine: ForwardingEngine, port: Int? = nil) async throws -> ProfileListener {
        let slot = RuntimeSlot(runtime)
        let quiescing = ServerQuiescingHelper(group: engine.group)
        let bootstrap = ServerBootstrap(group: engine.group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 4)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls = slot.runtime.serverTLSContext { try sync.addHandler(NIOSSLServerHandler(context: tls)) }
                    try sync.addHandler(ClientConnectionHandler(slot: slot, upstreams: engine))
                }
            }
        let channel: any Channel
        if let unix = runtime.profile.listenUnix {
            try UnixSocketFile.prepare(unix.path)
            channel = try await UnixSocketFile.bind(unix.path, mode: unix.mode) {
                try await bootstrap.bind(unixDomainSocketPath: unix.path).get()
            }
        } else {
            let host = runtime.profile.listenHost == "localhost" ? "127.0.0.1" : runtime.profile.listenHost
            channel = try await bootstrap.bind(host: host, port: port ?? runtime.profile.listenPort).get()
        }
        return ProfileListener(slot: slot, engine: engine, quiescing: quiescing, channel: channel)
    }

    /// Stops accepting, asks every connection to finish (streams end cleanly), and returns when
    /// all are closed or the grace period is over, whichever comes first.
    package func shutdown(grace: TimeAmount) async {
        guard let quiescing = quiescing.withLockedValue({ $0 }) else { return }
        let promise = engine.group.next().makePromise(of: Void.self)
        quiescing.initiateShutdown(promise: promise)
        let deadline = engine.group.next().scheduleTask(in: grace) { promise.succeed(()) }
        try? await promise.futureResult.get()
        deadline.cancel()
        try? await channel.closeFuture.get()
        if let unix = runtime.profile.listenUnix { UnixSocketFile.remove(unix.path) }
        self.quiescing.withLockedValue { $0 = nil }
    }
}
