import Foundation
import Testing

@Suite("mcp-auth-proxy check")
struct CheckCommandTests {
    let secrets = ["PROD_MCP_SECRET": "prod-secret-value-0123456789", "STAGING_MCP_SECRET": "staging-secret-value-0123456789"]

    @Test("the example profiles pass once their secrets are set, and no secret is printed")
    func example() throws {
        let output = try ProxyProcess.run(["check", "--config", "profiles/example.yaml"], environment: secrets)
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("profile prod: http://127.0.0.1:8931/mcp -> https://mcp.example.com/mcp"))
        #expect(output.stdout.contains("env PROD_MCP_SECRET (28 bytes, value hidden)"))
        #expect(output.stdout.contains("profiles/example.yaml:24"))
        #expect(!output.stdout.contains("prod-secret-value") && !output.stderr.contains("prod-secret-value"))
    }

    @Test("check shows whether the admin listener is on, and where its port came from")
    func admin() throws {
        let off = try ProxyProcess.run(["check", "--config", "profiles/example.yaml"], environment: secrets)
        #expect(off.stdout.contains("admin: off") && off.stdout.contains("audit: off") && off.stdout.contains("otel: off"))
        let on = try ProxyProcess.run(["check", "--config", "profiles/example.yaml"],
                                      environment: secrets.merging(["MCP_AUTH_PROXY_ADMIN_PORT": "9555"]) { a, _ in a })
        #expect(on.status == 0, "\(on.stderr)")
        #expect(on.stdout.contains("admin: http://127.0.0.1:9555 serves /healthz /readyz /metrics (port from env MCP_AUTH_PROXY_ADMIN_PORT)"), "\(on.stdout)")
    }

    @Test("without the secrets, every error is listed and the exit code is 78")
    func missingSecrets() throws {
        let output = try ProxyProcess.run(["check", "--config", "profiles/example.yaml"])
        #expect(output.status == 78)
        #expect(output.stderr.contains("profiles/example.yaml:24:17: error: profiles.prod.secret_env: the environment variable PROD_MCP_SECRET is not set"))
        #expect(output.stderr.contains("STAGING_MCP_SECRET is not set"))
    }

    @Test("--json prints one JSON document with the effective settings and their origins")
    func json() throws {
        let output = try ProxyProcess.run(["check", "--config", "profiles/example.yaml", "--profile", "staging", "--json"], environment: secrets)
        #expect(output.status == 0)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        #expect(document["valid"] as? Bool == true)
        let profiles = try #require(document["profiles"] as? [[String: Any]])
        #expect(profiles.map { $0["name"] as? String } == ["staging"])
        let settings = try #require(profiles.first?["settings"] as? [[String: String]])
        #expect(settings.first { $0["key"] == "listen_port" }?["value"] == "8932")
        #expect(!output.stdout.contains("staging-secret-value"))
    }

    @Test("a broken file is reported with file, line and column, exit 78")
    func broken() throws {
        let config = writeConfig("profiles:\n  prod:\n    upstream_url: htps://x\n    key_id: k\n    secret_env: S\n    listen_port: 80a\n    allow_remote: yes\n")
        let output = try ProxyProcess.run(["check", "--config", config.path], environment: ["S": "0123456789abcdef"])
        #expect(output.status == 78)
        #expect(output.stderr.contains("proxy.yaml:3:19: error: profiles.prod.upstream_url: \"htps://x\" is not an http(s) URL"))
        #expect(output.stderr.contains("proxy.yaml:6:18: error: profiles.prod.listen_port: \"80a\" is not a port number (1-65535)"))
        #expect(output.stderr.contains("proxy.yaml:7:19: error: profiles.prod.allow_remote: \"yes\" is not a boolean"))
        #expect(output.stderr.contains("3 error(s)"))
    }

    @Test("a CR or LF in a bad value is printed escaped, never raw; a Unix listener that cannot bind is named by its path")
    func controlCharactersAndUnixPaths() throws {
        let config = writeConfig("profiles:\n  prod:\n    upstream_url: \"http://127.0.0.1:1/mcp\\r\\nX-Evil: 1\"\n    key_id: k\n    secret_env: S\n    listen_port: 8931\n")
        let output = try ProxyProcess.run(["check", "--config", config.path], environment: ["S": "0123456789abcdef"])
        #expect(output.status == 78)
        #expect(!output.stderr.contains("\r") && output.stderr.contains("\\u{d}\\u{a}X-Evil"), "\(output.stderr)")
        let unix = writeConfig("profiles:\n  prod:\n    upstream_url: http://127.0.0.1:1/mcp\n    key_id: k\n    secret_env: S\n    listen_unix: /nonexistent-dir/prod.sock\n")
        let run = try ProxyProcess.run(["--config", unix.path], environment: ["S": "0123456789abcdef"])
        #expect(run.status == 1)
        #expect(run.stderr.contains(#""listen":"unix:/nonexistent-dir/prod.sock""#) && !run.stderr.contains("127.0.0.1:0"), "\(run.stderr)")
    }

    @Test("an unknown profile lists the known ones")
    func unknownProfile() throws {
        let output = try ProxyProcess.run(["check", "--config", "profiles/example.yaml", "--profile", "prd"], environment: secrets)
        #expect(output.status == 78)
        #expect(output.stderr.contains("no profile named `prd`"))
        #expect(output.stderr.contains("known profiles: prod, staging"))
    }

    @Test("bad command-line usage exits 64")
    func usage() throws {
        #expect(try ProxyProcess.run(["check", "--no-such-flag"]).status == 64)
        #expect(try ProxyProcess.run(["--log-level", "loud"]).status == 64)
    }

    @Test("an aws-sigv4 profile: check says whether its credential source is there, never a secret")
    func awsSource() throws {
        let config = writeConfig("""
            profiles:
              agents:
                upstream_url: https://abc.execute-api.us-east-1.amazonaws.com/prod/mcp
                auth_scheme: aws-sigv4
                listen_port: 8936
                aws: {region: us-east-1, service: execute-api}

            """)
        let absent = try ProxyProcess.run(["check", "--config", config.path])
        #expect(absent.status == 0 && absent.stdout.contains("NOT FOUND: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY not set"), "\(absent.stdout)")
        let present = try ProxyProcess.run(["check", "--config", config.path],
                                           environment: ["AWS_ACCESS_KEY_ID": "AKIACHECK", "AWS_SECRET_ACCESS_KEY": "check-secret-value"])
        #expect(present.stdout.contains("long-term keys in the environment") && present.stdout.contains("aws.service"), "\(present.stdout)")
        #expect(!present.stdout.contains("check-secret-value"))
    }
}

