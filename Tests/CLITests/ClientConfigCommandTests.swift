import Foundation
import Testing

/// `mcp-auth-proxy client-config`: snippets that a client can take as they are, with the
/// profile's real endpoint and this binary's absolute path.
@Suite("mcp-auth-proxy client-config")
struct ClientConfigCommandTests {
    let environment = ["CC_SECRET": "client-config-secret-0123456789"]

    func configFile(port: Int = 8931, secret: String = "secret_env: CC_SECRET") -> URL {
        writeConfig("""
        profiles:
          team-prod:
            upstream_url: https://mcp.example.com/mcp
            key_id: k1
            \(secret)
            listen_port: \(port)
            mcp_path: /team/mcp
        """)
    }

    func run(_ arguments: [String], config: URL) throws -> ProxyProcess.Output {
        try ProxyProcess.run(["client-config"] + arguments + ["--config", config.path], environment: environment)
    }

    @Test("URL form for clients that take a URL, with the profile's port and path", arguments: [
        ("cursor", #"{"mcpServers":{"team-prod":{"url":"http://127.0.0.1:9412/team/mcp"}}}"#),
        ("vscode", #"{"servers":{"team-prod":{"type":"http","url":"http://127.0.0.1:9412/team/mcp"}}}"#),
    ])
    func urlForm(client: String, expected: String) throws {
        let output = try run(["--client", client], config: configFile(port: 9412))
        #expect(output.status == 0, "\(output.stderr)")
        let printed = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? NSDictionary
        let wanted = try JSONSerialization.jsonObject(with: Data(expected.utf8)) as? NSDictionary
        #expect(printed == wanted, "\(output.stdout)")
    }

    @Test("Claude Desktop gets the stdio form: this binary, absolute, with the profile and the absolute config")
    func claudeDesktop() async throws {
        let config = configFile()
        let output = try run(["--client", "claude-desktop"], config: config)
        #expect(output.status == 0, "\(output.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        let server = try #require((document["mcpServers"] as? [String: Any])?["team-prod"] as? [String: Any])
        let command = try #require(server["command"] as? String)
        #expect(command.hasPrefix("/") && FileManager.default.isExecutableFile(atPath: command))
        #expect(server["args"] as? [String] == ["stdio", "--profile", "team-prod", "--config", config.path])
        #expect(output.stderr.contains("secret_env"), "warns that the client does not pass the shell's environment")
        // The snippet really launches the bridge: these arguments start it, and it exits 0 at EOF.
        let bridge = try StdioBridgeProcess(arguments: server["args"] as? [String] ?? [], environment: environment)
        bridge.closeInput()
        #expect(await bridge.exitStatus() == 0)
        #expect(await bridge.log.wait(for: "stdio_started").count == 1)
    }

    @Test("Claude Code: an HTTP `claude mcp add` command, or the stdio one with --stdio")
    func claudeCode() throws {
        let config = configFile(secret: "secret_command: [printf, 0123456789abcdef-secret]")
        let http = try run(["--client", "claude-code"], config: configFile())
        #expect(http.stdout == "claude mcp add --transport http team-prod http://127.0.0.1:8931/team/mcp\n")
        let stdio = try run(["--client", "claude-code", "--stdio"], config: config)
        #expect(stdio.stdout.hasPrefix("claude mcp add team-prod -- /"), "\(stdio.stdout)")
        #expect(stdio.stdout.hasSuffix(" stdio --profile team-prod --config \(config.path)\n"), "\(stdio.stdout)")
    }

    @Test("an unknown client is a usage error listing the known ones")
    func unknownClient() throws {
        let output = try run(["--client", "emacs"], config: configFile())
        #expect(output.status == 64)
        #expect(output.stderr.contains("'claude-desktop', 'claude-code', 'cursor' or 'vscode'"))
    }
}
