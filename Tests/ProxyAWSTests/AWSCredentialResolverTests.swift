import Foundation
import NIOPosix
import ProxyConfig
import ProxySigning
import ProxyTestSupport
import Testing
@testable import ProxyAWS
@testable import ProxyOAuth

/// Each credential source, asked the way the proxy asks it: real files, a real program, and real
/// HTTP servers on 127.0.0.1 standing where the container endpoint and STS stand.
@Suite("AWS credential sources")
struct AWSCredentialResolverTests {
    static let http = OAuthHTTPClient(group: MultiThreadedEventLoopGroup.singleton, timeout: .seconds(5))

    static func resolver(_ source: AWSSigningSettings.CredentialSource, _ environment: [String: String]) -> AWSCredentialResolver {
        AWSCredentialResolver(settings: AWSSigningSettings(region: "us-east-1", service: "lambda", credentials: source), environment: environment, http: http)
    }

    /// A fresh directory for a case's files.
    static func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("aws-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// An executable that prints `json` (and records its arguments next to itself).
    static func credentialProgram(in directory: String, printing json: String) throws -> String {
        let path = directory + "/creds"
        try "#!/bin/sh\necho \"$@\" > \"$0.args\"\ncat <<'JSON'\n\(json)\nJSON\n".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o700)
        return path
    }

    static let processJSON = #"{"Version": 1, "AccessKeyId": "ASIAPROCESS", "SecretAccessKey": "process-secret", "SessionToken": "process-token", "Expiration": "2099-01-01T00:00:00Z"}"#

    @Test("env: the three variables, the token optional")
    func environment() async throws {
        let full = try await Self.resolver(.environment, ["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "env-token"]).resolve()
        #expect(full == AWSCredentials(accessKeyID: "AKIAENV", secretAccessKey: Array("env-secret".utf8), sessionToken: "env-token"))
        let long = try await Self.resolver(.environment, ["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret"]).resolve()
        #expect(long.sessionToken == nil)
        await #expect(throws: AWSCredentialResolver.Failure.self) { try await Self.resolver(.environment, ["AWS_ACCESS_KEY_ID": "AKIAENV"]).resolve() }
        do {
            _ = try await Self.resolver(.environment, [:]).resolve()
        } catch {
            #expect("\(error)" == "AWS_ACCESS_KEY_ID is not set (credentials: env)")
        }
    }

    @Test("profile: static keys from the credentials file win over config; credential_process runs split like a shell line")
    func sharedFiles() async throws {
        let home = try Self.directory()
        let program = try Self.credentialProgram(in: home, printing: Self.processJSON)
        try FileManager.default.createDirectory(atPath: home + "/.aws", withIntermediateDirectories: true)
        try """
        # comment
        [default]
        aws_access_key_id = AKIADEFAULT
        aws_secret_access_key = default-secret

        [static]
        aws_access_key_id = AKIASTATIC
        aws_secret_access_key = static-secret
        """.write(toFile: home + "/.aws/credentials", atomically: true, encoding: .utf8)
        try """
        [profile static]
        aws_access_key_id = AKIAFROMCONFIG
        region = eu-west-1
        [profile vault]
        credential_process = \(program) export --format "json with space" 'literal $HOME'
        s3 =
          max_concurrent_requests = 2
        [profile chained]
        role_arn = arn:aws:iam::123456789012:role/x
        source_profile = default
        """.write(toFile: home + "/.aws/config", atomically: true, encoding: .utf8)
        let environment = ["HOME": home, "PATH": "/usr/bin:/bin"]
        let fromDefault = try await Self.resolver(.profile("default"), environment).resolve()
        #expect(fromDefault.accessKeyID == "AKIADEFAULT")
        let fromStatic = try await Self.resolver(.profile("static"), environment).resolve()
        #expect(fromStatic.accessKeyID == "AKIASTATIC")
        let fromProcess = try await Self.resolver(.profile("vault"), environment).resolve()
        #expect(fromProcess == AWSCredentials(accessKeyID: "ASIAPROCESS", secretAccessKey: Array("process-secret".utf8),
                                              sessionToken: "process-token", expiration: 4_070_908_800))
        #expect(try String(contentsOfFile: program + ".args", encoding: .utf8) == "export --format json with space literal $HOME\n")
        await #expect { try await Self.resolver(.profile("chained"), environment).resolve() } throws: { "\($0)".contains("credential_process = aws configure export-credentials --profile chained") }
        await #expect { try await Self.resolver(.profile("missing"), environment).resolve() } throws: { "\($0)".hasPrefix("no profile missing in \(home)/.aws/credentials") }
    }

    @Test("command: the credential_process JSON; a bad answer says what is wrong and never quotes stdout")
    func command() async throws {
        let directory = try Self.directory()
        let good = try Self.credentialProgram(in: directory, printing: Self.processJSON)
        let credentials = try await Self.resolver(.command([good]), ["PATH": "/usr/bin:/bin"]).resolve()
        #expect(credentials.accessKeyID == "ASIAPROCESS" && credentials.expiration == 4_070_908_800)
        let noVersion = try Self.credentialProgram(in: try Self.directory(), printing: #"{"AccessKeyId": "A", "SecretAccessKey": "leaked-secret"}"#)
        await #expect { try await Self.resolver(.command([noVersion]), [:]).resolve() } throws: {
            "\($0)".contains("no \"Version\": 1") && !"\($0)".contains("leaked-secret")
        }
        await #expect { try await Self.resolver(.command(["/bin/false"]), [:]).resolve() } throws: { "\($0)".contains("exited with status 1") }
    }

