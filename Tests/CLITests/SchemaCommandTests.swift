import Foundation
import Testing

/// `mcp-auth-proxy schema` and the fixtures that `scripts/check-schema` also feeds to
/// check-jsonschema: each invalid fixture must be refused by `check` with the message its first
/// line names, and each valid one accepted, so the schema and the loader are held to the same
/// documents from both sides.
/// Serialized: two dozen `check` processes at once would starve the timing-sensitive socket tests.
@Suite("mcp-auth-proxy schema", .serialized)
struct SchemaCommandTests {
    static let fixtures = ProxyProcess.packageRoot.appendingPathComponent("Tests/SchemaFixtures")
    let environment = ["MCP_SCHEMA_TEST_SECRET": "schema-test-secret-0123456789", "MCP_SCHEMA_TEST_TOKEN": String(repeating: "7a", count: 20)]

    static func fixtureNames(_ kind: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: fixtures.appendingPathComponent(kind).path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted()
    }

    @Test("prints a draft 2020-12 JSON Schema that is the committed docs/config.schema.json")
    func printsSchema() throws {
        let output = try ProxyProcess.run(["schema"])
        #expect(output.status == 0)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        #expect(document["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
        let committed = try String(contentsOf: ProxyProcess.packageRoot.appendingPathComponent("docs/config.schema.json"), encoding: .utf8)
        #expect(output.stdout == committed, "docs/config.schema.json is stale: run `mcp-auth-proxy schema > docs/config.schema.json`")
    }

    @Test("there are fixtures on both sides")
    func fixturesExist() {
        #expect(Self.fixtureNames("valid").count >= 1)
        #expect(Self.fixtureNames("invalid").count >= 20)
    }

    @Test("check refuses every invalid fixture with the message it names", arguments: fixtureNames("invalid"))
    func invalid(_ name: String) throws {
        let path = Self.fixtures.appendingPathComponent("invalid/\(name)").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let firstLine = try #require(text.split(separator: "\n").first)
        #expect(firstLine.hasPrefix("# expect: "), "the first line of \(name) must say which error check reports")
        let expected = String(firstLine.dropFirst("# expect: ".count))
        let output = try ProxyProcess.run(["check", "--config", path], environment: environment)
        #expect(output.status == 78)
        #expect(output.stderr.contains(expected), "\(output.stderr)")
    }

    @Test("check accepts every valid fixture", arguments: fixtureNames("valid"))
    func valid(_ name: String) throws {
        let output = try ProxyProcess.run(["check", "--config", Self.fixtures.appendingPathComponent("valid/\(name)").path], environment: environment)
        #expect(output.status == 0, "\(output.stderr)")
        #expect(!output.stdout.contains("schema-test-secret"))
    }
}
