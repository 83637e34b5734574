import Testing
@testable import ProxyConfig

/// The `aws:` block of `auth_scheme: aws-sigv4`: every source loads, and each mistake is an
/// error at its key with its fix.
@Suite("aws-sigv4 config")
struct AWSConfigTests {
    static func yaml(_ aws: String, extra: String = "") -> String {
        """
        profiles:
          agents:
            upstream_url: https://abc.execute-api.us-east-1.amazonaws.com/prod/mcp
            listen_port: 8931
            auth_scheme: aws-sigv4
        \(extra.isEmpty ? "" : "    " + extra + "\n")    aws:
        \(aws.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n"))
        """
    }

    @Test("each credential source loads", arguments: [
        ("credentials: env", AWSSigningSettings.CredentialSource.environment),
        ("credentials: profile:prod-admin", .profile("prod-admin")),
        ("credentials: command\ncredentials_command: [aws-vault, export, --format=json, prod]", .command(["aws-vault", "export", "--format=json", "prod"])),
        ("credentials: container", .container),
        ("credentials: web_identity", .webIdentity),
        ("", .environment),
    ])
    func sources(line: String, source: AWSSigningSettings.CredentialSource) throws {
        let result = ConfigFixture(["c.yaml": Self.yaml("region: us-east-1\nservice: execute-api\n" + line)]).load("c.yaml")
        let profile = try #require(result.config?.profiles.first, "\(result.diagnostics.map(\.headline))")
        #expect(profile.authScheme == .awsSigV4)
        #expect(profile.aws == AWSSigningSettings(region: "us-east-1", service: "execute-api", credentials: source))
        #expect(profile.credentialHeaders == ["authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"])
        let settings = Dictionary(profile.effectiveSettings.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        #expect(settings["aws.credentials"] == source.description)
    }

    @Test("each mistake is an error at its key", arguments: [
        ("service: lambda", "", "c.yaml:2:3: error: profiles.agents: missing required key `aws.region`"),
        ("region: US East\nservice: lambda", "", "c.yaml:7:15: error: profiles.agents.aws.region: \"US East\" is not an AWS region"),
        ("region: us-east-1\nservice: Lambda!", "", "c.yaml:8:16: error: profiles.agents.aws.service: \"Lambda!\" is not a signing name"),
        ("region: us-east-1\nservice: lambda\ncredentials: enviroment", "", "c.yaml:9:20: error: profiles.agents.aws.credentials: \"enviroment\" is not a credential source"),
        ("region: us-east-1\nservice: lambda\ncredentials: command", "", "c.yaml:2:3: error: profiles.agents: missing required key `aws.credentials_command`"),
        ("region: us-east-1\nservice: lambda\ncredentials_command: [x]", "", "c.yaml:9:28: error: profiles.agents.aws.credentials_command: `credentials_command` is read only with `credentials: command`"),
        ("region: us-east-1\nservice: lambda", "secret_env: KEY", "c.yaml:6:17: error: profiles.agents.secret_env: `auth_scheme: aws-sigv4` signs with AWS credentials"),
    ])
    func mistakes(aws: String, extra: String, expected: String) {
        let errors = ConfigFixture.errors(Self.yaml(aws, extra: extra), environment: ["KEY": "0123456789abcdef"])
        #expect(errors.contains { $0.hasPrefix(expected) }, "got \(errors)")
    }

    @Test("an aws: block under another scheme names the scheme it belongs to")
    func misplacedBlock() {
        let yaml = """
        profiles:
          agents:
            upstream_url: https://mcp.example.com/mcp
            listen_port: 8931
            auth_scheme: none
            aws: {region: us-east-1, service: lambda}
        """
        let errors = ConfigFixture.errors(yaml)
        #expect(errors.contains { $0.contains("`aws:` belongs to `auth_scheme: aws-sigv4`, and this profile uses none") }, "got \(errors)")
    }
}
