import Foundation
import MCPMessages
import Testing
@testable import ProxyOAuth

/// The rules discovery and login apply to what servers send, each as the specification words it.
@Suite("OAuth discovery and response rules")
struct DiscoveryRulesTests {
    @Test("a Bearer challenge's parameters, among other schemes and with quoted commas")
    func challenge() throws {
        let parsed = try #require(BearerChallenge(headerValues: [
            #"Basic realm="x", Bearer error="insufficient_scope", scope="repo read:org", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", error_description="needs, more""#,
        ]))
        #expect(parsed.error == "insufficient_scope" && parsed.scope == "repo read:org")
        #expect(parsed.resourceMetadata == "https://mcp.example.com/.well-known/oauth-protected-resource/mcp")
        #expect(parsed.errorDescription == "needs, more")
        #expect(BearerChallenge(headerValues: [#"Basic realm="x""#]) == nil)
        #expect(BearerChallenge(headerValues: ["Bearer"])?.resourceMetadata == nil)
    }

    @Test("authorization server metadata URLs in the specification's order, with and without a path")
    func metadataOrder() {
        #expect(OAuthDiscovery.authorizationServerMetadataURLs(issuer: "https://auth.example.com/tenant1").map(\.absoluteString) == [
            "https://auth.example.com/.well-known/oauth-authorization-server/tenant1",
            "https://auth.example.com/.well-known/openid-configuration/tenant1",
            "https://auth.example.com/tenant1/.well-known/openid-configuration",
        ])
        #expect(OAuthDiscovery.authorizationServerMetadataURLs(issuer: "https://auth.example.com/").map(\.absoluteString) == [
            "https://auth.example.com/.well-known/oauth-authorization-server",
            "https://auth.example.com/.well-known/openid-configuration",
        ])
    }

    @Test("a resource covers the upstream when it is the same URL or a path prefix on the same origin")
    func resourceMatch() {
        #expect(OAuthDiscovery.resource("https://mcp.example.com/mcp", covers: "https://mcp.example.com/mcp"))
        #expect(OAuthDiscovery.resource("https://mcp.example.com/", covers: "https://mcp.example.com/mcp"))
        #expect(OAuthDiscovery.resource("https://MCP.example.com/mcp/", covers: "https://mcp.example.com/mcp"))
        #expect(!OAuthDiscovery.resource("https://mcp.example.com/mc", covers: "https://mcp.example.com/mcp"))
        #expect(!OAuthDiscovery.resource("https://mcp.example.com/other", covers: "https://mcp.example.com/mcp"))
        #expect(!OAuthDiscovery.resource("https://evil.example.com/mcp", covers: "https://mcp.example.com/mcp"))
        #expect(!OAuthDiscovery.resource("http://mcp.example.com/mcp", covers: "https://mcp.example.com/mcp"))
    }

    @Test("issuers match exactly, but for the trailing slash of a root issuer")
    func issuerMatch() {
        #expect(OAuthDiscovery.sameIssuer("https://a.example", "https://a.example/"))
        #expect(!OAuthDiscovery.sameIssuer("https://a.example/t1", "https://a.example/t1/"))
        #expect(!OAuthDiscovery.sameIssuer("https://a.example", "https://b.example"))
    }

    @Test("RFC 9207: iss present must match; absent is refused only when the server promised it")
    func issuerParameter() throws {
        let json = #"{"issuer":"https://a.example","token_endpoint":"https://a.example/token","authorization_response_iss_parameter_supported":true}"#
        var server = try JSONDecoder().decode(AuthorizationServerMetadata.self, from: Data(json.utf8))
        #expect(throws: LoginFailure.self) { try LoginFlow.checkIssuer(nil, server: server) }
        #expect(throws: LoginFailure.self) { try LoginFlow.checkIssuer("https://evil.example", server: server) }
        try LoginFlow.checkIssuer("https://a.example", server: server)
        server.authorizationResponseIssParameterSupported = nil
        try LoginFlow.checkIssuer(nil, server: server)
        #expect(throws: LoginFailure.self) { try LoginFlow.checkIssuer("https://evil.example", server: server) }
    }

    @Test("PKCE: a 43-character verifier and its S256 challenge (RFC 7636 appendix B)")
    func pkce() {
        let pkce = PKCE()
        #expect(pkce.verifier.count == 43 && pkce.challenge.count == 43 && pkce.verifier != PKCE().verifier)
        #expect(PKCE(verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").challenge == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    }
}
