import Foundation
import Testing
@testable import ProxyConfig

/// A secret becomes header bytes (or an HMAC key): one with a line break, a NUL, a control
/// character or surrounding blanks is refused where it is loaded, with a diagnostic that names
/// its source and never its bytes.
@Suite("secret values")
struct SecretValueTests {
    static let bad: [(String, String)] = [
        ("tok-0123456789abcdef\r\nX-Injected: yes", "line break"),
        ("tok-0123456789abcdef\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1", "line break"),
        ("\n\ntok-0123456789abcdef", "line break"),
        ("tok-0123456789\u{0}abcdef", "NUL"),
        ("tok-0123456789\u{1B}abcdef", "control character"),
        (" tok-0123456789abcdef", "space or tab"),
        ("tok-0123456789abcdef\t", "space or tab"),
    ]

    static func config(scheme: String, source: String) -> String {
        """
        profiles:
          p:
            upstream_url: https://mcp.example.com/mcp
            auth_scheme: \(scheme)
        \(scheme == "header" ? "    auth_header: x-api-key\n" : "")\(scheme == "auth-gateway" ? "    key_id: k\n" : "")    \(source)
            listen_port: 8931
        """
    }

    @Test("a secret from env, a file or a command that would break its header line is an error naming the source, not the value",
          arguments: ["bearer", "header", "auth-gateway"])
    func refused(scheme: String) throws {
        for (value, problem) in Self.bad {
            let fixture = ConfigFixture()
            fixture.write("secret.sh", "printf '%s' \"$SECRET_VALUE\"\n")
            fixture.write("secret.bin", value)
            let command = "secret_command: [/bin/sh, \"\(fixture.path("secret.sh"))\"]\n    secret_command_env: [SECRET_VALUE]"
            // A NUL cannot cross a process environment: the command case needs the others.
            let sources = ["secret_env: S", "secret_file: \(fixture.path("secret.bin"))"] + (value.contains("\u{0}") ? [] : [command])
            for source in sources {
                fixture.write("c.yaml", Self.config(scheme: scheme, source: source))
                let result = fixture.load("c.yaml", environment: ["S": value, "SECRET_VALUE": value, "PATH": "/usr/bin:/bin"])
                let message = result.diagnostics.errors.map(\.description).joined(separator: "\n")
                #expect(result.config == nil, "\(scheme) \(source) \(value.debugDescription)")
                #expect(message.contains(problem) && message.contains("the secret from"), "\(message)")
                #expect(!message.contains("tok-0123456789"), "the value never appears: \(message)")
            }
        }
    }

    @Test("a file's trailing line ends and a command's last one are removed; nothing else")
    func trailingLineEnds() throws {
        let fixture = ConfigFixture()
        fixture.write("secret.bin", "tok-0123456789abcdef\r\n\n")
        fixture.write("c.yaml", Self.config(scheme: "bearer", source: "secret_file: \(fixture.path("secret.bin"))"))
        let result = fixture.load("c.yaml", environment: [:])
        #expect(result.config?.profiles.first?.secret.bytes == Array("tok-0123456789abcdef".utf8))
    }

    @Test("the rule itself: RFC 9110 field values, by position only")
    func rule() {
        #expect(HeaderFieldValue.problem(in: Array("a b\tc".utf8)) == nil)
        #expect(HeaderFieldValue.problem(in: Array("caf\u{E9}".utf8)) == nil, "obs-text is allowed")
        #expect(HeaderFieldValue.problem(in: Array("ab\rc".utf8)) == .lineBreak(at: 2))
        #expect(HeaderFieldValue.problem(in: [0x61, 0x7F]) == .controlCharacter(at: 1))
        #expect(HeaderFieldValue.problem(in: Array("a ".utf8)) == .surroundingWhitespace)
    }

    @Test("check's text output shows a CR or LF in a bad value escaped, never raw")
    func printableDiagnostics() {
        let diagnostic = Diagnostic(.error, at: .builtInDefault, keyPath: "profiles.p.upstream_url", "\"https://x\r\nX-Evil: 1\" is not a URL", fixIt: "a\nb")
        #expect(!diagnostic.description.contains("\r") && diagnostic.description.components(separatedBy: "\n").count == 2)
        #expect(diagnostic.description.contains("\\u{d}\\u{a}X-Evil"))
    }
}
