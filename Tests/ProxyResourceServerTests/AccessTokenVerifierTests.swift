import Crypto
import Foundation
import Testing
import ProxyConfig
@testable import ProxyResourceServer

/// Each rule of `AccessTokenVerifier` on tokens made to break exactly that rule.
@Suite struct AccessTokenVerifierTests {
    let issuer = TestIssuer()
    let now = Int64(Date().timeIntervalSince1970)

    func outcome(_ token: [UInt8], _ extra: [(key: String, value: String)] = []) throws -> AccessTokenVerifier.Outcome {
        let verifier = AccessTokenVerifier(settings: try TestIssuer.settings(extra))
        return token.withUnsafeBytes { verifier.verify($0, keys: issuer.keySet, now: now) }
    }

    func refusal(_ token: [UInt8], _ extra: [(key: String, value: String)] = []) throws -> String? {
        if case .refused(let reason) = try outcome(token, extra) { return reason }
        return nil
    }

    @Test func acceptsRS256AndES256() throws {
        guard case .accepted(let rsa) = try outcome(issuer.token()) else { Issue.record("RS256 refused"); return }
        #expect(rsa.clientName == "u-123")
        #expect(rsa.scopes == ["mcp", "mcp:read"])
        guard case .accepted(let ec) = try outcome(issuer.token(header: #"{"alg":"ES256","kid":"ec-1"}"#),
                                                   [("client_oauth", "{issuer: \"\(TestIssuer.issuer)\", audience: \"\(TestIssuer.audience)\", client_name_claim: preferred_username}")]) else {
            Issue.record("ES256 refused"); return
        }
        #expect(ec.clientName == "ada")
    }

    @Test func refusesTimeOutsideTheSkew() throws {
        #expect(try refusal(issuer.token(claims: TestIssuer.claims(["exp": "\(now - 61)"]))) == "expired")
        #expect(try refusal(issuer.token(claims: TestIssuer.claims(["exp": "\(now - 30)"]))) == nil, "within the 60 s skew")
        #expect(try refusal(issuer.token(claims: TestIssuer.claims(["nbf": "\(now + 120)"]))) == "not yet valid (nbf)")
        #expect(try refusal(issuer.token(claims: TestIssuer.claims(["exp": "-"]))) == "no exp")
    }

    @Test func refusesAnotherIssuerOrAudience() throws {
        #expect(try refusal(issuer.token(claims: TestIssuer.claims(["iss": "\"https://idp.example.com/realms/other\""])))?.hasPrefix("iss") == true)
        #expect(try refusal(issuer.token(claims: TestIssuer.claims(["aud": "\"https://other.example.com/mcp\""])))?.hasPrefix("aud") == true)
        #expect(try refusal(issuer.token(claims: TestIssuer.claims(["aud": "[\"a\",\"\(TestIssuer.audience)\"]"]))) == nil)
    }

    @Test func refusesUnsignedAndConfusedAlgorithms() throws {
        #expect(try refusal(issuer.token(header: #"{"alg":"none"}"#, sign: { _ in [] })) != nil)
        // HS256 keyed with the RSA public key's bytes: the classic confusion; no HMAC is ever computed.
        let hs = issuer.token(header: #"{"alg":"HS256","kid":"rsa-1"}"#) { data in
            Array(HMAC<SHA256>.authenticationCode(for: data, using: SymmetricKey(data: self.issuer.rsa.publicKey.pkcs1DERRepresentation)))
        }
        #expect(try refusal(hs)?.contains("not accepted") == true)
        // The shared `oct` key of the JWKS is never a verification key either.
        let oct = issuer.token(header: #"{"alg":"HS256","kid":"shared"}"#) { data in
            Array(HMAC<SHA256>.authenticationCode(for: data, using: SymmetricKey(data: Data("secret".utf8))))
        }
        #expect(try refusal(oct) != nil)
        // An ES256 header on an RSA key's id: no key fits, whatever the bytes.
        #expect(try refusal(issuer.token(header: #"{"alg":"ES256","kid":"rsa-1"}"#))?.contains("no key") == true)
        // RS256 is allowed by default, RS384 is not.
        #expect(try refusal(issuer.token(header: #"{"alg":"RS384","kid":"rsa-1"}"#))?.contains("not accepted") == true)
    }

    @Test func refusesTamperingAndOddForms() throws {
        var token = issuer.token()
        let dot = token.lastIndex(of: UInt8(ascii: "."))!
        token[dot - 2] = token[dot - 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(try refusal(token) != nil)
        #expect(try refusal(issuer.token(header: #"{"alg":"RS256","kid":"rsa-1","crit":["exp"]}"#)) != nil)
        #expect(try refusal(issuer.token(header: #"{"alg":"RS256","kid":"rsa-1","typ":"id_token+jwt"}"#)) != nil)
        let duplicate = "{\"iss\":\"\(TestIssuer.issuer)\",\"iss\":\"https://evil\",\"aud\":\"\(TestIssuer.audience)\",\"exp\":\(now + 60)}"
        #expect(try refusal(issuer.token(claims: duplicate)) != nil)
        #expect(try refusal(Array("a.b".utf8)) != nil)
        #expect(try refusal(Array("e30.e30.e30.e30.e30".utf8)) != nil)
    }

    @Test func unknownKeyIDAsksForTheKeys() throws {
        guard case .unknownKey(let kid) = try outcome(issuer.token(header: #"{"alg":"RS256","kid":"rotated-2"}"#)) else {
            Issue.record("an unknown kid should ask for a refetch"); return
        }
        #expect(kid == "rotated-2")
    }

    @Test func keySetSkipsWhatItCannotVerifyWith() throws {
        let set = issuer.keySet
        #expect(set.count == 2)
        #expect(set.skipped.count == 1 && set.skipped[0].contains("symmetric"))
        #expect(throws: KeySet.Failure.noKeys) { try KeySet.parse(Array(#"{"keys":[{"kty":"oct","k":"eA"}]}"#.utf8)).get() }
        #expect(throws: KeySet.Failure.notJSON) { try KeySet.parse(Array("[]".utf8)).get() }
    }

    @Test func introspectionAnswersFollowTheClaimRules() throws {
        let verifier = AccessTokenVerifier(settings: try TestIssuer.settings())
        func check(_ json: String) -> AccessTokenVerifier.Outcome { verifier.checkIntrospection(Array(json.utf8), now: now) }
        let audience = "\"aud\":\"\(TestIssuer.audience)\""
        guard case .accepted(let token) = check("{\"active\":true,\(audience),\"username\":\"ada\",\"scope\":\"mcp\"}") else {
            Issue.record("an active token for this audience was refused"); return
        }
        #expect(token.subject == "ada" && token.expiresAt == now + AccessTokenVerifier.unboundedLifetime)
        for refused in ["{\"active\":false}", "{\"active\":\"true\",\(audience)}", "{\"active\":true}",
                        "{\"active\":true,\"aud\":\"https://other.example/mcp\"}",
                        "{\"active\":true,\(audience),\"iss\":\"https://other.example\"}",
                        "{\"active\":true,\(audience),\"exp\":\(now - 600)}", "not json"] {
            guard case .refused = check(refused) else { Issue.record("accepted \(refused)"); continue }
        }
        #expect(AccessTokenVerifier.looksLikeJWS(UnsafeRawBufferPointer(start: nil, count: 0)) == false)
        #expect(Array("a.b.c".utf8).withUnsafeBytes(AccessTokenVerifier.looksLikeJWS))
        #expect(!Array("opaque-token".utf8).withUnsafeBytes(AccessTokenVerifier.looksLikeJWS))
    }

    @Test func refetchIsBoundedToOncePer30Seconds() {
        let slot = KeySetSlot()
        let asked = ManagedCounter()
        slot.onRefetchRequested { asked.add() }
        #expect(slot.requestRefetch(now: 1000))
        #expect(!slot.requestRefetch(now: 1010))
        #expect(slot.requestRefetch(now: 1030))
        #expect(asked.value == 2)
    }

    @Test func requestsWaitingForARefetchGoOnWhenItEnds() {
        let slot = KeySetSlot()
        let released = ManagedCounter()
        #expect(!slot.whenRefetched { released.add() }, "no refetch runs: nothing to wait for")
        slot.onRefetchRequested {}
        slot.requestRefetch(now: 100)
        #expect(slot.isRefetching)
        #expect(slot.whenRefetched { released.add() } && slot.whenRefetched { released.add() })
        slot.fetchFailed("down")
        #expect(released.value == 2 && !slot.isRefetching && slot.problem == "down")
        slot.requestRefetch(now: 200)
        #expect(slot.whenRefetched { released.add() })
        let before = slot.generation
        slot.install(issuer.keySet)
        #expect(released.value == 3 && slot.generation == before + 1 && slot.problem == nil && slot.keys.count == 2)
    }

    @Test func challengesAndMetadataNameTheListener() throws {
        let settings = try TestIssuer.settings()
        #expect(ResourceServerAnswers.challenge(.invalidToken, settings)
                == #"Bearer error="invalid_token", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="mcp""#)
        let metadata = String(decoding: ResourceServerAnswers.metadata(settings), as: UTF8.self)
        #expect(metadata == #"{"resource":"https://mcp.example.com/mcp","authorization_servers":["https://idp.example.com/realms/team"],"scopes_supported":["mcp"],"bearer_methods_supported":["header"]}"#)
    }
}

final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
