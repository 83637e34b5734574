import ArgumentParser
import ProxyAWS
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ProxyConfig
import ProxyDataPlane
import ProxyLogging
import ProxyOAuth
import ProxySigning
import ProxyStdio
import ProxySupervisor
import UnixSignals

/// `stdio`: one profile served over stdin and stdout, for MCP clients that only launch commands.
struct StdioCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stdio",
        abstract: "Bridge MCP stdio (stdin/stdout) to one profile's upstream; nothing is bound.",
        discussion: "stdout carries only MCP messages, one per line; the JSON log goes to stderr. Ends at the end of stdin or on SIGTERM/SIGINT, after in-flight requests finish (10 s at most)."
    )

    @Option(name: .long, help: "A YAML file or a directory of them (default: $MCP_AUTH_PROXY_CONFIG, then ./profiles).")
    var config: String?

    @Option(name: .long, help: "The profile to use; required unless the config has exactly one.")
    var profile: String?

    @Option(name: .long, help: "trace, debug, info, warning or error.")
    var logLevel: LogLevelOption = .info

    func run() async throws {
        let log = LogSink(minimumLevel: logLevel.level)
        defer { log.shutdown() }
        let request = ConfigRequest(configPath: config, profileNames: profile.map { [$0] } ?? [],
                                    environment: ProcessInfo.processInfo.environment)
        let result = ConfigLoader.load(request)
        for diagnostic in result.diagnostics {
            log.emit(LogLine(diagnostic, level: diagnostic.severity == .error ? .fatal : .warning, event: "config"))
        }
        guard let config = result.config else { throw ExitCode.invalidConfiguration }
        guard config.profiles.count == 1, let profile = config.profiles.first else {
            var line = LogLine(level: .fatal, event: "usage")
            line.field("message", "stdio serves one profile and the config has \(config.profiles.count): choose one with --profile (\(config.profiles.map(\.name).joined(separator: ", ")))")
            log.emit(line)
            throw ExitCode(64)
        }
        if profile.oauth?.grant == .tokenExchange {
            // The bridge's client brings no OAuth token of its own to exchange.
            var line = LogLine(level: .fatal, event: "usage")
            line.field("message", "profile `\(profile.name)` exchanges each listener client's OAuth token (grant: token_exchange); the stdio bridge has no client token to exchange")
            log.emit(line)
            throw ExitCode(64)
        }
        // A client that exits closes our stdout; a write then must fail, not kill the process.
        signal(SIGPIPE, SIG_IGN)
        let engine = ForwardingEngine(threads: 1)
        let runner: StdioBridgeRunner
        // An OAuth profile's token is kept fresh on the control plane, in the shared token file.
        let session = profile.oauth.map { OAuthSession(profile: profile, settings: $0, group: engine.group, log: log) }
        await session?.start()
        defer { if let session { Task { await session.stop() } } }
        // An aws-sigv4 profile's credentials are found and renewed on the control plane too.
        let awsKeeper = profile.aws.map { AWSCredentialsKeeper(profile: profile.name, settings: $0, caFile: profile.caFile, group: engine.group, log: log) }
        await awsKeeper?.start()
        defer { if let awsKeeper { Task { await awsKeeper.stop() } } }
        // The audit trail and traces, as `run` keeps them (docs/operations.md).
        let audit = AuditKeeper(log: log, metrics: nil)
        let exporter = config.otel.map { TraceExporter(settings: $0, group: engine.group, log: log, metrics: nil) }
        do {
            let trail = try audit.prepare(config.audit)
            audit.install(trail)
            let runtime = try ProfileRuntime(profile: profile, signer: AuthGatewaySigner(), log: log, accessToken: session?.slot,
                                             awsCredentials: awsKeeper?.slot, audit: trail, tracer: exporter?.tracer)
            runner = StdioBridgeRunner(runtime: runtime, engine: engine, log: log)
        } catch {
            var line = LogLine(level: .fatal, event: "start_failed")
            line.field("error", "\(error)")
            log.emit(line)
            try? await engine.shutdown()
            throw ExitCode.failure
        }
        let signals = Task {
            for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) { runner.stop() }
        }
        defer { signals.cancel() }
        // SIGUSR1 reopens the audit file (logrotate); SIGHUP keeps its default for the bridge.
        let reopens = config.audit == nil ? nil : Task {
            for await _ in await UnixSignalsSequence(trapping: .sigusr1) { audit.reopen() }
        }
        defer { reopens?.cancel() }
        let exporting = exporter.map { exporter in Task { await exporter.run() } }
        defer {
            audit.shutdown()
            exporting?.cancel()
        }
        do {
            try await runner.run()
        } catch {
            var line = LogLine(level: .fatal, event: "stdio_failed")
            line.field("error", "\(error)")
            log.emit(line)
            throw ExitCode.failure
        }
        await exporter?.export()
        await engine.closeIdleConnections()
        try? await engine.shutdown()
    }
}
