import ArgumentParser

/// The command line: `run` (the default) serves profiles, `check` validates and explains a config, `schema` prints its JSON Schema.
@main
struct MCPAuthProxy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp-auth-proxy",
        abstract: "Sign MCP requests for auth-gateway upstreams, transparently, for any MCP client.",
        discussion: "Exit codes: 0 success, 1 runtime failure (e.g. a port is taken), 64 bad usage, 78 invalid configuration.",
        subcommands: [RunCommand.self, CheckCommand.self, SchemaCommand.self, StdioCommand.self, ClientConfigCommand.self, HealthcheckCommand.self,
                      LoginCommand.self, LogoutCommand.self, OAuthCommand.self, SignCommand.self],
        defaultSubcommand: RunCommand.self
    )
}

/// Options every subcommand shares: where the config is and which profiles to use.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "A YAML file or a directory of them (default: $MCP_AUTH_PROXY_CONFIG, then ./profiles).")
    var config: String?

    @Option(name: .long, help: "A profile to use; repeat for several. Default: every profile.")
    var profile: [String] = []
}

extension ExitCode {
    /// EX_CONFIG from sysexits.h: the configuration is invalid.
    static let invalidConfiguration = ExitCode(78)
}
