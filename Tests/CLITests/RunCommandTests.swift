import Foundation
import ProxyTestSupport
import Testing

@Suite("mcp-auth-proxy run")
struct RunCommandTests {
    static let secretA = "alpha-secret-0123456789abcdef"
    static let secretB = "bravo-secret-0123456789abcdef"

    func twoProfiles(_ upstreamA: TestUpstream, _ upstreamB: TestUpstream, ports: (Int, Int)) -> URL {
        writeConfig("""
        profiles:
          alpha:
            upstream_url: http://127.0.0.1:\(upstreamA.port)/a
            key_id: alpha-key
            secret_env: ALPHA_SECRET
            listen_port: \(ports.0)
          bravo:
            upstream_url: http://127.0.0.1:\(upstreamB.port)/b
            key_id: bravo-key
            secret_env: BRAVO_SECRET
            listen_port: \(ports.1)
        """)
    }

    let environment = ["ALPHA_SECRET": secretA, "BRAVO_SECRET": secretB]

    @Test("one process serves two profiles to two upstreams, each signed with its own key; logs are JSON without secrets")
    func twoProfilesAtOnce() async throws {
        let upstreamA = try await TestUpstream(secret: Self.secretA)
        let upstreamB = try await TestUpstream(secret: Self.secretB)
        let ports = (try TestPorts.free(), try TestPorts.free())
        let config = twoProfiles(upstreamA, upstreamB, ports: ports)
        let proxy = try ProxyProcess(["--config", config.path], environment: environment)
        let startLines = proxy.waitUntilListening(count: 2)
        #expect(startLines.filter { $0.contains(#""event":"listening""#) }.count == 2, "\(startLines)")

        let clientA = try await RawHTTPClient(port: ports.0)
        try await clientA.send(.post())
        let responseA = await clientA.response()
        let clientB = try await RawHTTPClient(port: ports.1)
        try await clientB.send(.post(headers: ["X-Signature: forged"]))
        let responseB = await clientB.response()
        #expect(responseA?.status == 200)
        #expect(responseB?.status == 200)
        #expect(upstreamA.received.map(\.signatureValid) == [true])
        #expect(upstreamB.received.map(\.signatureValid) == [true])
        #expect(upstreamA.received.first?.headers.first { $0.0 == "x-api-key-id" }?.1 == "alpha-key")
        #expect(upstreamB.received.first?.target == "/b")
        await clientA.close()
        await clientB.close()

        let (status, rest) = proxy.terminate()
        #expect(status == 0)
        let lines = startLines + rest.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.contains(#""event":"request""#) && $0.contains(#""profile":"bravo""#) })
        for line in lines {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any], "not JSON: \(line)")
            #expect(!line.contains(Self.secretA) && !line.contains(Self.secretB))
        }
        await upstreamA.stop()
        await upstreamB.stop()
    }

    @Test("--profile starts only that profile's listener")
    func singleProfile() async throws {
        let upstreamA = try await TestUpstream(secret: Self.secretA)
        let upstreamB = try await TestUpstream(secret: Self.secretB)
        let ports = (try TestPorts.free(), try TestPorts.free())
        let proxy = try ProxyProcess(["--config", twoProfiles(upstreamA, upstreamB, ports: ports).path, "--profile", "bravo"],
                                     environment: ["BRAVO_SECRET": Self.secretB])
        let lines = proxy.waitUntilListening(count: 1)
        #expect(lines.contains { $0.contains(#""profile":"bravo""#) })
        await #expect(throws: (any Error).self) { _ = try await RawHTTPClient(port: ports.0) }
        #expect(proxy.terminate().status == 0)
        await upstreamA.stop()
        await upstreamB.stop()
    }

    @Test("SIGTERM lets a request in flight finish, then exits 0")
    func gracefulStop() async throws {
        let upstreamA = try await TestUpstream(secret: Self.secretA)
        let upstreamB = try await TestUpstream(secret: Self.secretB)
        let ports = (try TestPorts.free(), try TestPorts.free())
        let proxy = try ProxyProcess(["--config", twoProfiles(upstreamA, upstreamB, ports: ports).path], environment: environment)
        _ = proxy.waitUntilListening(count: 2)
        let client = try await RawHTTPClient(port: ports.0)
        try await client.send(.post("/mcp/sse"))
        await client.waitFor { $0.contains("data:") }
        proxy.process.terminate()
        let text = await client.waitFor(timeout: 10) { $0.hasSuffix("0\r\n\r\n") }
        #expect(text.hasSuffix("0\r\n\r\n"), "the stream is ended cleanly, not cut")
        let (status, _) = proxy.terminate()
        #expect(status == 0)
        await upstreamA.stop()
        await upstreamB.stop()
    }

    @Test("an invalid config logs fatal JSON lines, exits 78 and opens no listener")
    func invalidConfig() async throws {
        let port = try TestPorts.free()
        let config = writeConfig("profiles:\n  x:\n    upstream_url: ftp://x\n    key_id: k\n    secret_env: NOPE\n    listen_port: \(port)\n")
        let output = try ProxyProcess.run(["--config", config.path])
        #expect(output.status == 78)
        let lines = output.stderr.split(separator: "\n")
        #expect(lines.count == 2)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["level"] as? String == "fatal")
            #expect((object["location"] as? String)?.contains("proxy.yaml:") == true)
        }
        await #expect(throws: (any Error).self) { _ = try await RawHTTPClient(port: port) }
    }

    @Test("a port already taken is fatal: exit 1, no listener left open")
    func portTaken() async throws {
        let upstream = try await TestUpstream(secret: Self.secretA)
        let taken = try await RawHTTPClient.listeningSocket()
        let free = try TestPorts.free()
        let config = writeConfig("""
        profiles:
          alpha:
            upstream_url: http://127.0.0.1:\(upstream.port)/a
            key_id: alpha-key
            secret_env: ALPHA_SECRET
            listen_port: \(free)
          bravo:
            upstream_url: http://127.0.0.1:\(upstream.port)/b
            key_id: bravo-key
            secret_env: ALPHA_SECRET
            listen_port: \(taken.localAddress!.port!)
        """)
        let output = try ProxyProcess.run(["--config", config.path], environment: environment)
        #expect(output.status == 1)
        #expect(output.stderr.contains(#""event":"bind_failed""#))
        await #expect(throws: (any Error).self) { _ = try await RawHTTPClient(port: free) }
        try await taken.close()
        await upstream.stop()
    }
}
