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
    /// The environment variable Claude Code's and Cursor's snippets read the client token from.
    let tokenVariable: String

    /// MCP clients take http(s) URLs only: a profile on a Unix socket is reached through the bridge.
    var usesStdio: Bool { stdio || !client.takesURL || profile.listenUnix != nil }

    /// The listener wants `Authorization: Bearer <token>` (`client_auth: bearer`). The bridge
    /// binds nothing, so its form needs none. The snippet names where the token comes from and
    /// never holds one: each client gets the form that keeps it out of the printed text.
    var needsToken: Bool { !usesStdio && profile.clientAuth.mode == .bearer }

    var url: String {
        let host = profile.listenHost.contains(":") ? "[\(profile.listenHost)]" : profile.listenHost
        let scheme = profile.listenerTLS == nil ? "http" : "https"
        return "\(scheme)://\(host == "0.0.0.0" || host == "[::]" ? "127.0.0.1" : host):\(profile.listenPort)\(profile.mcpPath)"
    }

    var arguments: [String] {
        ["stdio", "--profile", profile.name] + (configPath.map { ["--config", $0] } ?? [])
    }

    /// VS Code's prompt for the token, which it keeps in its secret storage.
    var vscodeInputID: String { "mcp-auth-proxy-\(profile.name)-token" }

    var text: String {
        let name = profile.name
        switch (client, usesStdio) {
        case (.claudeCode, false):
            // Claude Code does not expand variables in a header it stores, so the shell does,
            // when the command runs: the double quotes are deliberate.
            let header = needsToken ? #" --header "Authorization: Bearer $"# + tokenVariable + #"""# : ""
            return "claude mcp add --transport http \(shellQuoted(name)) \(shellQuoted(url))" + header
        case (.claudeCode, true):
            return "claude mcp add \(shellQuoted(name)) -- " + ([binary] + arguments).map(shellQuoted).joined(separator: " ")
        case (.vscode, false):
            var server: [(String, JSONValue)] = [("type", .string("http")), ("url", .string(url))]
            guard needsToken else { return json([("servers", .object([(name, .object(server))]))]) }
            server.append(("headers", .object([("Authorization", .string("Bearer ${input:\(vscodeInputID)}"))])))
            let input: JSONValue = .object([("type", .string("promptString")), ("id", .string(vscodeInputID)),
                                            ("description", .string("mcp-auth-proxy client token for \(name)")), ("password", .bool(true))])
            return json([("inputs", .array([input])), ("servers", .object([(name, .object(server))]))])
        case (.vscode, true):
            return json([("servers", .object([(name, .object([("type", .string("stdio")), ("command", .string(binary)), ("args", .array(arguments.map { .string($0) }))]))]))])
        case (.cursor, false):
            var server: [(String, JSONValue)] = [("url", .string(url))]
            if needsToken { server.append(("headers", .object([("Authorization", .string("Bearer ${env:\(tokenVariable)}"))]))) }
            return json([("mcpServers", .object([(name, .object(server))]))])
        case (.cursor, true), (.claudeDesktop, _):
            return json([("mcpServers", .object([(name, .object([("command", .string(binary)), ("args", .array(arguments.map { .string($0) }))]))]))])
        }
    }

    /// What the user must know besides the snippet (printed on stderr, so stdout stays pasteable).
    var notes: [String] {
        var notes = [client.instruction]
        if usesStdio, case .environment = profile.secret.source {
            notes.append("the client starts the bridge itself, without your shell's environment: a `secret_env` variable will not be set there; prefer `secret_file` or `secret_command` for this profile")
        } else if !usesStdio {
            notes.append("keep the proxy running (`mcp-auth-proxy --profile \(profile.name)`, or a systemd/launchd unit: docs/clients.md)")
        }
        if needsToken {
            switch client {
            case .claudeCode: notes.append("the listener wants a client token (client_auth: bearer): set \(tokenVariable) to yours before you run the command; Claude Code keeps the header in its own config")
            case .cursor: notes.append("the listener wants a client token (client_auth: bearer): set \(tokenVariable) to yours in the environment Cursor starts from")
            case .vscode: notes.append("the listener wants a client token (client_auth: bearer): VS Code asks for it once and keeps it in its secret storage")
            case .claudeDesktop: break
            }
        }
        if !usesStdio, let oauth = profile.clientAuth.oauth {
            notes.append("the listener wants an OAuth sign-in (client_auth: oauth): on its first 401 the client opens \(oauth.issuer) in the browser and keeps the token itself; no header to set")
        }
        return notes
    }

    private func json(_ root: [(String, JSONValue)]) -> String {
        JSONValue.object(root).rendered()
    }

    private func shellQuoted(_ text: String) -> String {
        let safe = text.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_./:=@".unicodeScalars.contains($0) }
        return safe && !text.isEmpty ? text : "'" + text.split(separator: "'", omittingEmptySubsequences: false).joined(separator: #"'\''"#) + "'"
    }
}
