import ArgumentParser
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

/// `client-config`: prints the snippet that points one MCP client at one profile.
struct ClientConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client-config",
        abstract: "Print a ready MCP client configuration for a profile (docs/clients.md).",
        discussion: "Clients: \(ClientSnippet.Client.allCases.map(\.rawValue).joined(separator: ", ")). The URL form is used where the client takes one; --stdio (and Claude Desktop) launch `mcp-auth-proxy stdio` instead."
    )

    @Option(name: .long, help: "claude-desktop, claude-code, cursor or vscode.")
    var client: ClientOption

    @Option(name: .long, help: "The profile; required unless the config has exactly one.")
    var profile: String?

    @Option(name: .long, help: "A YAML file or a directory of them (default: $MCP_AUTH_PROXY_CONFIG, then ./profiles).")
    var config: String?

    @Flag(name: .long, help: "Launch the stdio bridge even where the client takes a URL.")
    var stdio = false

    @Option(name: .long, help: "With client_auth: bearer, the variable Claude Code's and Cursor's snippets read your client token from.")
    var tokenEnv = "MCP_AUTH_PROXY_TOKEN"

    func validate() throws {
        let first = tokenEnv.unicodeScalars.first
        guard let first, first == "_" || ("A"..."Z").contains(first) || ("a"..."z").contains(first),
              tokenEnv.unicodeScalars.allSatisfy({ $0 == "_" || ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) }) else {
            throw ValidationError("--token-env must be a variable name (letters, digits and _, not starting with a digit)")
        }
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let request = ConfigRequest(configPath: config, profileNames: profile.map { [$0] } ?? [], environment: environment)
        let result = ConfigLoader.load(request)
        for diagnostic in result.diagnostics { StandardError.write(diagnostic.description + "\n") }
        guard let loaded = result.config else { throw ExitCode.invalidConfiguration }
        guard loaded.profiles.count == 1, let chosen = loaded.profiles.first else {
            StandardError.write("the config has \(loaded.profiles.count) profiles: choose one with --profile (\(loaded.profiles.map(\.name).joined(separator: ", ")))\n")
            throw ExitCode(64)
        }
        let snippet = ClientSnippet(client: client.client, profile: chosen, binary: Self.executablePath(),
                                    configPath: Self.absoluteConfigPath(config ?? environment["MCP_AUTH_PROXY_CONFIG"], loaded: loaded),
                                    stdio: stdio, tokenVariable: tokenEnv)
        print(snippet.text)
        for note in snippet.notes { StandardError.write("note: \(note)\n") }
    }

    /// This binary, resolved: the client launches it without the shell's PATH.
    static func executablePath() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if length > 0 { return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return absolute(CommandLine.arguments[0])
    }

    static func absoluteConfigPath(_ given: String?, loaded: ValidatedConfig) -> String? {
        if let given { return absolute(given) }
        guard let first = loaded.files.first else { return nil }
        // Found through ./profiles: name the directory, so files added later are served too.
        return absolute(String(first[..<(first.lastIndex(of: "/") ?? first.endIndex)]))
    }

    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return FileManager.default.currentDirectoryPath + "/" + (path.hasPrefix("./") ? String(path.dropFirst(2)) : path)
    }
}

struct ClientOption: ExpressibleByArgument {
    let client: ClientSnippet.Client

    init?(argument: String) {
        guard let client = ClientSnippet.Client(rawValue: argument) else { return nil }
        self.client = client
    }

    static var allValueStrings: [String] { ClientSnippet.Client.allCases.map(\.rawValue) }
}
