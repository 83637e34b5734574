import ProxyConfig

/// A ready-to-paste configuration for one MCP client: the HTTP URL form where the client takes
/// a URL, the stdio form (launching `mcp-auth-proxy stdio`) where it only launches commands.
struct ClientSnippet {
    enum Client: String, CaseIterable {
        case claudeDesktop = "claude-desktop"
        case claudeCode = "claude-code"
        case cursor
        case vscode

        /// What to do with the snippet.
        var instruction: String {
            switch self {
            case .claudeDesktop: "merge into claude_desktop_config.json (Settings > Developer > Edit Config), then restart Claude Desktop"
            case .claudeCode: "run this command in a shell"
            case .cursor: "merge into ~/.cursor/mcp.json (or .cursor/mcp.json in a project)"
            case .vscode: "merge into .vscode/mcp.json in the workspace (or the user-level mcp.json)"
            }
        }

        /// Claude Desktop's config file takes local commands only.
        var takesURL: Bool { self != .claudeDesktop }
    }

    let client: Client
    let profile: Profile
    /// Absolute path of this binary, so the client finds it without the shell's PATH.
    let binary: String
    /// Absolute config path for `--config`, nil in environment-only mode.
    let configPath: String?
    let stdio: Bool

    /// MCP clients take http(s) URLs only: a profile on a Unix socket is reached through the bridge.
    var usesStdio: Bool { stdio || !client.takesURL || profile.listenUnix != nil }

    var url: String {
        let host = profile.listenHost.contains(":") ? "[\(profile.listenHost)]" : profile.listenHost
        let scheme = profile.listenerTLS == nil ? "http" : "https"
        return "\(scheme)://\(host == "0.0.0.0" || host == "[::]" ? "127.0.0.1" : host):\(profile.listenPort)\(profile.mcpPath)"
    }

    var arguments: [String] {
        ["stdio", "--profile", profile.name] + (configPath.map { ["--config", $0] } ?? [])
    }

    var text: String {
        let name = profile.name
        switch (client, usesStdio) {
        case (.claudeCode, false):
            return "claude mcp add --transport http \(shellQuoted(name)) \(shellQuoted(url))"
        case (.claudeCode, true):
            return "claude mcp add \(shellQuoted(name)) -- " + ([binary] + arguments).map(shellQuoted).joined(separator: " ")
        case (.vscode, false):
            return json(["servers": .object([(name, .object([("type", .string("http")), ("url", .string(url))]))])])
        case (.vscode, true):
            return json(["servers": .object([(name, .object([("type", .string("stdio")), ("command", .string(binary)), ("args", .array(arguments.map { .string($0) }))]))])])
        case (.cursor, false):
            return json(["mcpServers": .object([(name, .object([("url", .string(url))]))])])
        case (.cursor, true), (.claudeDesktop, _):
            return json(["mcpServers": .object([(name, .object([("command", .string(binary)), ("args", .array(arguments.map { .string($0) }))]))])])
        }
    }

    /// What the user must know besides the snippet (printed on stderr, so stdout stays pasteable).
    var notes: [String] {
        var notes = [client.instruction]
        if usesStdio, case .environment = profile.secret.source {
            notes.append("the client starts the bridge itself, without your shell's environment: a `secret_env` variable will not be set there; prefer `secret_file` or `secret_command` for this profile")
        } else {
            notes.append("keep the proxy running (`mcp-auth-proxy --profile \(profile.name)`, or a systemd/launchd unit: docs/clients.md)")
        }
        return notes
    }

    private func json(_ root: [String: JSONValue]) -> String {
        JSONValue.object(root.map { ($0.key, $0.value) }).rendered()
    }

    private func shellQuoted(_ text: String) -> String {
        let safe = text.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_./:=@".unicodeScalars.contains($0) }
        return safe && !text.isEmpty ? text : "'" + text.split(separator: "'", omittingEmptySubsequences: false).joined(separator: #"'\''"#) + "'"
    }
}
