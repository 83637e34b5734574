import NIOCore
import ProxyAdmin
import ProxyDataPlane
import ProxyLogging
import ServiceLifecycle

/// One bound listener as a lifecycle service: serve until shutdown or until a reload removes its
/// profile, then drain within the grace period.
struct ListenerService: Service {
    let entry: ServedProfiles.Entry
    let engine: ForwardingEngine
    let grace: TimeAmount
    let readiness: Readiness
    /// At shutdown, how long to keep accepting after `/readyz` turned 503, so that a load
    /// balancer's health check takes the replica out of rotation before it stops accepting.
    var drainDelay: TimeAmount = .zero

    func run() async {
        let listener = entry.listener
        let profile = entry.profile
        var line = LogLine(level: .info, event: "listening")
        line.field("profile", profile.name)
        line.field("listen", profile.listenUnix == nil ? "\(profile.listenHost):\(listener.localPort)" : profile.listenDescription)
        line.field("mcp_path", profile.mcpPath)
        line.field("upstream_host", profile.upstream.authority)
        listener.runtime.log.emit(line)
        listener.runtime.log.flush()
        readiness.set(.ready, for: profile.name)
        listener.runtime.metrics?.listenerReady(true)

        let stop = entry.stop
        let reason = await withGracefulShutdownHandler {
            await stop.wait()
        } onGracefulShutdown: {
            stop.fire(.shutdown)
        }
        // A reload may have renamed the profile on this listener since it started.
        let runtime = listener.runtime
        let name = runtime.profile.name
        switch reason {
        case .shutdown: readiness.set(.draining, for: name)  // out of rotation before the drain
        case .removed: readiness.remove(name)
        }
        runtime.metrics?.listenerReady(false)
        if reason == .shutdown, drainDelay > .zero {
            try? await Task.sleep(for: .nanoseconds(drainDelay.nanoseconds))
        }
        await listener.shutdown(grace: grace)
        if reason == .removed { await engine.retire(runtime.endpoint) }
        var closed = LogLine(level: .info, event: "listener_closed")
        closed.field("profile", name)
        closed.field("reason", reason == .removed ? "removed by reload" : "shutdown")
        runtime.log.emit(closed)
    }
}
