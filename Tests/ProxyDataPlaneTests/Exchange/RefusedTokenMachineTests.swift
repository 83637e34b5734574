import NIOCore
import Testing
@testable import ProxyDataPlane

private typealias D = MachineDriver

/// `auth_scheme: oauth`: a request the upstream refuses with 401 waits for a fresh token and
/// goes once more; the refused answer never reaches the client.
@Suite("Client connection state machine: a refused OAuth token")
struct RefusedTokenMachineTests {
    static let refusedToken = D.responseHead("HTTP/1.1 401 Unauthorized\nwww-authenticate: Bearer error=\"invalid_token\"\ncontent-length: 3\n")

    /// An oauth profile's POST, forwarded.
    static func oauthForwarded() -> ClientConnectionStateMachine {
        var m = D.machine(resendsOnRefusedToken: true)
        _ = m.requestHead(D.postHead, verdict: D.forward, now: D.start)
        _ = m.requestBody(ByteBuffer(string: D.ping))
        _ = m.requestEnd(servesHeartbeat: false, now: D.start)
        return m
    }

    @Test("oauth: a 401 is dropped while a fresh token is awaited; the request goes once more, whichever comes first")
    func resendAfterRefusedToken() {
        // The token is renewed after the refused answer has been read.
        var late = Self.oauthForwarded()
        #expect(D.name(late.upstreamResponseHead(Self.refusedToken, now: D.start)) == "await-fresh-token")
        #expect(D.name(late.upstreamResponseBody(ByteBuffer(string: "abc"))) == "none", "the refused answer is not relayed")
        #expect(D.name(late.upstreamResponseEnd()) == "none")
        #expect(D.name(late.tokenRenewed(forExchange: late.exchange.number + 1)) == "none", "another exchange's renewal")
        #expect(D.name(late.tokenRenewed(forExchange: late.exchange.number)) == "forward POST /up/mcp")
        #expect(late.awaitsUpstream(forExchange: late.exchange.number))
        // Refused again: this time the 401 is the answer.
        #expect(D.name(late.upstreamResponseHead(Self.refusedToken, now: D.start)) == "head 401 asUpstream")
        // Renewed while the refused answer is still arriving.
        var early = Self.oauthForwarded()
        _ = early.upstreamResponseHead(Self.refusedToken, now: D.start)
        #expect(D.name(early.tokenRenewed(forExchange: early.exchange.number)) == "none")
        #expect(D.name(early.upstreamResponseEnd()) == "forward POST /up/mcp")
        // The refused answer's connection breaks: no matter, the request still goes again.
        var broken = Self.oauthForwarded()
        _ = broken.upstreamResponseHead(Self.refusedToken, now: D.start)
        _ = broken.tokenRenewed(forExchange: broken.exchange.number)
        #expect(D.name(broken.upstreamFailed(.closedEarly)) == "forward POST /up/mcp")
    }

    @Test("oauth: waiting for a token is bounded by request_timeout; other profiles relay a 401 as it is")
    func refusedTokenLimits() {
        var waiting = Self.oauthForwarded()
        _ = waiting.upstreamResponseHead(Self.refusedToken, now: D.start)
        _ = waiting.upstreamResponseEnd()
        #expect(D.name(waiting.limitsCheckDue(now: D.start + D.requestTimeout + .milliseconds(1))) == "answer 504 keep, log request → next")
        #expect(D.name(waiting.tokenRenewed(forExchange: waiting.exchange.number)) == "none", "a renewal after the end sends nothing")
        var plain = D.machine(in: .awaitingUpstream)
        #expect(D.name(plain.upstreamResponseHead(Self.refusedToken, now: D.start)) == "head 401 asUpstream")
    }
}
