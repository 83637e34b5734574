import ProxyConfig
import Testing

/// `signing.string_to_sign` and `signing.headers`: parsed once at load, each mistake an error at
/// its key that says what is wrong.
@Suite("signing templates in the config")
struct SigningTemplateConfigTests {
    static func signing(_ body: String) -> String { "signing:\n" + body.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") }

    @Test("a template is parsed into pieces; without headers the three configured headers carry key id, timestamp and signature")
    func parsed() throws {
        let fixture = ConfigFixture(["c.yaml": profileYAML(Self.signing("string_to_sign: \"{method} {path}?{query} {timestamp} {header:x-tenant} {{x}}\""))])
        let profile = try #require(fixture.load("c.yaml").config?.profiles.first)
        let template = try #require(profile.signing.template)
        #expect(template.stringToSign == [.placeholder(.method), .literal(" "), .placeholder(.path), .literal("?"), .placeholder(.query), .literal(" "),
                                          .placeholder(.timestamp), .literal(" "), .placeholder(.header("x-tenant")), .literal(" {x}")])
        #expect(template.headers.map(\.name) == ["x-api-key-id", "x-timestamp", "x-signature"] && !template.usesBody)
        #expect(profile.signing.ownedHeaders == ["x-api-key-id", "x-timestamp", "x-signature"])
        let plain = try #require(ConfigFixture(["c.yaml": profileYAML()]).load("c.yaml").config?.profiles.first)
        #expect(plain.signing.template == nil, "no template: the auth-gateway string, byte for byte")
    }

    @Test("mistakes are errors that say what is wrong", arguments: [
        ("string_to_sign: \"{method}\\n{pth}\"", "unknown placeholder `{pth}` (did you mean `{path}`?)"),
        ("string_to_sign: \"{method\"", "a `{` without its `}`"),
        ("string_to_sign: \"fixed text\"", "has no placeholder"),
        ("string_to_sign: \"{method}{signature}\"", "cannot contain {signature}"),
        ("string_to_sign: \"{method}\"\nheaders: {x-signature: \"{signature}\", X-Signature: \"{nonce}\"}", "is written twice"),
        ("string_to_sign: \"{method}\"\nheaders: {x-nonce: \"{nonce}\"}", "no header carries {signature}"),
        ("string_to_sign: \"{method}\"\nheaders: {host: \"{signature}\"}", "is not a header a signature can travel in"),
        ("headers: {x-signature: \"{signature}\"}", "`signing.headers` goes with `signing.string_to_sign`"),
    ])
    func mistakes(_ body: String, _ expected: String) {
        let errors = ConfigFixture.errors(profileYAML(Self.signing(body)))
        #expect(errors.contains { $0.contains(expected) }, "\(errors)")
    }
}
