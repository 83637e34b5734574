import NIOCore
import ProxyConfig
import Testing
@testable import ProxyDataPlane

/// `rate_limit:` in the connection machine, with time passed in: bursts, refills, two clients,
/// the profile's limit, `tools_call_only`, and limits changed by a reload.
@Suite("Rate limits: the machine with virtual time")
struct RateLimitMachineTests {
    typealias D = MachineDriver

    static func machine(_ limiter: RateLimiter) -> ClientConnectionStateMachine {
        D.machine(rateLimiter: limiter)
    }

    static func limiter(perClient: RateLimitSettings.Rate? = nil, perProfile: RateLimitSettings.Rate? = nil, toolsCallOnly: Bool = false,
                        state: RateLimitState = RateLimitState(), tokens: [String] = ["alice", "bob"]) -> RateLimiter {
        RateLimiter(settings: RateLimitSettings(perClient: perClient, perProfile: perProfile, toolsCallOnly: toolsCallOnly), state: state, tokenNames: tokens)
    }

    /// One request through the machine at `now`, answered 200 when forwarded; what it got.
    static func send(_ m: inout ClientConnectionStateMachine, bucket: RateBucket?, at now: NIODeadline, body: String = D.ping) -> String {
        let head = D.requestHead("POST /mcp HTTP/1.1\nhost: 127.0.0.1\ncontent-length: \(body.utf8.count)\n")
        _ = m.requestHead(head, verdict: D.forward, now: now, rateBucket: bucket)
        _ = m.requestBody(ByteBuffer(string: body))
        let action = m.requestEnd(servesHeartbeat: false, now: now)
        guard case .forward = action else { return D.name(action) }
        _ = m.upstreamResponseHead(D.plainResponse, now: now)
        _ = m.upstreamResponseEnd()
        return "forwarded"
    }

    @Test("a client gets its burst at once, then 429s, then one request per interval as tokens come back")
    func burstThenRefill() {
        let limiter = Self.limiter(perClient: RateLimitSettings.Rate(requests: 60, per: .seconds(60), burst: 5))
        let bucket = limiter.tokenBuckets[0]
        var m = Self.machine(limiter)
        for _ in 0..<5 { #expect(Self.send(&m, bucket: bucket, at: D.start) == "forwarded") }
        #expect(Self.send(&m, bucket: bucket, at: D.start) == "answer 429 keep, log request → next")
        #expect(m.exchange.answerReason == .rateLimit)
        guard case .rateLimited(let refusal)? = Self.lastAnswer(limiter, bucket: bucket, at: D.start) else {
            Issue.record("no refusal")
            return
        }
        #expect(refusal.scope == .client && refusal.retryAfterSeconds == 1)
        #expect(Self.send(&m, bucket: bucket, at: D.start + .milliseconds(999)) != "forwarded", "a token takes a whole second")
        #expect(Self.send(&m, bucket: bucket, at: D.start + .seconds(1)) == "forwarded")
        #expect(Self.send(&m, bucket: bucket, at: D.start + .seconds(1)) != "forwarded")
        // Idle for long: the bucket is full again, but never more than the burst.
        for _ in 0..<5 { #expect(Self.send(&m, bucket: bucket, at: D.start + .seconds(600)) == "forwarded") }
        #expect(Self.send(&m, bucket: bucket, at: D.start + .seconds(600)) != "forwarded")
    }

    @Test("one client over its limit leaves another its full rate")
    func clientsAreIndependent() {
        let limiter = Self.limiter(perClient: RateLimitSettings.Rate(requests: 2, per: .seconds(1)))
        var alice = Self.machine(limiter)
        var bob = Self.machine(limiter)
        for _ in 0..<2 { #expect(Self.send(&alice, bucket: limiter.tokenBuckets[0], at: D.start) == "forwarded") }
        for _ in 0..<10 { #expect(Self.send(&alice, bucket: limiter.tokenBuckets[0], at: D.start) != "forwarded") }
        for _ in 0..<2 { #expect(Self.send(&bob, bucket: limiter.tokenBuckets[1], at: D.start) == "forwarded") }
    }

    @Test("the profile's limit holds for all clients together, and a client refused by it keeps its own token")
    func profileLimit() {
        let limiter = Self.limiter(perClient: RateLimitSettings.Rate(requests: 3, per: .seconds(1)),
                                   perProfile: RateLimitSettings.Rate(requests: 4, per: .seconds(1)))
        var m = Self.machine(limiter)
        let alice = limiter.tokenBuckets[0], bob = limiter.tokenBuckets[1]
        for _ in 0..<3 { #expect(Self.send(&m, bucket: alice, at: D.start) == "forwarded") }
        #expect(Self.send(&m, bucket: bob, at: D.start) == "forwarded")
        #expect(Self.send(&m, bucket: bob, at: D.start) == "answer 429 keep, log request → next")
        guard case .rateLimited(let refusal)? = Self.lastAnswer(limiter, bucket: bob, at: D.start) else {
            Issue.record("no refusal")
            return
        }
        #expect(refusal.scope == .profile)
        // A quarter second gives the profile one token back; bob still has two of his own.
        #expect(Self.send(&m, bucket: bob, at: D.start + .milliseconds(250)) == "forwarded")
    }

    @Test("tools_call_only counts tools/call (and batches) only")
    func toolsCallOnly() {
        let limiter = Self.limiter(perProfile: RateLimitSettings.Rate(requests: 1, per: .seconds(60)), toolsCallOnly: true)
        var m = Self.machine(limiter)
        let call = #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo"}}"#
        for _ in 0..<5 { #expect(Self.send(&m, bucket: nil, at: D.start) == "forwarded", "ping is free") }
        #expect(Self.send(&m, bucket: nil, at: D.start, body: call) == "forwarded")
        #expect(Self.send(&m, bucket: nil, at: D.start, body: call) == "answer 429 keep, log request → next")
        #expect(Self.send(&m, bucket: nil, at: D.start, body: "[\(call)]") == "answer 429 keep, log request → next", "a batch counts")
        #expect(Self.send(&m, bucket: nil, at: D.start, body: D.toolsList) == "forwarded")
    }

    @Test("a reload that changes the limits keeps what each client has used")
    func reloadKeepsBuckets() {
        let state = RateLimitState()
        let before = Self.limiter(perClient: RateLimitSettings.Rate(requests: 10, per: .seconds(10)), state: state)
        var m = Self.machine(before)
        for _ in 0..<10 { #expect(Self.send(&m, bucket: before.tokenBuckets[1], at: D.start) == "forwarded") }
        // Tokens reordered and the rate doubled: bob is still out of tokens, for half as long.
        let after = Self.limiter(perClient: RateLimitSettings.Rate(requests: 20, per: .seconds(10)), state: state, tokens: ["bob", "carol"])
        #expect(after.tokenBuckets[0] === before.tokenBuckets[1])
        var n = Self.machine(after)
        #expect(Self.send(&n, bucket: after.tokenBuckets[0], at: D.start) != "forwarded")
        #expect(Self.send(&n, bucket: after.tokenBuckets[1], at: D.start) == "forwarded", "a new client starts full")
        #expect(Self.send(&n, bucket: after.tokenBuckets[0], at: D.start + .milliseconds(500)) == "forwarded")
    }

    /// What the limiter would answer now, without the machine (for the refusal's details).
    static func lastAnswer(_ limiter: RateLimiter, bucket: RateBucket?, at now: NIODeadline) -> LocalAnswer? {
        limiter.refusal(client: bucket, now: now).map(LocalAnswer.rateLimited)
    }
}
