@testable import ProxyDataPlane
import Testing

/// An upstream connection goes back to its pool once per exchange, whichever end comes first.
@Suite("upstream connection life")
struct UpstreamConnectionLifeTests {
    @Test("connecting, idle, exchanging; the exchange ends once, reusable or not")
    func endsOnce() {
        var connecting = UpstreamConnectionLife(isActive: false)
        #expect(connecting.state == .connecting)
        let earlyStart = connecting.startExchange()
        #expect(earlyStart, "NIO completes the connect before channelActive: a request may go out then")
        connecting.activated()
        #expect(connecting.state == .exchanging, "channelActive does not end the exchange it started in")
        var life = UpstreamConnectionLife(isActive: false)
        life.activated()
        #expect(life.state == .idle)
        let first = life.startExchange()
        let overlapping = life.startExchange()
        #expect(first)
        #expect(!overlapping, "one exchange at a time")
        let end = life.endExchange(reusable: true)
        let secondEnd = life.endExchange(reusable: true)
        #expect(end)
        #expect(!secondEnd, "a second end (abandon after the response's end) releases nothing")
        #expect(life.state == .idle)
        let again = life.startExchange()
        let unusableEnd = life.endExchange(reusable: false)
        #expect(again && unusableEnd)
        #expect(life.state == .closed)
        let afterClose = life.startExchange() || life.endExchange(reusable: false)
        #expect(!afterClose)
    }

    @Test("closing reports the state it ended: idle ones leave the pool, exchanging ones are failed first")
    func closing() {
        var idle = UpstreamConnectionLife(isActive: true)
        let idleEnded = idle.closed()
        #expect(idleEnded == .idle)
        let startAfterClose = idle.startExchange()
        #expect(idle.state == .closed && !startAfterClose)
        var busy = UpstreamConnectionLife(isActive: true)
        _ = busy.startExchange()
        let busyEnded = busy.closed()
        #expect(busyEnded == .exchanging)
        let endAfterClose = busy.endExchange(reusable: false)
        #expect(!endAfterClose, "closed: the end already happened or never will")
        var activatedLate = UpstreamConnectionLife(isActive: true)
        activatedLate.activated()
        #expect(activatedLate.state == .idle, "channelActive after an active handlerAdded changes nothing")
    }
}
