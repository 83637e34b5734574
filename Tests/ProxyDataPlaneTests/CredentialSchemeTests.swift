import NIOConcurrencyHelpers
import ProxyConfig
import ProxySigning
import ProxyTestSupport
import Testing
@testable import ProxyDataPlane

/// What arrives upstream under each `auth_scheme`: exactly the proxy's credential, never a
/// client's copy, and never the credential in a log line.
@Suite("credential schemes")
struct CredentialSchemeTests {
    static let forged = ["Authorization: Bearer client-token", "X-Api-Key: client-key", "Connection: x-api-key, authorization"]

    func headers(_ received: TestUpstream.Received, _ name: String) -> [String] {
        received.headers.filter { $0.0.lowercased() == name }.map(\.1)
    }

    @Test("bearer: one Authorization: Bearer <secret>, the client's own dropped")
    func bearer() async throws {
        try await ProxyHarness.with(profile: [("auth_scheme", "bearer"), ("key_id", "")], upstreamChecksSignature: false) { proxy in
            #expect(try await proxy.exchange(.post(headers: Self.forged))?.status == 200)
            let received = try #require(proxy.upstream.received.first)
            #expect(headers(received, "authorization") == ["Bearer \(ProxyHarness.secret)"])
            #expect(headers(received, "x-signature").isEmpty && headers(received, "x-api-key-id").isEmpty, "no HMAC headers")
            #expect(!proxy.logLines().description.contains(ProxyHarness.secret))
        }
    }

    @Test("header: <auth_header>: <secret> once, a client's copy dropped even when Connection names it")
    func header() async throws {
        try await ProxyHarness.with(profile: [("auth_scheme", "header"), ("auth_header", "x-api-key"), ("key_id", "")],
                                    upstreamChecksSignature: false) { proxy in
            let forged = ["Authorization: Bearer client-token", "X-Api-Key: client-key", "Connection: x-api-key"]
            #expect(try await proxy.exchange(.post(headers: forged))?.status == 200)
            let received = try #require(proxy.upstream.received.first)
            #expect(headers(received, "x-api-key") == [ProxyHarness.secret])
            #expect(headers(received, "authorization") == ["Bearer client-token"], "other client headers pass as before")
            #expect(!proxy.logLines().description.contains(ProxyHarness.secret))
        }
    }

    @Test("none: no credential is added; what the client sends passes through")
    func none() async throws {
        try await ProxyHarness.with(profile: [("auth_scheme", "none"), ("key_id", ""), ("secret_env", "")], upstreamChecksSignature: false) { proxy in
            #expect(try await proxy.exchange(.post(headers: ["Authorization: Bearer client-token"]))?.status == 200)
            let received = try #require(proxy.upstream.received.first)
            #expect(headers(received, "authorization") == ["Bearer client-token"])
            #expect(headers(received, "x-signature").isEmpty && headers(received, "x-timestamp").isEmpty)
        }
    }

    @Test("auth-gateway stays the default, and a client's Authorization still passes (it is not the proxy's)")
    func gatewayDefault() async throws {
        try await ProxyHarness.with { proxy in
            #expect(try await proxy.exchange(.post(headers: ["Authorization: Bearer client-token"]))?.status == 200)
            let received = try #require(proxy.upstream.received.first)
            #expect(received.signatureValid)
            #expect(headers(received, "authorization") == ["Bearer client-token"])
        }
    }

    static let oauthKeys: LoadedConfig.Keys = [("auth_scheme", "oauth"), ("key_id", ""), ("secret_env", "")]

    @Test("oauth: the slot's access token as Authorization: Bearer, a client's dropped; a new token is used at once")
    func oauth() async throws {
        let slot = AccessTokenSlot(problem: "unused")
        slot.store(accessToken: "first-access-token")
        try await ProxyHarness.with(profile: Self.oauthKeys, upstreamChecksSignature: false, accessToken: slot) { proxy in
            let first = try await proxy.exchange(.post(headers: Self.forged))
            slot.store(accessToken: "second-access-token")
            let second = try await proxy.exchange(.post())
            #expect(first?.status == 200 && second?.status == 200)
            let received = proxy.upstream.received
            #expect(received.count == 2)
            #expect(received.map { headers($0, "authorization") } == [["Bearer first-access-token"], ["Bearer second-access-token"]])
            #expect(!proxy.logLines().description.contains("access-token"), "a token never reaches the log")
        }
    }

    @Test("oauth without a token: 503 with a JSON-RPC error naming the login command; nothing reaches the upstream")
    func oauthWithoutToken() async throws {
        let slot = AccessTokenSlot(problem: "profile `test` has no OAuth access token (not logged in): run `mcp-auth-proxy login --profile test`")
        try await ProxyHarness.with(profile: Self.oauthKeys, upstreamChecksSignature: false, accessToken: slot) { proxy in
            let answered = try await proxy.exchange(.post())
            let response = try #require(answered)
            #expect(response.status == 503)
            #expect(response.body.contains("run `mcp-auth-proxy login --profile test`") && response.body.contains("\"code\":-32603"))
            #expect(response.header("www-authenticate") == nil)
            #expect(proxy.upstream.received.isEmpty)
            slot.store(accessToken: "after-login")
            let later = try await proxy.exchange(.post())
            #expect(later?.status == 200, "a token stored later is used without a restart")
        }
    }

