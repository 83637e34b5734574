import Foundation
import MCPMessages
import ProxyConfig

/// Finds the authorization server of an upstream exactly as the MCP specification's client
/// section says: the protected resource's metadata (from an unauthenticated request's challenge,
/// else the well-known URLs, path first), then the authorization server's metadata under each
/// RFC 8414 / OpenID Connect URL in the specification's order, with an exact `issuer` match.
package struct OAuthDiscovery: Sendable {
    /// What discovery learned: the server to talk to and what to ask it for.
    package struct Outcome: Sendable {
        package var server: AuthorizationServerMetadata
        /// The RFC 8707 `resource` to send, nil for `resource: none`.
        package var resource: String?
        /// The scopes to request when the profile names none.
        package var defaultScopes: [String]?

        /// What a sign-in asks for: the configured scopes, else the discovered ones, plus `extra`
        /// (`login --scope`), each once.
        package func scopes(configured: [String]?, adding extra: [String]) -> [String] {
            var seen = Set<String>()
            return ((configured ?? defaultScopes ?? []) + extra).filter { seen.insert($0).inserted }
        }
    }

    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    let http: OAuthHTTPClient
    let upstream: UpstreamURL
    let settings: OAuthSettings

    package init(http: OAuthHTTPClient, upstream: UpstreamURL, settings: OAuthSettings) {
        self.http = http
        self.upstream = upstream
        self.settings = settings
    }

    /// The upstream's MCP URL, as the resource a token is for.
    var upstreamURI: String { Self.uri(of: upstream) }

    /// The upstream's URL as a resource identifier (no trailing slash after a path).
    package static func uri(of upstream: UpstreamURL) -> String {
        upstream.description.hasSuffix("/") && !upstream.basePath.isEmpty ? String(upstream.description.dropLast()) : upstream.description
    }

    /// `requiresPKCE`: the authorization code flow needs S256; the device and client credentials
    /// grants have no authorization request to protect.
    package func discover(requiresPKCE: Bool = true) async throws -> Outcome {
        let challenge = try await probe()
        var resourceMetadata: ProtectedResourceMetadata?
        for url in protectedResourceURLs(challenge: challenge) {
            guard let response = try? await http.get(url), response.status == 200 else { continue }
            guard let metadata = try? JSONDecoder().decode(ProtectedResourceMetadata.self, from: Data(response.body)) else {
                throw Failure(description: "the protected-resource metadata at \(url.absoluteString) is not valid JSON metadata")
            }
            resourceMetadata = metadata
            break
        }
        if let resourceMetadata, !Self.resource(resourceMetadata.resource, covers: upstreamURI) {
            throw Failure(description: "the protected-resource metadata names the resource \(resourceMetadata.resource), not \(upstreamURI): refusing to get a token for another server")
        }
        let issuer: String
        if let configured = settings.issuer {
            issuer = configured
        } else if let named = resourceMetadata?.authorizationServers?.first {
            issuer = named
        } else if resourceMetadata == nil {
            throw Failure(description: "\(upstreamURI) publishes no protected-resource metadata (RFC 9728), so its authorization server is unknown; set `oauth.issuer`")
        } else {
            throw Failure(description: "the protected-resource metadata of \(upstreamURI) names no authorization server; set `oauth.issuer`")
        }
        let server = try await authorizationServer(issuer: issuer, requiresPKCE: requiresPKCE)
        let resource: String?
        switch settings.resource {
        case .none: resource = nil
        case .uri(let uri): resource = uri
        case .auto: resource = resourceMetadata?.resource ?? upstreamURI
        }
        var scopes: [String]? = challenge?.scope.map { $0.split(separator: " ").map(String.init) }
        if scopes == nil { scopes = resourceMetadata?.scopesSupported }
        return Outcome(server: server, resource: resource, defaultScopes: scopes)
    }

    /// An MCP request without a token: a protected upstream answers 401 with its challenge.
    func probe() async throws -> BearerChallenge? {
        guard let url = URL(string: upstreamURI) else { throw Failure(description: "\(upstreamURI) is not a URL") }
        let body = Array(#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"mcp-auth-proxy","version":"1"}}}"#.utf8)
        let response: OAuthHTTPClient.Response
        do {
            response = try await http.postJSON(url, body, headers: [("mcp-protocol-version", "2025-06-18")])
        } catch {
            throw Failure(description: "cannot reach the upstream \(upstreamURI): \(error)")
        }
        return BearerChallenge(headerValues: response.headers("www-authenticate"))
    }

    /// The challenge's `resource_metadata`, then `/.well-known/oauth-protected-resource/<path>`, then the root's.
    func protectedResourceURLs(challenge: BearerChallenge?) -> [URL] {
        var urls: [URL] = []
        if let named = challenge?.resourceMetadata, let url = URL(string: named), Self.isAcceptable(url) { urls.append(url) }
        let origin = Self.origin(of: upstreamURI)
        if !upstream.basePath.isEmpty, let url = URL(string: origin + "/.well-known/oauth-protected-resource" + upstream.basePath) { urls.append(url) }
        if let url = URL(string: origin + "/.well-known/oauth-protected-resource") { urls.append(url) }
        return urls
    }

    package func authorizationServer(issuer: String, requiresPKCE: Bool = true) async throws -> AuthorizationServerMetadata {
        guard let issuerURL = URL(string: issuer), Self.isAcceptable(issuerURL) else {
            throw Failure(description: "the authorization server \(issuer) is not an https URL (http only on loopback)")
        }
        var tried: [String] = []
        for url in Self.authorizationServerMetadataURLs(issuer: issuer) {
            tried.append(url.absoluteString)
            guard let response = try? await http.get(url), response.status == 200 else { continue }
            guard let metadata = try? JSONDecoder().decode(AuthorizationServerMetadata.self, from: Data(response.body)) else {
                throw Failure(description: "the authorization server metadata at \(url.absoluteString) is not valid metadata")
            }
            guard Self.sameIssuer(metadata.issuer, issuer) else {
                throw Failure(description: "the metadata at \(url.absoluteString) names the issuer \(metadata.issuer), not \(issuer) (RFC 8414 §3.3): refusing it")
            }
            guard metadata.codeChallengeMethodsSupported?.contains("S256") == true || settings.grant == .clientCredentials || !requiresPKCE else {
                throw Failure(description: "the authorization server \(issuer) does not list S256 in code_challenge_methods_supported; MCP requires PKCE with S256")
            }
            return metadata
        }
        throw Failure(description: "no authorization server metadata for \(issuer) at \(tried.joined(separator: ", "))")
    }

    /// RFC 8414 §3.1 and OpenID Connect Discovery, in the MCP specification's order.
    static func authorizationServerMetadataURLs(issuer: String) -> [URL] {
        let origin = origin(of: issuer)
        var path = String(issuer.dropFirst(origin.count))
        while path.hasSuffix("/") { path.removeLast() }
        let candidates = path.isEmpty
            ? [origin + "/.well-known/oauth-authorization-server", origin + "/.well-known/openid-configuration"]
            : [origin + "/.well-known/oauth-authorization-server" + path, origin + "/.well-known/openid-configuration" + path,
               origin + path + "/.well-known/openid-configuration"]
        return candidates.compactMap(URL.init(string:))
    }

    /// RFC 8414 §3.3 asks for identical issuers; `https://as.example` and `https://as.example/`
    /// are the same URL, and servers (the Python SDK's among them) write either.
    package static func sameIssuer(_ a: String, _ b: String) -> Bool {
        a == b || (origin(of: a) == origin(of: b) && a.dropFirst(origin(of: a).count).trimmingSlash == b.dropFirst(origin(of: b).count).trimmingSlash
                   && a.dropFirst(origin(of: a).count).trimmingSlash.isEmpty)
    }

    /// `scheme://authority` of an absolute URL.
    static func origin(of url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        return String(url[..<authorityEnd])
    }

    /// https anywhere, http to loopback only (OAuth 2.1 §1.5).
    static func isAcceptable(_ url: URL) -> Bool {
        guard let scheme = url.scheme?.lowercased(), let host = url.host else { return false }
        return scheme == "https" || (scheme == "http" && HostName.isLoopback(host))
    }

    /// Whether a token for `resource` may be used at `uri`: the same origin, and `resource`'s path
    /// equal to or a segment-wise prefix of `uri`'s (RFC 9728 §3.3; what the SDKs accept).
    static func resource(_ resource: String, covers uri: String) -> Bool {
        func normalized(_ text: String) -> String {
            var text = text
            while text.hasSuffix("/") { text.removeLast() }
            return text
        }
        let resource = normalized(resource), uri = normalized(uri)
        guard origin(of: resource).lowercased() == origin(of: uri).lowercased() else { return false }
        let resourcePath = resource.dropFirst(origin(of: resource).count)
        let uriPath = uri.dropFirst(origin(of: uri).count)
        return uriPath == resourcePath || uriPath.hasPrefix(resourcePath + "/")
    }
}

extension Substring {
    fileprivate var trimmingSlash: Substring {
        var text = self
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }
}
