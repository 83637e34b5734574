import Foundation
import ProxyTestSupport
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

    static let token = "alice-token-0123456789abcdef0123456789"

    /// A `client_auth: bearer` profile in front of `upstream` (its secret `CC_SECRET`'s value).
    func bearerConfig(upstreamPort: Int, port: Int) -> URL {
        writeConfig("""
        profiles:
          team-prod:
            upstream_url: http://127.0.0.1:\(upstreamPort)/mcp
            key_id: k1
            secret_env: CC_SECRET
            listen_port: \(port)
            client_auth: bearer
            client_tokens:
              - name: alice
                token_env: ALICE_TOKEN
        """)
    }

    @Test("client_auth: bearer: each URL snippet names where the token comes from, and none holds it")
    func bearerSnippets() throws {
        let config = bearerConfig(upstreamPort: 1, port: 9413)
        let environment = environment.merging(["ALICE_TOKEN": Self.token]) { a, _ in a }
        func run(_ client: String, _ extra: [String] = []) throws -> ProxyProcess.Output {
            let output = try ProxyProcess.run(["client-config", "--client", client, "--config", config.path] + extra, environment: environment)
            #expect(output.status == 0, "\(output.stderr)")
            #expect(!(output.stdout + output.stderr).contains(Self.token))
            return output
        }
        let cursor = try JSONSerialization.jsonObject(with: Data(try run("cursor").stdout.utf8)) as? NSDictionary
        #expect(cursor == [
            "mcpServers": ["team-prod": ["url": "http://127.0.0.1:9413/mcp", "headers": ["Authorization": "Bearer ${env:MCP_AUTH_PROXY_TOKEN}"]]],
        ] as NSDictionary)
        let vscode = try run("vscode")
        #expect(vscode.stderr.contains("asks for it once"), "\(vscode.stderr)")
        #expect(try JSONSerialization.jsonObject(with: Data(vscode.stdout.utf8)) as? NSDictionary == [
            "inputs": [["type": "promptString", "id": "mcp-auth-proxy-team-prod-token", "description": "mcp-auth-proxy client token for team-prod", "password": true]],
            "servers": ["team-prod": ["type": "http", "url": "http://127.0.0.1:9413/mcp",
                                      "headers": ["Authorization": "Bearer ${input:mcp-auth-proxy-team-prod-token}"]]],
        ] as NSDictionary)
        #expect(try run("cursor", ["--token-env", "TEAM_TOKEN"]).stdout.contains("${env:TEAM_TOKEN}"))
        #expect(try run("claude-code", ["--stdio"]).stdout.contains("Authorization") == false, "the bridge binds nothing and needs no token")
        let invalid = try ProxyProcess.run(["client-config", "--client", "cursor", "--token-env", "1; rm -rf ~", "--config", config.path], environment: environment)
        #expect(invalid.status == 64 && invalid.stderr.contains("--token-env must be a variable name"), "\(invalid.stderr)")
    }

    @Test("client_auth: bearer: the printed `claude mcp add`, run by a shell, passes a header the running proxy accepts")
    func bearerClaudeCodeCommand() async throws {
        let upstream = try await TestUpstream(secret: environment["CC_SECRET"]!)
        let port = try TestPorts.free()
        let config = bearerConfig(upstreamPort: upstream.port, port: port)
        let environment = environment.merging(["ALICE_TOKEN": Self.token]) { a, _ in a }
        let printed = try ProxyProcess.run(["client-config", "--client", "claude-code", "--config", config.path], environment: environment)
        #expect(printed.stdout.hasSuffix(#" --header "Authorization: Bearer $MCP_AUTH_PROXY_TOKEN""# + "\n"), "\(printed.stdout)")
        // The shell the user runs it in, with `claude` standing in as a function that prints the
        // header it was given.
        let shell = try ToolProcess.run("/bin/sh", ["-c", #"claude() { while [ $# -gt 0 ]; do [ "$1" = --header ] && printf '%s' "$2"; shift; done; }; "#
                                                      + "MCP_AUTH_PROXY_TOKEN='\(Self.token)'; " + printed.stdout])
        #expect(shell.text == "Authorization: Bearer \(Self.token)")

        let proxy = try ProxyProcess(["--config", config.path], environment: environment)
        #expect(proxy.waitUntilListening(count: 1).count { $0.contains(#""event":"listening""#) } == 1)
        defer { _ = proxy.terminate() }
        for (header, status) in [(shell.text, 200), ("Authorization: Bearer not-alice", 401)] {
            let client = try await RawHTTPClient(port: port)
            try await client.send(.post(headers: [header]))
            #expect(await client.response()?.status == status, "\(header)")
            await client.close()
        }
        #expect(upstream.received.count == 1)
        await upstream.stop()
    }

    @Test("an unknown client is a usage error listing the known ones")
    func unknownClient() throws {
        let output = try run(["--client", "emacs"], config: configFile())
        #expect(output.status == 64)
        #expect(output.stderr.contains("'claude-desktop', 'claude-code', 'cursor' or 'vscode'"))
    }
}
