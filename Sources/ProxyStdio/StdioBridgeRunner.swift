import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ProxyConfig
import ProxyDataPlane
import ProxyLogging

/// Control plane of the stdio bridge: puts the bridge on stdin and stdout and waits until it is
/// done (stdin ended, or `stop()` after a signal, and in-flight requests finished or the grace
/// period ran out).
package final class StdioBridgeRunner: Sendable {
    private let runtime: ProfileRuntime
    private let engine: ForwardingEngine
    private let log: LogSink
    private let grace: TimeAmount
    private let channel: NIOLockedChannel

    package init(runtime: ProfileRuntime, engine: ForwardingEngine, log: LogSink, grace: TimeAmount = .seconds(10)) {
        self.runtime = runtime
        self.engine = engine
        self.log = log
        self.grace = grace
        channel = NIOLockedChannel()
    }

    /// Serves `input` and `output` (stdin and stdout by default) until the bridge finishes.
    package func run(input: Int32 = 0, output: Int32 = 1) async throws {
        let loop = engine.group.next()
        let finished = loop.makePromise(of: Void.self)
        let profile = runtime.profile
        let configuration = BridgeStateMachine.Configuration(
            profileName: profile.name, grace: grace, maximumRequestBytes: profile.maxRequestBody.bytes,
            maximumConnections: profile.maxUpstreamConnections, opensServerStream: profile.upstreamStreaming != .off,
            toolPolicy: profile.toolPolicy)
        let credentials = runtime.upstreamCredentials
        let engine = engine, log = log
        let trail = runtime.audit, tracer = runtime.tracer, upstreamURL = "\(profile.upstream)"
        let channel: any Channel
        do {
            channel = try await NIOPipeBootstrap(group: loop)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let framer = ByteToMessageHandler(LineFramer(maximumLineBytes: configuration.maximumRequestBytes))
                    try channel.pipeline.syncOperations.addHandler(framer)
                    try channel.pipeline.syncOperations.addHandler(
                        StdioBridge(configuration: configuration, credentials: credentials, engine: engine, log: log, finished: finished,
                                    trail: trail, tracer: tracer, upstreamURL: upstreamURL))
                }
            }
            .takingOwnershipOfDescriptors(input: input, output: output)
            .get()
        } catch {
            // Never leave the promise pending: NIO traps on a leaked one.
            finished.fail(error)
            throw UnsupportedDescriptors(cause: "\(error)")
        }
        self.channel.set(channel)
        if log.isEnabled(.info) {
            var started = LogLine(level: .info, event: "stdio_started")
            started.field("profile", profile.name)
            started.field("upstream", "\(profile.upstream)")
            log.emit(started)
        }
        try? await channel.closeFuture.get()
        try? await finished.futureResult.get()
    }

    /// Finishes as at the end of stdin: in-flight requests get the grace period, then the session
    /// is deleted and `run` returns.
    package func stop() {
        guard let channel = channel.get() else { return }
        channel.eventLoop.execute {
            guard let bridge = try? channel.pipeline.syncOperations.handler(type: StdioBridge.self) else { return }
            bridge.stop()
        }
    }
}

/// NIO serves pipes, sockets and terminals; a regular file as stdin or stdout is refused.
struct UnsupportedDescriptors: Error, CustomStringConvertible {
    let cause: String
    var description: String {
        "stdin and stdout must be pipes, sockets or a terminal, as when an MCP client launches the bridge (not regular files): \(cause)"
    }
}

/// The bridge's channel, set once `run` has it, read by `stop` from a signal handler's task.
private final class NIOLockedChannel: Sendable {
    private let box = NIOLockedValueBox<(any Channel)?>(nil)
    func set(_ channel: any Channel) { box.withLockedValue { $0 = channel } }
    func get() -> (any Channel)? { box.withLockedValue { $0 } }
}
