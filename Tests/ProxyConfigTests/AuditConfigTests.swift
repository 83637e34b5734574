import Foundation
import ProxyConfig
import Testing

@Suite("audit: config")
struct AuditConfigTests {
    @Test("the audit block: a file or stderr, arguments sha256 by default, redaction patterns")
    func parsed() throws {
        let directory = NSTemporaryDirectory() + "audit-config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let yaml = "audit:\n  path: \(directory)/audit.jsonl\n  redact: [password, \"*secret*\"]\n" + profileYAML()
        let config = try #require(ConfigFixture(["c.yaml": yaml]).load("c.yaml").config)
        let audit = try #require(config.audit)
        #expect(audit.destination == .file("\(directory)/audit.jsonl") && audit.arguments == .sha256 && audit.redact == ["password", "*secret*"])
        let toStderr = try #require(ConfigFixture(["c.yaml": "audit:\n  path: stderr\n  arguments: full\n" + profileYAML()]).load("c.yaml").config?.audit)
        #expect(toStderr.destination == .stderr && toStderr.arguments == .full)
        #expect(ConfigFixture(["c.yaml": profileYAML()]).load("c.yaml").config?.audit == nil)
    }

    @Test("mistakes name the key and the fix", arguments: [
        ("audit:\n  arguments: sha256\n", "missing required key `path`"),
        ("audit:\n  path: audit.jsonl\n", "\"audit.jsonl\" is not an absolute path"),
        ("audit:\n  path: /no/such/dir/audit.jsonl\n", "the directory \"/no/such/dir\" does not exist"),
        ("audit:\n  path: stderr\n  arguments: md5\n", "\"md5\" is not one of omit, sha256, full"),
        ("audit:\n  path: stderr\n  redact: password\n", "`audit.redact` must be a list of argument key patterns"),
        ("audit:\n  path: stderr\n  redcat: [x]\n", "redcat"),
        ("audit: stderr\n", "expected a mapping with path, arguments and redact"),
    ])
    func mistakes(_ block: String, _ expected: String) {
        let errors = ConfigFixture.errors(block + profileYAML())
        #expect(errors.contains { $0.contains(expected) }, "\(errors)")
    }
}
