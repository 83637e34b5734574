import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import ProxyTestSupport
@testable import ProxyConfig

/// `secret_command`: real scripts run without a shell, their stdout the secret, every failure a
/// diagnostic at the key that quotes stderr and never stdout.
@Suite("secret_command")
struct SecretCommandTests {
    static let environment = ["PATH": "/usr/bin:/bin", "HOME": "/tmp", "SEED": "seed-value", "OTHER": "not-passed"]

    /// A profile whose secret is `script`, written beside the config and run as `/bin/sh script`:
    /// executing the freshly written file itself fails now and then with ETXTBSY, when another
    /// test forks while the write descriptor is open and the child holds a copy of it.
    func load(script: String, extra: String = "") -> (ConfigLoadResult, ConfigFixture) {
        let fixture = ConfigFixture()
        fixture.write("secret.sh", "#!/bin/sh\n" + script + "\n", mode: 0o700)
        fixture.write("c.yaml", """
        profiles:
          prod:
            upstream_url: https://mcp.example.com/mcp
            key_id: k1
            listen_port: 8931
            secret_command: [/bin/sh, "\(fixture.path("secret.sh"))", "an argument"]
        \(extra.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        """)
        return (fixture.load("c.yaml", environment: Self.environment), fixture)
    }

    func secret(_ result: ConfigLoadResult) -> String? {
        result.config?.profiles.first.map { String(decoding: $0.secret.bytes, as: UTF8.self) }
    }

    @Test("stdout minus one trailing line end (LF or CRLF) is the secret; spaces and # survive; arguments arrive")
    func success() throws {
        let (result, _) = load(script: #"printf 'my secret # with spaces %s\r\n' "$1""#)
        #expect(secret(result) == "my secret # with spaces an argument")
        #expect(result.config?.profiles.first?.secret.source == .command(program: "/bin/sh"))
        let settings = result.config?.profiles.first?.effectiveSettings.first { $0.key == "secret" }
        #expect(settings?.value.hasPrefix("command ") == true && settings?.value.contains("value hidden") == true)
    }

    @Test("the command sees PATH, HOME and the variables named in secret_command_env only, and a closed stdin")
    func minimalEnvironment() {
        let (result, _) = load(script: #"read line; printf '%s|%s|%s|%s' "$SEED" "$OTHER" "$HOME" "${line:-eof}""#, extra: "secret_command_env: [SEED]")
        #expect(secret(result) == "seed-value||/tmp|eof")
    }

    @Test("the command inherits stdin, stdout and stderr only, not the proxy's other descriptors")
    func noInheritedDescriptors() throws {
        // A descriptor without close-on-exec, as NIO opens its sockets.
        var descriptors: [Int32] = [0, 0]
        try #require(pipe(&descriptors) == 0)
        defer { descriptors.forEach { close($0) } }
        let (result, _) = load(script: "for fd in \(descriptors[0]) \(descriptors[1]); do [ -e /proc/$$/fd/$fd ] && printf 'inherited %s ' $fd; done; echo clean")
        #expect(secret(result) == "clean")
    }

    @Test("a non-zero exit is an error at the key quoting stderr, never stdout")
    func failure() throws {
        let (result, _) = load(script: "echo do-not-leak-stdout; echo 'vault is sealed' >&2; exit 3")
        let error = try #require(result.diagnostics.errors.first)
        #expect(error.headline.contains("c.yaml:6:21: error: profiles.prod.secret_command:"), "\(error.headline)")
        #expect(error.message.contains("exited with status 3") && error.message.contains("stderr: vault is sealed"))
        #expect(!result.diagnostics.map(\.description).joined().contains("do-not-leak-stdout"))
    }

    @Test("a command past secret_command_timeout is killed and reaped, and reported")
    func timeout() throws {
        let started = Date()
        let (result, fixture) = load(script: "echo $$ > \"$(dirname \"$0\")/pid\"; exec sleep 30", extra: "secret_command_timeout: 300ms")
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(result.diagnostics.errors.first?.message.contains("did not finish within 300ms and was killed") == true)
        let pid = try String(contentsOfFile: fixture.path("pid"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!FileManager.default.fileExists(atPath: "/proc/\(pid)"), "killed and reaped: no process, no zombie")
    }

    @Test("a timed-out command's own children end with it: the whole process group is killed")
    func timeoutKillsGroup() async throws {
        let (result, fixture) = load(script: "sleep 301 & echo $! > \"$(dirname \"$0\")/child\"; wait", extra: "secret_command_timeout: 300ms")
        #expect(result.diagnostics.errors.first?.message.contains("was killed") == true)
        let child = try String(contentsOfFile: fixture.path("child"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        // The grandchild is killed at once; init reaps it, which can take a moment.
        // A container's init may never reap it: a zombie counts as ended.
        func running() -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8) else { return false }
            return stat.split(separator: ")").last?.split(separator: " ").first != "Z"
        }
        #expect(await eventually(polling: .milliseconds(20)) { !running() }, "the grandchild `sleep 301` is gone, not adopted by init and left running")
    }

    @Test("empty output, huge output and a missing program are errors", arguments: [
        ("true", "printed nothing on stdout"),
        ("head -c 100000 /dev/zero | tr '\\0' a", "printed more than 64 KiB"),
        ("exec /nonexistent/program", "exited with status"),
    ])
    func badOutput(script: String, expected: String) {
        let (result, _) = load(script: script)
        #expect(result.diagnostics.errors.first?.message.contains(expected) == true, "\(result.diagnostics.map(\.message))")
    }

    @Test("secret_command with another source, or not a list, is an error")
    func misuse() {
        let (both, _) = load(script: "echo x", extra: "secret_env: SEED")
        #expect(both.diagnostics.errors.contains { $0.message.contains("`secret_command` is set together with `secret_env`") })
        let fixture = ConfigFixture(["c.yaml": profileYAML().replacingOccurrences(of: "secret_env: SECRET", with: "secret_command: op read x")])
        let scalar = fixture.load("c.yaml").diagnostics.errors.map(\.message)
        #expect(scalar.contains { $0.contains("expected a list of program and arguments") }, "\(scalar)")
    }
}
