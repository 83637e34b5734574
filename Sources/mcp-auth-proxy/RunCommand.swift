import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ProxyConfig
import ProxyLogging
import ProxySupervisor

/// `run` (the default): serve the selected profiles until SIGINT or SIGTERM.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Serve the selected profiles (default command).")

    @OptionGroup var options: ConfigOptions

    @Option(name: .long, help: "trace, debug, info, warning or error.")
    var logLevel: LogLevelOption = .info

    @Option(name: .long, help: "Event-loop threads of the forwarding engine.")
    var threads: Int = 1

    @Flag(name: .long, help: "Also reload when a config or secret file changes (SIGHUP always reloads).")
    var watch = false

    @Option(name: .long, help: "At SIGTERM, seconds to keep accepting after /readyz turns 503 (for load balancers' health checks).")
    var drainDelay: Double = 0

    func validate() throws {
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be between 1 and 64") }
        guard (0...300).contains(drainDelay) else { throw ValidationError("--drain-delay must be between 0 and 300 seconds") }
    }

    func run() async throws {
        let log = LogSink(minimumLevel: logLevel.level)
        defer { log.shutdown() }
        let request = ConfigRequest(configPath: options.config, profileNames: options.profile,
                                    environment: ProcessInfo.processInfo.environment)
        let result = ConfigLoader.load(request)
        for diagnostic in result.diagnostics {
            log.emit(LogLine(diagnostic, level: diagnostic.severity == .error ? .fatal : .warning, event: "config"))
        }
        guard let config = result.config else {
            throw ExitCode.invalidConfiguration
        }
        do {
            var supervisor = Supervisor(config: config, threads: threads, log: log)
            supervisor.reloading = Supervisor.Reloading(request: request, watch: watch)
            supervisor.drainDelay = .milliseconds(Int64(drainDelay * 1000))
            try await supervisor.run()
        } catch {
            throw ExitCode.failure
        }
    }
}

/// The `--log-level` values.
enum LogLevelOption: String, ExpressibleByArgument, CaseIterable {
    case trace, debug, info, warning, error

    var level: LogLevel { LogLevel(rawValue: rawValue) ?? .info }
}