    @Test("container: the full URI with the token file's token, read at every fetch")
    func container() async throws {
        let endpoint = try await ScriptedHTTPServer { request in
            guard request.header("authorization") == "pod-identity-token" else { return .init(status: 403, body: "{}") }
            return .init(body: #"{"AccessKeyId":"ASIACONTAINER","SecretAccessKey":"container-secret","Token":"container-token","Expiration":"2099-01-01T00:00:00Z"}"#)
        }
        defer { Task { await endpoint.stop() } }
        let directory = try Self.directory()
        try "pod-identity-token\n".write(toFile: directory + "/token", atomically: true, encoding: .utf8)
        let environment = ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:\(endpoint.port)/v1/credentials",
                           "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": directory + "/token"]
        let credentials = try await Self.resolver(.container, environment).resolve()
        #expect(credentials == AWSCredentials(accessKeyID: "ASIACONTAINER", secretAccessKey: Array("container-secret".utf8),
                                              sessionToken: "container-token", expiration: 4_070_908_800))
        #expect(endpoint.received.first?.target == "/v1/credentials")
        try "rotated".write(toFile: directory + "/token", atomically: true, encoding: .utf8)
        await #expect { try await Self.resolver(.container, environment).resolve() } throws: { "\($0)".contains("answered 403") }
        // Plain http elsewhere than loopback or the ECS/EKS addresses is never asked.
        await #expect { try await Self.resolver(.container, ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://10.0.0.1/creds"]).resolve() } throws: {
            "\($0)".contains("must be https")
        }
    }

    @Test("web identity: AssumeRoleWithWebIdentity with the token file, at AWS_ENDPOINT_URL_STS; STS's error is quoted")
    func webIdentity() async throws {
        let sts = try await ScriptedHTTPServer { request in
            let form = Dictionary(FormEncoding.decode(Substring(request.body)), uniquingKeysWith: { first, _ in first })
            guard form["Action"] == "AssumeRoleWithWebIdentity", form["Version"] == "2011-06-15", form["WebIdentityToken"] == "eyJ.oidc.jwt" else {
                return .init(status: 400, contentType: "text/xml", body: "<ErrorResponse><Error><Code>InvalidIdentityToken</Code><Message>bad &amp; expired</Message></Error></ErrorResponse>")
            }
            return .init(contentType: "text/xml", body: """
            <AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>
            <Credentials><SessionToken>sts-token+/=</SessionToken><SecretAccessKey>sts-secret</SecretAccessKey>
            <Expiration>2099-01-01T00:00:00Z</Expiration><AccessKeyId>ASIASTS</AccessKeyId></Credentials>
            </AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>
            """)
        }
        defer { Task { await sts.stop() } }
        let directory = try Self.directory()
        try "eyJ.oidc.jwt\n".write(toFile: directory + "/token", atomically: true, encoding: .utf8)
        var environment = ["AWS_WEB_IDENTITY_TOKEN_FILE": directory + "/token", "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/mcp",
                           "AWS_ROLE_SESSION_NAME": "agents", "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:\(sts.port)/"]
        let credentials = try await Self.resolver(.webIdentity, environment).resolve()
        #expect(credentials == AWSCredentials(accessKeyID: "ASIASTS", secretAccessKey: Array("sts-secret".utf8), sessionToken: "sts-token+/=", expiration: 4_070_908_800))
        let form = Dictionary(FormEncoding.decode(Substring(sts.received[0].body)), uniquingKeysWith: { first, _ in first })
        #expect(form["RoleArn"] == "arn:aws:iam::123456789012:role/mcp" && form["RoleSessionName"] == "agents")
        try "other".write(toFile: directory + "/token", atomically: true, encoding: .utf8)
        await #expect { try await Self.resolver(.webIdentity, environment).resolve() } throws: { "\($0)".hasSuffix("failed: InvalidIdentityToken: bad & expired") }
        environment["AWS_ROLE_ARN"] = nil
        await #expect { try await Self.resolver(.webIdentity, environment).resolve() } throws: { "\($0)" == "AWS_ROLE_ARN is not set (credentials: web_identity)" }
    }

    @Test("credential_process lines split like POSIX shell words", arguments: [
        (#"aws-vault export --format=json prod"#, ["aws-vault", "export", "--format=json", "prod"] as [String]?),
        (#"/opt/x "a b" 'c "d"' e\ f"#, ["/opt/x", "a b", #"c "d""#, "e f"]),
        (#"x "" ''"#, ["x", "", ""]),
        (#"x "open"#, nil),
    ])
    func commandLines(line: String, words: [String]?) {
        #expect(SharedConfigFiles.splitCommandLine(line) == words)
    }
}
