import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One access token and what renews it, for one (issuer, client, resource).
package struct StoredToken: Sendable, Codable, Equatable {
    /// The upstream MCP URL the token is used at: a token is only ever sent where it was got for.
    package var upstream: String
    package var issuer: String
    package var clientID: String
    /// The RFC 8707 resource the token was issued for ("" when none was sent).
    package var resource: String
    package var accessToken: String
    package var refreshToken: String?
    /// Seconds since 1970; nil when the server gave no lifetime.
    package var expiresAt: Double?
    package var scope: String?
    /// When the token endpoint issued it (seconds since 1970): after an upstream refused a token,
    /// only a token obtained later may stand in for it.
    package var obtainedAt: Double?

    enum CodingKeys: String, CodingKey {
        case upstream, issuer, resource, scope
        case obtainedAt = "obtained_at"
        case clientID = "client_id"
        case accessToken = "access_token"
        case refreshToken = "refresh_token"
        case expiresAt = "expires_at"
    }

    /// Whether the token is still good `margin` seconds from now.
    package func isValid(at now: Double, margin: Double = 0) -> Bool {
        guard let expiresAt else { return true }
        return expiresAt - margin > now
    }
}

/// A client registration made with (or given for) one authorization server.
package struct StoredRegistration: Sendable, Codable, Equatable {
    package var issuer: String
    package var clientID: String
    package var clientSecret: String?
    package var redirectURIs: [String]
    /// How the token endpoint wants the client to authenticate (RFC 7591 `token_endpoint_auth_method`).
    package var tokenEndpointAuthMethod: String?
    /// The scopes a dynamic registration was made for (space-separated), when the server said.
    package var scope: String?
    /// The grants a dynamic registration was made for, when known.
    package var grantTypes: [String]?

    enum CodingKeys: String, CodingKey {
        case issuer
        case clientID = "client_id"
        case clientSecret = "client_secret"
        case redirectURIs = "redirect_uris"
        case tokenEndpointAuthMethod = "token_endpoint_auth_method"
        case scope
        case grantTypes = "grant_types"
    }
}

/// What a token file holds.
package struct TokenFileContents: Sendable, Codable, Equatable {
    package var version = 1
    /// The authorization servers' metadata as last discovered, so that a refresh needs no discovery.
    package var servers: [AuthorizationServerMetadata] = []
    package var registrations: [StoredRegistration] = []
    package var tokens: [StoredToken] = []

    package init() {}

    /// The token for `upstream`, from `issuer` when one is required.
    package func token(upstream: String, issuer: String? = nil) -> StoredToken? {
        tokens.last { token in token.upstream == upstream && (issuer.map { OAuthDiscovery.sameIssuer(token.issuer, $0) } ?? true) }
    }

    /// Replaces the token for the same upstream, issuer, client and resource.
    package mutating func put(_ token: StoredToken) {
        tokens.removeAll { $0.upstream == token.upstream }
        tokens.append(token)
    }

    package mutating func removeTokens(upstream: String) {
        tokens.removeAll { $0.upstream == upstream }
    }

    package func server(issuer: String) -> AuthorizationServerMetadata? {
        servers.first { $0.issuer == issuer }
    }

    package mutating func put(_ server: AuthorizationServerMetadata) {
        servers.removeAll { $0.issuer == server.issuer }
        servers.append(server)
    }

    package func registration(issuer: String) -> StoredRegistration? {
        registrations.first { $0.issuer == issuer }
    }

    package mutating func put(_ registration: StoredRegistration) {
        registrations.removeAll { $0.issuer == registration.issuer }
        registrations.append(registration)
    }
}

/// The token file: 0600 in a 0700 directory, replaced atomically, shared by the listener process
/// and any number of bridge processes. Every change happens under an exclusive `flock` on a lock
/// file beside it and starts by re-reading the file, so two processes refreshing at once see each
/// other's rotated refresh token instead of logging each other out.
package struct TokenStore: Sendable {
    package let path: String

    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    package init(path: String) {
        self.path = path
    }

    /// The file's contents; empty when it does not exist yet.
    package func read() throws -> TokenFileContents {
        guard let data = FileManager.default.contents(atPath: path) else { return TokenFileContents() }
        do {
            return try JSONDecoder().decode(TokenFileContents.self, from: data)
        } catch {
            throw Failure(description: "the token file \(path) is not a token file (\(error)); move it away and log in again")
        }
    }

    /// Runs `change` on the current contents under the lock and writes the result back when it
    /// differs. `change` may be async (a refresh request); other processes wait on the lock.
    package func update<T: Sendable>(_ change: (inout TokenFileContents) async throws -> T) async throws -> T {
        let lock = try lockFile()
        defer { close(lock) }
        while flock(lock, LOCK_EX) != 0 {
            guard errno == EINTR else { throw Failure(description: "cannot lock \(path).lock: \(String(cString: strerror(errno)))") }
        }
        defer { flock(lock, LOCK_UN) }
        var contents = try read()
        let before = contents
        let result = try await change(&contents)
        if contents != before { try write(contents) }
        return result
    }

    private func lockFile() throws -> Int32 {
        try ensureDirectory()
        let descriptor = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure(description: "cannot open \(path).lock: \(String(cString: strerror(errno)))") }
        return descriptor
    }

    private func ensureDirectory() throws {
        let directory = (path as NSString).deletingLastPathComponent
        guard !directory.isEmpty else { return }
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw Failure(description: "cannot create \(directory): \(error)")
            }
        }
    }

    /// A temporary file, 0600 from its creation, fsynced, then renamed over the old one.
    private func write(_ contents: TokenFileContents) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(contents)
        let temporary = path + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure(description: "cannot write \(temporary): \(String(cString: strerror(errno)))") }
        let written = data.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        fsync(descriptor)
        close(descriptor)
        guard written == data.count, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw Failure(description: "cannot replace \(path): \(String(cString: strerror(errno)))")
        }
    }
}
