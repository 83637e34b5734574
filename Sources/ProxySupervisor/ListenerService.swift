import NIOCore
import ProxyAdmin
import ProxyDataPlane
import ProxyLogging
import ServiceLifecycle

/// One profile's listener as a lifecycle service: bind, serve until shutdown is requested, then
/// drain within the grace period.
struct ListenerService: Service {
    let runtime: ProfileRuntime
    let engine: ForwardingEngine
    let grace: TimeAmount
    let readiness: Readiness

    func run() async throws {
        let profile = runtime.profile
        let listener: ProfileListener
        do {
            listener = try await ProfileListener.bind(runtime: runtime, engine: engine)
        } catch {
            var line = LogLine(level: .fatal, event: "bind_failed")
            line.field("profile", profile.name)
            line.field("listen", "\(profile.listenHost):\(profile.listenPort)")
            line.field("error", "\(error)")
            runtime.log.emit(line)
            throw error
        }
        var line = LogLine(level: .info, event: "listening")
        line.field("profile", profile.name)
        line.field("listen", "\(profile.listenHost):\(listener.localPort)")
        line.field("mcp_path", profile.mcpPath)
        line.field("upstream_host", profile.upstream.authority)
        runtime.log.emit(line)
        runtime.log.flush()
        readiness.set(.ready, for: profile.name)
        runtime.metrics?.listenerReady(true)

        try? await gracefulShutdown()
        // Out of rotation first: probes see 503 while connections drain.
        readiness.set(.draining, for: profile.name)
        runtime.metrics?.listenerReady(false)
        await listener.shutdown(grace: grace)
        var closed = LogLine(level: .info, event: "listener_closed")
        closed.field("profile", profile.name)
        runtime.log.emit(closed)
    }
}
