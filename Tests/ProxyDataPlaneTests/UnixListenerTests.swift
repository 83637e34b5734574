import Foundation
import ProxyConfig
import ProxyTestSupport
import Testing
@testable import ProxyDataPlane

/// `listen_unix`: a Unix-domain socket listener, its file's mode, and what happens to a file
/// already at its path.
@Suite("Unix-socket listener")
struct UnixListenerTests {
    static func socketPath() -> String {
        let directory = NSTemporaryDirectory() + "uds-" + String(UUID().uuidString.prefix(8))
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory + "/proxy.sock"
    }

    static func mode(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int
    }

    @Test("requests over the socket are signed and forwarded; the file has the configured mode and is removed at shutdown")
    func serves() async throws {
        let path = Self.socketPath()
        let proxy = try await ProxyHarness.start(profile: [("listen_unix", path), ("listen_unix_mode", #""0600""#)])
        #expect(Self.mode(path) == 0o600)
        let client = try await RawHTTPClient(unixPath: path)
        try await client.send(.post(host: "localhost"))
        #expect(await client.response()?.status == 200)
        #expect(proxy.upstream.received.first?.signatureValid == true)
        await client.close()
        await proxy.stop()
        #expect(!FileManager.default.fileExists(atPath: path), "the socket file is removed with the listener")
    }

    @Test("the Host check still applies over the socket")
    func hostCheck() async throws {
        let path = Self.socketPath()
        try await ProxyHarness.with(profile: [("listen_unix", path)]) { proxy in
            let client = try await RawHTTPClient(unixPath: path)
            try await client.send(.post(host: "evil.example"))
            #expect(await client.response()?.status == 403)
            #expect(proxy.upstream.received.isEmpty)
            await client.close()
        }
    }

    @Test("a stale socket file is replaced; a live one is refused; a regular file is left alone and refused")
    func existingFiles() async throws {
        // Stale: a socket bound by a process that is gone (the file outlives it).
        let stale = Self.socketPath()
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in stale.utf8.enumerated() { raw[i] = b } }
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        #expect(bound == 0)
        close(descriptor)
        try await ProxyHarness.with(profile: [("listen_unix", stale)]) { proxy in
            let client = try await RawHTTPClient(unixPath: stale)
            try await client.send(.post(host: "localhost"))
            #expect(await client.response()?.status == 200)
            await client.close()

            // Live: this listener owns the path now; a second one must not take it over.
            await #expect(throws: (any Error).self) {
                let second = try await ProxyHarness.start(profile: [("listen_unix", stale)])
                await second.stop()
            }
            let again = try await RawHTTPClient(unixPath: stale)
            try await again.send(.post(host: "localhost"))
            #expect(await again.response()?.status == 200, "the first listener still serves")
            await again.close()
        }

        let regular = Self.socketPath()
        _ = FileManager.default.createFile(atPath: regular, contents: Data("keep me".utf8))
        await #expect(throws: (any Error).self) {
            let proxy = try await ProxyHarness.start(profile: [("listen_unix", regular)])
            await proxy.stop()
        }
        #expect(FileManager.default.contents(atPath: regular) == Data("keep me".utf8))
    }
}
