import NIOConcurrencyHelpers
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
    let drainDelay: TimeAmount
    /// Shared by every listener: the delay is counted once, from the first listener told to stop.
    let drain: DrainClock

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
        if reason == .shutdown, let wait = drain.remaining(startingAt: .now(), delay: drainDelay, log: runtime.log) {
            try? await Task.sleep(for: .nanoseconds(wait.nanoseconds))
        }
        await listener.shutdown(grace: grace)
        if reason == .removed { await engine.retire(runtime.endpoint) }
        var closed = LogLine(level: .info, event: "listener_closed")
        closed.field("profile", name)
        closed.field("reason", reason == .removed ? "removed by reload" : "shutdown")
        runtime.log.emit(closed)
    }
}

/// Makes every listener's service, at start-up and for listeners a reload adds, so that both
/// get the same settings (a reload-added listener once ignored `--drain-delay`).
struct ListenerServices: Sendable {
    let engine: ForwardingEngine
    let grace: TimeAmount
    let readiness: Readiness
    let drainDelay: TimeAmount
    let drain = DrainClock()

    func service(for entry: ServedProfiles.Entry) -> ServiceGroupConfiguration.ServiceConfiguration {
        .init(service: ListenerService(entry: entry, engine: engine, grace: grace, readiness: readiness, drainDelay: drainDelay, drain: drain),
              successTerminationBehavior: .ignore, failureTerminationBehavior: .gracefullyShutdownGroup)
    }
}

/// When the drain delay ends. A `ServiceGroup` stops its services one after another, so a delay
/// slept by each listener would add up (two profiles, twice the delay, past a Kubernetes grace
/// period); the first listener told to stop starts the clock and the others wait out what is left.
final class DrainClock: Sendable {
    private let end = NIOLockedValueBox<NIODeadline?>(nil)

    /// The time still to wait, or nil when none is left; the first call starts the delay and logs it.
    func remaining(startingAt now: NIODeadline, delay: TimeAmount, log: LogSink) -> TimeAmount? {
        guard delay > .zero else { return nil }
        let (deadline, started) = end.withLockedValue { end -> (NIODeadline, Bool) in
            if let end { return (end, false) }
            end = now + delay
            return (now + delay, true)
        }
        if started {
            var line = LogLine(level: .info, event: "draining")
            line.field("drain_delay_ms", milliseconds: UInt64(delay.nanoseconds))
            log.emit(line)
        }
        return deadline > now ? deadline - now : nil
    }
}
