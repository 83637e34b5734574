import ArgumentParser
import Foundation
import ProxyConfig

/// `run` (the default): serve the selected profiles until SIGINT or SIGTERM.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Serve the selected profiles (default command).")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        throw ExitCode.failure
    }
}
