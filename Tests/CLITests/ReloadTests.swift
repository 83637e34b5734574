import Foundation
import ProxyTestSupport
import Testing

/// Live reload on the real binary: SIGHUP and `--watch`, secrets rotated, profiles added and
/// removed, bad configs refused, all without dropping a request or a stream.
@Suite("mcp-auth-proxy reload")
struct ReloadTests {
    static let first = "first-secret-0123456789abcdef"
    static let second = "second-secret-0123456789abcdef"

    /// A proxy started on a config directory with a secret file, its stderr collected.
    struct Running {
        let process: ProxyProcess
        let log: LogLines
        let directory: URL

        var config: URL { directory.appendingPathComponent("proxy.yaml") }
        var secretFile: URL { directory.appendingPathComponent("secret") }

        func write(config text: String) throws { try text.write(to: config, atomically: true, encoding: .utf8) }
        func write(secret: String) throws {
            try secret.write(to: secretFile, atomically: true, encoding: .utf8)
            chmod(secretFile.path, 0o600)
        }

        /// Sends SIGHUP and waits for the outcome (`config_reloaded`, or the `config_reload_failed`
        /// lines, one per diagnostic, joined).
        func reload(expecting event: String = "config_reloaded") async -> String? {
            let before = log.count(event)
            kill(process.process.processIdentifier, SIGHUP)
            let lines = await log.wait(for: event, count: before + 1).dropFirst(before)
            guard !lines.isEmpty else { return nil }
            try? await Task.sleep(for: .milliseconds(100))
            return log.all.filter { $0.contains(#""event":"\#(event)""#) }.dropFirst(before).joined(separator: "\n")
        }

        func stop() {
            _ = process.terminate()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    static func profileYAML(_ name: String, port: Int, upstream: TestUpstream, secretFile: URL) -> String {
        """
          \(name):
            upstream_url: http://127.0.0.1:\(upstream.port)/\(name)
            key_id: \(name)-key
            secret_file: \(secretFile.path)
            listen_port: \(port)
        """
    }

    func start(profiles: [(String, Int)], upstream: TestUpstream, arguments: [String] = []) async throws -> Running {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("reload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let secretFile = directory.appendingPathComponent("secret")
        try Self.first.write(to: secretFile, atomically: true, encoding: .utf8)
        chmod(secretFile.path, 0o600)
        let yaml = "profiles:\n" + profiles.map { Self.profileYAML($0.0, port: $0.1, upstream: upstream, secretFile: secretFile) }.joined(separator: "\n")
        try yaml.write(to: directory.appendingPathComponent("proxy.yaml"), atomically: true, encoding: .utf8)
        let process = try ProxyProcess(["--config", directory.appendingPathComponent("proxy.yaml").path] + arguments, environment: [:])
        let running = Running(process: process, log: LogLines(process.stderr), directory: directory)
        let listening = await running.log.wait(for: "listening", count: profiles.count, timeout: 20)
        #expect(listening.count == profiles.count, "\(running.log.all)")
        return running
    }

    @Test("SIGHUP with a new secret: the next request uses it, a request in flight completes on the old one")
    func secretRotation() async throws {
        let upstream = try await TestUpstream(secret: Self.first, alsoAccepting: [Self.second])
        let port = try TestPorts.free()
        let running = try await start(profiles: [("p", port)], upstream: upstream)
        defer { running.stop() }
        let inFlight = try await RawHTTPClient(port: port)
        try await inFlight.send(.post("/mcp/delay"))
        #expect(await eventually { upstream.received.contains { $0.target.hasSuffix("/delay") } }, "in flight")
        try running.write(secret: Self.second)
        let reloaded = await running.reload()
        #expect(reloaded?.contains(#""changed":"p""#) == true, "\(String(describing: reloaded))")
        #expect(await inFlight.response()?.status == 200, "the request in flight completes")
        await inFlight.close()
        let next = try await RawHTTPClient(port: port)
        try await next.send(.post())
        #expect(await next.response()?.status == 200)
        await next.close()
        #expect(upstream.received.map(\.signedWith) == [Self.first, Self.second])
        #expect(!running.log.all.joined().contains(Self.second), "the secret is never logged")
        await upstream.stop()
    }

    @Test("client tokens reload with the config: a revoked token gets 401, a new one gets in, nothing restarts")
    func clientTokenRotation() async throws {
        let upstream = try await TestUpstream(secret: Self.first)
        let port = try TestPorts.free()
        let running = try await start(profiles: [("p", port)], upstream: upstream)
        defer { running.stop() }
        let (old, new) = (String(repeating: "0a", count: 20), String(repeating: "0b", count: 20))
        let tokenFile = running.directory.appendingPathComponent("token")
        func writeToken(_ token: String) throws {
            try token.write(to: tokenFile, atomically: true, encoding: .utf8)
            chmod(tokenFile.path, 0o600)
        }
        func status(_ token: String) async throws -> Int? {
            let client = try await RawHTTPClient(port: port)
            defer { Task { await client.close() } }
            try await client.send(.post(headers: ["Authorization: Bearer \(token)"]))
            return await client.response()?.status
        }
        let guarded = Self.profileYAML("p", port: port, upstream: upstream, secretFile: running.secretFile)
            + "\n    client_auth: bearer\n    client_tokens:\n      - name: laptop\n        token_file: \(tokenFile.path)\n"
        try writeToken(old)
        try running.write(config: "profiles:\n" + guarded)
        #expect(await running.reload() != nil)
        #expect(try await status(old) == 200)
        try writeToken(new)
        #expect(await running.reload() != nil)
        #expect(try await status(old) == 401, "the revoked token is refused")
        #expect(try await status(new) == 200)
        #expect(running.log.count("listening") == 1, "the listener was kept")
        #expect(!running.log.all.joined().contains(old) && !running.log.all.joined().contains(new))
        await upstream.stop()
    }

    @Test("an event stream open across a reload keeps receiving its events to a clean end")
    func streamSurvives() async throws {
        let upstream = try await TestUpstream(secret: Self.first, alsoAccepting: [Self.second])
        let port = try TestPorts.free()
        let running = try await start(profiles: [("p", port)], upstream: upstream)
        defer { running.stop() }
        let stream = try await RawHTTPClient(port: port)
        try await stream.send(.get("/mcp/sse"))
        _ = await stream.waitFor { $0.contains("\r\n\r\n") }
        try running.write(secret: Self.second)
        #expect(await running.reload() != nil)
        let text = await stream.waitFor(timeout: 5) { $0.hasSuffix("0\r\n\r\n") }
        #expect(text.components(separatedBy: "data:").count - 1 == 3, "all three events arrived: \(text)")
        #expect(text.hasSuffix("0\r\n\r\n"), "and the stream ended cleanly")
        await stream.close()
        await upstream.stop()
    }

    @Test("an added profile's port opens; a removed one stops accepting after its drain")
    func addAndRemove() async throws {
        let upstream = try await TestUpstream(secret: Self.first)
        let (keep, drop, add) = (try TestPorts.free(), try TestPorts.free(), try TestPorts.free())
        let running = try await start(profiles: [("keep", keep), ("drop", drop)], upstream: upstream)
        defer { running.stop() }
        let slow = try await RawHTTPClient(port: drop)
        try await slow.send(.post("/mcp/delay"))
        #expect(await eventually { upstream.received.contains { $0.target.hasSuffix("/delay") } }, "in flight")
        try running.write(config: "profiles:\n" + [("keep", keep), ("add", add)].map {
            Self.profileYAML($0.0, port: $0.1, upstream: upstream, secretFile: running.secretFile)
        }.joined(separator: "\n"))
        let reloaded = try #require(await running.reload())
        #expect(reloaded.contains(#""added":"add""#) && reloaded.contains(#""removed":"drop""#) && reloaded.contains(#""changed":"""#), "\(reloaded)")
        #expect(await slow.response()?.status == 200, "the removed profile's request in flight drains")
        await slow.close()
        await running.log.wait(for: "listener_closed")
        await #expect(throws: (any Error).self) { _ = try await RawHTTPClient(port: drop) }
        for port in [keep, add] {
            let client = try await RawHTTPClient(port: port)
            try await client.send(.post())
            #expect(await client.response()?.status == 200, "port \(port)")
            await client.close()
        }
        #expect(upstream.received.map(\.target).suffix(2) == ["/keep", "/add"])
        await upstream.stop()
    }

    @Test("--drain-delay is counted once for every listener, a reload's included: all keep serving through it, then the process exits")
    func addedListenerDrains() async throws {
        let upstream = try await TestUpstream(secret: Self.first)
        let (first, added) = (try TestPorts.free(), try TestPorts.free())
        let delay = 4.0
        let running = try await start(profiles: [("first", first)], upstream: upstream, arguments: ["--drain-delay", "\(Int(delay))"])
        defer { running.stop() }
        try running.write(config: "profiles:\n" + [("first", first), ("added", added)].map {
            Self.profileYAML($0.0, port: $0.1, upstream: upstream, secretFile: running.secretFile)
        }.joined(separator: "\n"))
        let reloaded = try #require(await running.reload())
        #expect(reloaded.contains(#""added":"added""#), "\(reloaded)")
        let clients = [try await RawHTTPClient(port: first), try await RawHTTPClient(port: added)]
        let signalled = Date()
        kill(running.process.process.processIdentifier, SIGTERM)
        #expect(await running.log.wait(for: "draining").count == 1)
        for (client, port) in zip(clients, [first, added]) {
            try await client.send(.post())
            #expect(await client.response()?.status == 200, "port \(port) still serves during the delay")
            await client.close()
        }
        #expect(await running.log.wait(for: "listener_closed", count: 2, timeout: 3 * delay).count == 2)
        // Slept once per listener, the delay would have added up to twice its length.
        #expect(Date().timeIntervalSince(signalled) < 2 * delay, "the delay is not slept once per listener")
        #expect(running.log.count("draining") == 1)
        await upstream.stop()
    }

    @Test("a reload whose new address cannot be bound is rolled back whole: nothing new opens, the old set serves")
    func bindFailureRollsBack() async throws {
        let upstream = try await TestUpstream(secret: Self.first)
        let (port, fresh) = (try TestPorts.free(), try TestPorts.free())
        let taken = try await RawHTTPClient.listeningSocket()
        let takenPort = try #require(taken.localAddress?.port)
        let running = try await start(profiles: [("p", port)], upstream: upstream)
        defer { running.stop() }
        try running.write(config: "profiles:\n" + [("p", port), ("fresh", fresh), ("clash", takenPort)].map {
            Self.profileYAML($0.0, port: $0.1, upstream: upstream, secretFile: running.secretFile)
        }.joined(separator: "\n"))
        let failed = await running.reload(expecting: "config_reload_failed")
        #expect(failed?.contains("cannot listen on 127.0.0.1:\(takenPort) for profile `clash`") == true, "\(String(describing: failed))")
        await #expect(throws: (any Error).self, "the profile bound before the failure was closed again") {
            _ = try await RawHTTPClient(port: fresh)
        }
        let client = try await RawHTTPClient(port: port)
        try await client.send(.post())
        #expect(await client.response()?.status == 200)
        await client.close()
        try await taken.close()
        await upstream.stop()
    }

    @Test("a bad config (syntax error, unknown key, missing secret file) changes nothing", arguments: [
        ("profiles: [unclosed", "YAML syntax"),
        ("profiles:\n  p:\n    upstream_url: http://127.0.0.1:1/p\n    key_id: k\n    secret_env: S\n    listen_port: 1\n    colour: red", "unknown key `colour`"),
        ("MISSING_SECRET", "cannot read"),
    ])
    func badConfigChangesNothing(config: String, expected: String) async throws {
        let upstream = try await TestUpstream(secret: Self.first)
        let port = try TestPorts.free()
        let running = try await start(profiles: [("p", port)], upstream: upstream)
        defer { running.stop() }
        if config == "MISSING_SECRET" {
            try FileManager.default.removeItem(at: running.secretFile)
        } else {
            try running.write(config: config)
        }
        let failed = await running.reload(expecting: "config_reload_failed")
        #expect(failed?.contains(#""level":"error""#) == true && failed?.contains(expected) == true, "\(String(describing: failed))")
        let client = try await RawHTTPClient(port: port)
        try await client.send(.post())
        #expect(await client.response()?.status == 200, "the old profile still serves, with the old secret")
        await client.close()
        #expect(upstream.received.last?.signedWith == Self.first)
        #expect(running.process.process.isRunning)
        await upstream.stop()
    }

    @Test("--watch notices a Kubernetes-style ..data symlink swap within 5 s")
    func watchSymlinkSwap() async throws {
        let upstream = try await TestUpstream(secret: Self.first)
        let (port, added) = (try TestPorts.free(), try TestPorts.free())
        let volume = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("volume-\(UUID().uuidString)")
        let secretFile = volume.appendingPathComponent("secret-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: volume, withIntermediateDirectories: true)
        try Self.first.write(to: secretFile, atomically: true, encoding: .utf8)
        chmod(secretFile.path, 0o600)
        func publish(_ version: String, _ yaml: String) throws {
            let directory = volume.appendingPathComponent("..\(version)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try yaml.write(to: directory.appendingPathComponent("proxy.yaml"), atomically: true, encoding: .utf8)
            // The swap kubelet does: a new symlink renamed over ..data in one step.
            let temporary = volume.appendingPathComponent("..data_tmp").path
            unlink(temporary)
            symlink("..\(version)", temporary)
            rename(temporary, volume.appendingPathComponent("..data").path)
        }
        let one = "profiles:\n" + Self.profileYAML("p", port: port, upstream: upstream, secretFile: secretFile)
        try publish("v1", one)
        symlink("..data/proxy.yaml", volume.appendingPathComponent("proxy.yaml").path)
        let process = try ProxyProcess(["--config", volume.appendingPathComponent("proxy.yaml").path, "--watch"], environment: [:])
        defer {
            _ = process.terminate()
            try? FileManager.default.removeItem(at: volume)
        }
        let log = LogLines(process.stderr)
        #expect(await log.wait(for: "listening", timeout: 20).count == 1)
        try publish("v2", one + "\n" + Self.profileYAML("q", port: added, upstream: upstream, secretFile: secretFile))
        let reloaded = await log.wait(for: "config_reloaded", timeout: 5)
        #expect(reloaded.first?.contains(#""trigger":"watch""#) == true && reloaded.first?.contains(#""added":"q""#) == true, "\(log.all)")
        let client = try await RawHTTPClient(port: added)
        try await client.send(.post())
        #expect(await client.response()?.status == 200)
        await client.close()
        await upstream.stop()
    }

    @Test("20 SIGHUPs under wrk load, half rotating the secret: no socket error, no non-2xx, every signature valid")
    func reloadUnderLoad() async throws {
        let wrk = try #require(ToolProcess.find("wrk"), "wrk is missing: apt-get install wrk (.ci/run installs it)")
        let upstream = try await TestUpstream(secret: Self.first, alsoAccepting: [Self.second])
        let port = try TestPorts.free()
        let running = try await start(profiles: [("p", port)], upstream: upstream)
        defer { running.stop() }
        // A generous timeout: beside the whole suite on 2 cores a response can take seconds; what
        // must not happen is a connect, read or write error or a non-2xx answer.
        let load = try WrkLoad(wrk: wrk, url: "http://127.0.0.1:\(port)/mcp", arguments: ["-t1", "-c64", "-d10s", "--timeout", "30s"])
        for index in 0..<20 {
            try await Task.sleep(for: .milliseconds(400))
            if index % 2 == 0 { try running.write(secret: index % 4 == 0 ? Self.second : Self.first) }
            kill(running.process.process.processIdentifier, SIGHUP)
        }
        let report = try await load.report()
        try? report.write(toFile: NSTemporaryDirectory() + "reload-under-load-wrk.txt", atomically: true, encoding: .utf8)
        #expect(!report.contains("Socket errors") && !report.contains("Non-2xx"), "\(report)")
        #expect(running.log.count("config_reloaded") >= 5, "reloads happened: \(running.log.count("config_reloaded"))")
        #expect(running.log.count("config_reload_failed") == 0)
        let received = upstream.received
        #expect(received.count > 500)
        let invalid = received.filter { !$0.signatureValid }.count
        #expect(invalid == 0, "\(invalid) invalid signatures")
        #expect(Set(received.compactMap(\.signedWith)) == [Self.first, Self.second], "both secrets were in use")
        await upstream.stop()
    }
}
