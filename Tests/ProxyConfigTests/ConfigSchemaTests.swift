import Foundation
@testable import ProxyConfig
import Testing

/// The generated JSON Schema must say what the loader says: every key of `SchemaKeys`, and value
/// patterns that accept exactly what the loader's own parsers accept on a spread of samples.
@Suite("JSON Schema generated from the key tables")
struct ConfigSchemaTests {
    /// The value schema of a profile key, as printed.
    func valueSchema(_ key: String) throws -> [String: Any] {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(ConfigSchema.text.utf8)) as? [String: Any])
        let profile = try #require((document["$defs"] as? [String: Any])?["profile"] as? [String: Any])
        return try #require((profile["properties"] as? [String: Any])?[key] as? [String: Any])
    }

    /// The string pattern of a value schema (inside `anyOf` for kinds that also take integers).
    func stringPattern(_ key: String) throws -> Regex<AnyRegexOutput> {
        let schema = try valueSchema(key)
        let candidates = [schema] + ((schema["anyOf"] as? [[String: Any]]) ?? [])
        let pattern = try #require(candidates.compactMap { $0["pattern"] as? String }.first)
        return try Regex(pattern)
    }

    func matches(_ regex: Regex<AnyRegexOutput>, _ text: String) -> Bool {
        (try? regex.firstMatch(in: text)) != nil
    }

    @Test("every profile, signing and admin key is in the schema with its summary, and nothing else")
    func everyKey() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(ConfigSchema.text.utf8)) as? [String: Any])
        let profile = try #require((document["$defs"] as? [String: Any])?["profile"] as? [String: Any])
        let properties = try #require(profile["properties"] as? [String: [String: Any]])
        #expect(Set(properties.keys) == Set(SchemaKeys.profile))
        #expect(profile["additionalProperties"] as? Bool == false)
        for key in SchemaKeys.profileKeys {
            #expect(properties[key.name]?["description"] as? String == key.summary)
        }
        let signing = try #require(properties["signing"]?["properties"] as? [String: Any])
        #expect(Set(signing.keys) == Set(SchemaKeys.signing))
        let root = try #require(document["properties"] as? [String: [String: Any]])
        #expect(Set(root.keys) == Set(SchemaKeys.root))
        let defaults = try #require((root["defaults"]?["anyOf"] as? [[String: Any]])?.first?["properties"] as? [String: Any])
        #expect(Set(defaults.keys) == Set(SchemaKeys.defaults))
        #expect(defaults["upstream_url"] == nil)
        let admin = try #require((root["admin"]?["anyOf"] as? [[String: Any]])?.first?["properties"] as? [String: Any])
        #expect(Set(admin.keys) == Set(SchemaKeys.admin))
    }

    @Test("choices are the loader's enum cases")
    func choices() throws {
        #expect(try valueSchema("auth_scheme")["enum"] as? [String] == Profile.AuthScheme.allCases.map(\.rawValue))
        #expect(try valueSchema("upstream_streaming")["enum"] as? [String] == ["auto", "on", "off"])
    }

    @Test("the duration pattern accepts exactly what ConfigDuration.parse accepts")
    func durations() throws {
        let regex = try stringPattern("connect_timeout")
        let samples = ["15s", "250ms", "5m", "1h", "0s", "0ms", "007s", "15", "s", "1.5s", "15 s", "-1s", "15S", "1d", "1hh", "", " 1s"]
        for sample in samples {
            #expect(matches(regex, sample) == (ConfigDuration.parse(sample) != nil), "\(sample)")
        }
    }

    @Test("the size pattern accepts exactly what ByteSize.parse accepts")
    func sizes() throws {
        let regex = try stringPattern("max_request_body")
        let samples = ["1048576", "512KiB", "4MiB", "1GiB", "1KB", "1MB", "1GB", "10B", "0", "0KiB", "4 MiB", "4mib", "4TiB", "MiB", "-1", "1.5MiB"]
        for sample in samples {
            #expect(matches(regex, sample) == (ByteSize.parse(sample) != nil), "\(sample)")
        }
    }

    @Test("the port pattern accepts exactly 1 through 65535")
    func ports() throws {
        let regex = try stringPattern("listen_port")
        let samples = ["1", "80", "0080", "8931", "9999", "10000", "59999", "64999", "65499", "65529", "65535", "65536", "70000", "0", "00", "", "8o", "-1", "100000"]
        for sample in samples {
            let expected = Int(sample).map { (1...65535).contains($0) && sample.allSatisfy(\.isNumber) } ?? false
            #expect(matches(regex, sample) == expected, "\(sample)")
        }
    }

    @Test("header names: the pattern is the RFC 9110 token rule, and reserved headers are refused in any case")
    func headerNames() throws {
        let schema = try valueSchema("auth_header")
        let token = try Regex(try #require(schema["pattern"] as? String))
        for byte in UInt8(0x20)...UInt8(0x7E) {
            let name = "x" + String(UnicodeScalar(byte)) + "y"
            #expect(matches(token, name) == TokenRules.isHeaderName(name), "\(name)")
        }
        let reserved = try Regex(try #require((schema["not"] as? [String: Any])?["pattern"] as? String))
        for header in TokenRules.reservedHeaders {
            #expect(matches(reserved, header) && matches(reserved, header.uppercased()))
        }
        #expect(!matches(reserved, "x-api-key") && !matches(reserved, "authorization") && !matches(reserved, "hosts"))
    }

    @Test("environment variable names: visible ASCII without `=`")
    func environmentNames() throws {
        let regex = try stringPattern("secret_env")
        for sample in ["PROD_MCP_SECRET", "a", "A=B", "A B", "", "ÄB", "X-1"] {
            let loader = !sample.isEmpty && !sample.contains("=") && TokenRules.isVisibleASCII(sample)
            #expect(matches(regex, sample) == loader, "\(sample)")
        }
    }

    @Test("an empty secret or certificate key is reported, never a profile that silently disappears")
    func emptySourceKeys() {
        let secret = ConfigFixture.errors(profileYAML().replacingOccurrences(of: "secret_env: SECRET", with: "secret_env:"))
        #expect(secret.contains { $0.contains("missing required key `secret_env`") }, "\(secret)")
        let certificate = ConfigFixture.errors(profileYAML("client_cert_file:\nclient_key_file: /nonexistent/key.pem"))
        #expect(certificate.contains { $0.contains("`client_key_file` needs `client_cert_file`") }, "\(certificate)")
    }

    @Test("a profile's secret_command replaces the secret_env of defaults:")
    func commandReplacesDefaultSecret() {
        let yaml = "defaults:\n  secret_env: SECRET\n" + profileYAML().replacingOccurrences(of: "secret_env: SECRET", with: "secret_command: [printf, 0123456789abcdef-secret]")
        let fixture = ConfigFixture(["c.yaml": yaml])
        let result = fixture.load("c.yaml")
        #expect(result.diagnostics.errors.isEmpty, "\(result.diagnostics)")
        #expect(result.config?.profiles.first?.secret.source == .command(program: "printf"))
    }
}
