import NIOCore
import NIOPosix

/// The one forwarding engine every listener shares: the event loops that run the data plane and a
/// keep-alive upstream pool per loop.
package final class ForwardingEngine: Sendable, UpstreamPools {
    package let group: MultiThreadedEventLoopGroup
    private let pools: [ObjectIdentifier: NIOLoopBoundBox<UpstreamPool>]

    /// - Parameter threads: event-loop threads; 1 is the measured sweet spot on a 2-core machine.
    package init(threads: Int = 1) {
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        var pools: [ObjectIdentifier: NIOLoopBoundBox<UpstreamPool>] = [:]
        for loop in group.makeIterator() {
            pools[ObjectIdentifier(loop)] = NIOLoopBoundBox.makeBoxSendingValue(UpstreamPool(eventLoop: loop), eventLoop: loop)
        }
        self.pools = pools
    }

    /// The pool of the loop the caller runs on.
    func pool(for eventLoop: any EventLoop) -> UpstreamPool {
        pools[ObjectIdentifier(eventLoop)]!.value
    }

    /// Closes idle upstream connections on every loop; used at shutdown.
    package func closeIdleConnections() async {
        for loop in group.makeIterator() {
            let bound = pools[ObjectIdentifier(loop)]!
            try? await loop.submit { bound.value.close() }.get()
        }
    }

    /// Drains a reloaded profile's old upstream: idle connections close now, busy ones when their
    /// request is done (they are not pooled again).
    package func retire(_ endpoint: UpstreamEndpoint) async {
        endpoint.retire()
        for loop in group.makeIterator() {
            let bound = pools[ObjectIdentifier(loop)]!
            try? await loop.submit { bound.value.closeIdle(of: endpoint) }.get()
        }
    }

    package func shutdown() async throws {
        try await group.shutdownGracefully()
    }
}