    /// A slot holding `token` whose keeper, told of a refusal (counted), stores `renewed`: the
    /// part `OAuthSession` plays in the program.
    static func keptSlot(holding token: String, renewedTo renewed: String) -> (AccessTokenSlot, ReportCounter) {
        let slot = AccessTokenSlot(problem: "unused")
        slot.store(accessToken: token)
        let reports = ReportCounter()
        slot.onRejected { _ in
            reports.add()
            slot.store(accessToken: renewed)
        }
        return (slot, reports)
    }

    @Test("oauth: an upstream 401 waits for a fresh token and sends the request once more, body intact; the client sees only the answer")
    func oauthResendAfterRefusal() async throws {
        let (slot, reports) = Self.keptSlot(holding: "stale", renewedTo: "fresh")
        try await ProxyHarness.with(profile: Self.oauthKeys, upstreamChecksSignature: false, accessToken: slot) { proxy in
            let body = #"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":"once"}}}"#
            let answered = try await proxy.exchange(.post("/mcp/refuse-bearer/stale", body: body))
            let response = try #require(answered)
            #expect(response.status == 200)
            let received = proxy.upstream.received
            #expect(received.map { headers($0, "authorization") } == [["Bearer stale"], ["Bearer fresh"]])
            #expect(received.map(\.body) == [body, body], "the same request, body and all")
            #expect(reports.count == 1)
        }
    }

    @Test("oauth: the resent request refused again reaches the client as 401 without the upstream's WWW-Authenticate; no second resend")
    func oauthRefusedTwice() async throws {
        let (slot, reports) = Self.keptSlot(holding: "refused-token", renewedTo: "refused-token")
        try await ProxyHarness.with(profile: Self.oauthKeys, upstreamChecksSignature: false, accessToken: slot) { proxy in
            let answered = try await proxy.exchange(.post("/mcp/refuse-bearer/refused-token"))
            let response = try #require(answered)
            #expect(response.status == 401)
            #expect(response.header("www-authenticate") == nil, "the upstream's challenge would send the client into OAuth against the proxy")
            #expect(proxy.upstream.received.count == 2 && reports.count == 1)
            let after = try await proxy.exchange(.post())
            #expect(after?.status == 200, "the connection and the profile carry on")
        }
    }

    @Test("oauth: a refusal after which no token can be had ends in the 503 naming the login command")
    func oauthRefusedThenLoggedOut() async throws {
        let slot = AccessTokenSlot(problem: "unused")
        slot.store(accessToken: "revoked")
        slot.onRejected { _ in slot.clear(problem: "profile `test` has no OAuth access token (refresh refused): run `mcp-auth-proxy login --profile test`") }
        try await ProxyHarness.with(profile: Self.oauthKeys, upstreamChecksSignature: false, accessToken: slot) { proxy in
            let answered = try await proxy.exchange(.post("/mcp/refuse-bearer/revoked"))
            let response = try #require(answered)
            #expect(response.status == 503 && response.body.contains("mcp-auth-proxy login --profile test"))
            #expect(proxy.upstream.received.count == 1)
        }
    }

    @Test("oauth: a 403 insufficient_scope reaches the client without its challenge, and the log names the scopes and the login command")
    func oauthInsufficientScope() async throws {
        let slot = AccessTokenSlot(problem: "unused")
        slot.store(accessToken: "narrow")
        try await ProxyHarness.with(profile: Self.oauthKeys, upstreamChecksSignature: false, accessToken: slot) { proxy in
            let answered = try await proxy.exchange(.post("/mcp/insufficient-scope/repo+admin:org"))
            let response = try #require(answered)
            #expect(response.status == 403 && response.header("www-authenticate") == nil)
            #expect(proxy.upstream.received.count == 1, "a 403 is not sent again")
            let found = await eventuallyValue { proxy.logLines().first { $0["event"] as? String == "oauth_insufficient_scope" } }
            let logged = try #require(found)
            #expect(logged["scope"] as? String == "repo admin:org")
            #expect(logged["fix"] as? String == #"mcp-auth-proxy login --profile test --scope "repo admin:org""#)
        }
    }

    @Test("oauth: a request waiting for a fresh token that never comes ends at request_timeout with 504")
    func oauthNoRenewal() async throws {
        let slot = AccessTokenSlot(problem: "unused")
        slot.store(accessToken: "stale")
        try await ProxyHarness.with(profile: Self.oauthKeys + [("request_timeout", "300ms")], upstreamChecksSignature: false, accessToken: slot) { proxy in
            let answered = try await proxy.exchange(.post("/mcp/refuse-bearer/stale"))
            let response = try #require(answered)
            #expect(response.status == 504)
            #expect(proxy.upstream.received.count == 1)
        }
    }
}

/// Counts calls from any thread.
final class ReportCounter: Sendable {
    private let value = NIOLockedValueBox(0)
    func add() { value.withLockedValue { $0 += 1 } }
    var count: Int { value.withLockedValue { $0 } }
}
