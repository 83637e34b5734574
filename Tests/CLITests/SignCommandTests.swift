import Foundation
import Testing

/// `mcp-auth-proxy sign`, the real binary: the documented auth-gateway vectors reproduced from a
/// config, the upstream target the listener would sign, and no secret in any output.
@Suite("mcp-auth-proxy sign")
struct SignCommandTests {
    static let secret = "test-secret-0123456789"
    static let config = """
        profiles:
          prod:
            upstream_url: https://mcp.example.com/mcp
            key_id: prod-key-1
            secret_env: SIGN_TEST_SECRET
            listen_port: 8931
          tenant:
            upstream_url: https://mcp.example.com/v1/mcp
            key_id: prod-key-1
            secret_env: SIGN_TEST_SECRET
            listen_port: 8932
          inhouse:
            upstream_url: https://gw.example.com/v1/mcp
            key_id: team-key-1
            secret_env: SIGN_TEST_SECRET
            listen_port: 8934
            signing:
              encoding: base64
              string_to_sign: "{method}\\n{path}\\n{query}\\n{timestamp}\\n{nonce}\\n{body_sha256}"
              headers: {x-api-key-id: "{key_id}", x-nonce: "{nonce}", x-signature: "v1={signature}"}
          token:
            upstream_url: https://mcp.example.com/mcp
            auth_scheme: bearer
            secret_env: SIGN_TEST_SECRET
            listen_port: 8933

        """

    func sign(_ arguments: [String]) throws -> ProxyProcess.Output {
        try ProxyProcess.run(["sign", "--config", writeConfig(Self.config).path, "--time", "2023-11-14T22:13:20Z"] + arguments,
                             environment: ["SIGN_TEST_SECRET": Self.secret])
    }

    @Test("the documented vectors: the string to sign and the headers, reproducibly")
    func vectors() throws {
        let post = try sign(["--profile", "prod"])
        #expect(post.status == 0, "\(post.stderr)")
        #expect(post.stdout.contains("string to sign (20 bytes):\n  POST\\n/mcp\\n1700000000\n"), "\(post.stdout)")
        #expect(post.stdout.contains("x-signature: 6b3625dc486be4b0537a1d53ae58d0300e931aff49c5b78dbc5200f4e1c05511"))
        #expect(post.stdout.contains("x-api-key-id: prod-key-1") && post.stdout.contains("x-timestamp: 1700000000"))
        let get = try sign(["--profile", "tenant", "--method", "get", "--path", "/mcp?tenant=a%20b"])
        #expect(get.stdout.contains("GET\\n/v1/mcp?tenant=a%20b\\n1700000000"), "\(get.stdout)")
        #expect(get.stdout.contains("x-signature: e7b6a71f12590fb9b064ae1a209a9e5247f230d51581527abbbc368ac1db7ac1"))
    }

    @Test("a credential is described, never printed; a path the listener would not forward is an error")
    func secretsAndMistakes() throws {
        let token = try sign(["--profile", "token"])
        #expect(token.status == 0 && token.stdout.contains("authorization: Bearer <the secret from env SIGN_TEST_SECRET, 22 bytes, hidden>"))
        for output in [token, try sign(["--profile", "prod"])] {
            #expect(!output.stdout.contains(Self.secret) && !output.stderr.contains(Self.secret))
        }
        let outside = try sign(["--profile", "prod", "--path", "/other"])
        #expect(outside.status != 0 && outside.stderr.contains("would not forward"), "\(outside.stderr)")
    }

    @Test("a string-to-sign you write: with a fixed nonce and body, the output is the documented vector")
    func template() throws {
        let body = FileManager.default.temporaryDirectory.appendingPathComponent("sign-body-\(UUID().uuidString).json")
        try Data(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#.utf8).write(to: body)
        let output = try sign(["--profile", "inhouse", "--path", "/mcp?tenant=a", "--nonce", "n-123", "--body", body.path])
        #expect(output.status == 0, "\(output.stderr)")
        // Computed independently: sha256(body) hex, then HMAC-SHA256 over the string, base64 (Python's hashlib and hmac).
        let digest = "b9e9dd030c7c21f7951be2c67c4f74cf2ef76960e7355887b6afa33c074df553"
        #expect(output.stdout.contains("POST\\n/v1/mcp\\ntenant=a\\n1700000000\\nn-123\\n\(digest)\n"), "\(output.stdout)")
        #expect(output.stdout.contains("x-nonce: n-123"))
        #expect(output.stdout.contains("x-signature: v1=gMT2W8+YyX/hFbIMPHmmtzZcuitz9P4gNHeQJw7G9QE="), "\(output.stdout)")
    }

    @Test("aws-sigv4: the canonical request, string to sign and credential scope; the headers match botocore's, the token hidden")
    func sigv4() throws {
        let config = writeConfig("""
            profiles:
              agentcore:
                upstream_url: https://mcp.example.com:8443/v1/mcp
                auth_scheme: aws-sigv4
                listen_port: 8935
                aws: {region: eu-west-1, service: bedrock-agentcore}

            """)
        let body = FileManager.default.temporaryDirectory.appendingPathComponent("sign-body-\(UUID().uuidString).json")
        try Data(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#.utf8).write(to: body)
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
        let environment = ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": "FQoGZXIvYXdzEXAMPLETOKEN//+=="]
        let output = try ProxyProcess.run(["sign", "--config", config.path, "--profile", "agentcore", "--time", "2026-12-01T12:00:00Z", "--body", body.path],
                                          environment: environment)
        #expect(output.status == 0, "\(output.stderr)")
        let digest = "b9e9dd030c7c21f7951be2c67c4f74cf2ef76960e7355887b6afa33c074df553"
        #expect(output.stdout.contains("canonical request (") && output.stdout.contains(
            "POST\\n/v1/mcp\\n\\nhost:mcp.example.com:8443\\nx-amz-content-sha256:\(digest)\\nx-amz-date:20261201T120000Z\\n"
            + "x-amz-security-token:<the session token, 29 bytes, hidden>\\n\\nhost;x-amz-content-sha256;x-amz-date;x-amz-security-token\\n\(digest)\n"), "\(output.stdout)")
        #expect(output.stdout.contains("AWS4-HMAC-SHA256\\n20261201T120000Z\\n20261201/eu-west-1/bedrock-agentcore/aws4_request\\n"))
        #expect(output.stdout.contains("credential scope: 20261201/eu-west-1/bedrock-agentcore/aws4_request"))
        // botocore 1.44's SigV4Auth over the same request (see SigV4Tests).
        #expect(output.stdout.contains("Signature=fe58c875b2e9dde6078f7f581367726fe395dbd25420d495b2cafb8e6939d5c1"), "\(output.stdout)")
        #expect(output.stdout.contains("x-amz-security-token: <the session token, 29 bytes, hidden>"))
        for hidden in [secret, "FQoGZXIvYXdzEXAMPLETOKEN"] { #expect(!output.stdout.contains(hidden) && !output.stderr.contains(hidden)) }
        let none = try ProxyProcess.run(["sign", "--config", config.path, "--profile", "agentcore"], environment: [:])
        #expect(none.status != 0 && none.stderr.contains("AWS_ACCESS_KEY_ID is not set"), "\(none.stderr)")
    }
}
