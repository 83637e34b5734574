import Foundation
import Testing
@testable import ProxyOAuth

/// The token file on disk: modes, atomic replacement, and the lookup that keeps a token at its upstream.
@Suite("token file")
struct TokenStoreTests {
    static func token(upstream: String, access: String) -> StoredToken {
        StoredToken(upstream: upstream, issuer: "https://a.example/", clientID: "c", resource: upstream, accessToken: access,
                    refreshToken: "r", expiresAt: Date().timeIntervalSince1970 + 60, scope: nil)
    }

    @Test("written 0600 in a new 0700 directory; read back; a token is only found for its own upstream")
    func modesAndLookup() async throws {
        let directory = NSTemporaryDirectory() + "token-store-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = TokenStore(path: directory + "/nested/p.json")
        try await store.update { contents in
            contents.put(Self.token(upstream: "https://one.example/mcp", access: "a1"))
            contents.put(Self.token(upstream: "https://two.example/mcp", access: "a2"))
        }
        let fileMode = try FileManager.default.attributesOfItem(atPath: store.path)[.posixPermissions] as? Int
        let directoryMode = try FileManager.default.attributesOfItem(atPath: directory + "/nested")[.posixPermissions] as? Int
        #expect(fileMode == 0o600 && directoryMode == 0o700)
        let contents = try store.read()
        #expect(contents.token(upstream: "https://one.example/mcp")?.accessToken == "a1")
        #expect(contents.token(upstream: "https://two.example/mcp")?.accessToken == "a2")
        #expect(contents.token(upstream: "https://three.example/mcp") == nil)
        #expect(contents.token(upstream: "https://one.example/mcp", issuer: "https://other.example") == nil)
        #expect(contents.token(upstream: "https://one.example/mcp", issuer: "https://a.example") != nil)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory + "/nested").filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test("an update re-reads the file under the lock: a change written meanwhile is seen, not overwritten")
    func updateRereads() async throws {
        let path = NSTemporaryDirectory() + "token-store-" + UUID().uuidString + ".json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = TokenStore(path: path), second = TokenStore(path: path)
        try await first.update { $0.put(Self.token(upstream: "https://one.example/mcp", access: "old")) }
        try await second.update { $0.put(Self.token(upstream: "https://one.example/mcp", access: "rotated")) }
        let seen = try await first.update { contents in contents.token(upstream: "https://one.example/mcp")?.accessToken }
        #expect(seen == "rotated")
    }

    @Test("a file that is not a token file is an error naming it, not an empty store")
    func corrupt() throws {
        let path = NSTemporaryDirectory() + "token-store-" + UUID().uuidString + ".json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = FileManager.default.createFile(atPath: path, contents: Data("not json".utf8))
        #expect(throws: TokenStore.Failure.self) { try TokenStore(path: path).read() }
    }
}
