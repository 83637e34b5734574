import Logging
import NIOCore
import ProxyConfig
import ProxyDataPlane
import ProxyLogging
import ProxySigning
import ServiceLifecycle

/// Runs one listener per selected profile on one shared engine and one shared signer, and owns
/// the process lifecycle: fail fast at start-up, drain on SIGINT/SIGTERM.
public struct Supervisor: Sendable {
    public let config: ValidatedConfig
    public let threads: Int
    public let log: LogSink
    /// How long in-flight requests may take to finish after a shutdown signal.
    public var grace: TimeAmount = .seconds(10)

    public init(config: ValidatedConfig, threads: Int, log: LogSink) {
        self.config = config
        self.threads = threads
        self.log = log
    }

    /// Returns when every listener has stopped; throws when one could not start.
    public func run() async throws {
        let engine = ForwardingEngine(threads: threads)
        let signer = AuthGatewaySigner()
        var services: [any Service] = []
        do {
            for profile in config.profiles {
                let runtime = try ProfileRuntime(profile: profile, signer: signer, log: log)
                services.append(ListenerService(runtime: runtime, engine: engine, grace: grace))
            }
        } catch {
            try? await engine.shutdown()
            throw error
        }
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: Logger(label: "mcp-auth-proxy.lifecycle", factory: { _ in SwiftLogNoOpLogHandler() })
        ))
        var failure: (any Error)?
        do {
            try await group.run()
        } catch {
            failure = error
        }
        await engine.closeIdleConnections()
        try? await engine.shutdown()
        var line = LogLine(level: failure == nil ? .info : .fatal, event: "stopped")
        if let failure { line.field("error", "\(failure)") }
        log.emit(line)
        log.flush()
        if let failure { throw failure }
    }
}
