import Testing
@testable import ProxyDataPlane

/// Every event in every state of `ClientConnectionStateMachine`: either the action named in the
/// table, or ("invariant") a precondition failure, checked in a child process by an exit test.
@Suite("Client connection state machine: every event in every state")
struct ClientConnectionStateMachineTableTests {
    typealias State = MachineDriver.State
    typealias Event = MachineDriver.Event
    static let invariant = "invariant"

    /// What no request in progress does with stale upstream and timer events: nothing.
    private static let quietUpstream: [Event: String] = [
        .upstreamHead: "none", .upstreamBody: "none", .readComplete: "none", .upstreamEnd: "none", .upstreamFailed: "none",
    ]
    private static let noRequestParts: [Event: String] = [
        .head: invariant, .body: invariant, .end: invariant, .unreadable: invariant,
    ]

    private static let awaitingUpstream: [Event: String] = noRequestParts.merging([
        .backlog: "pauseClient",
        .upstreamHead: "head 200 asUpstream", .upstreamBody: invariant, .readComplete: "none",
        .upstreamEnd: invariant, .upstreamFailed: "answer 502 keep, log request → next",
        .unwritable: "none", .writable: "none", .quiesce: "none", .clientClosed: "end, log client_closed → nothing",
        .closeRequested: invariant, .heartbeatDue: "none", .tickSoon: "none",
        .tickLate: "answer 504 keep, log request → next", .bytes: "input:parse",
    ]) { $1 }

    private static let relayingStream: [Event: String] = noRequestParts.merging([
        .backlog: "pauseClient",
        .upstreamHead: invariant, .upstreamBody: "body chunked", .readComplete: "flush",
        .upstreamEnd: "finish chunked, log request → next", .upstreamFailed: "finish chunked, log request → close",
        .unwritable: "pauseUpstream", .writable: "resumeUpstream",
        .quiesce: "finish chunked, log stream_closed_for_shutdown → close",
        .clientClosed: "end, log client_closed → nothing", .closeRequested: invariant, .heartbeatDue: "none",
        .tickSoon: "none", .tickLate: "none", .bytes: "input:parse",
    ]) { $1 }

    static let table: [State: [Event: String]] = [
        .idle: quietUpstream.merging([
            .head: "none", .body: invariant, .end: invariant,
            .unreadable: "answer 400, log - → close", .backlog: "none",
            .unwritable: "none", .writable: "none", .quiesce: "close", .clientClosed: "none",
            .closeRequested: invariant, .heartbeatDue: "none", .tickSoon: "none", .tickLate: "close",
            .bytes: "input:parse",
        ]) { $1 },
        .collecting: quietUpstream.merging([
            .head: invariant, .body: "none", .end: "answer 400 keep, log request → next",
            .unreadable: "answer 400, log request → close", .backlog: "pauseClient",
            .unwritable: "none", .writable: "none", .quiesce: "none", .clientClosed: "end, log client_closed → nothing",
            .closeRequested: invariant, .heartbeatDue: "none", .tickSoon: "none",
            .tickLate: "answer 408, log request → close", .bytes: "input:parse",
        ]) { $1 },
        .rejecting: quietUpstream.merging([
            .head: invariant, .body: "none", .end: "answer 404 keep, log request → next",
            .unreadable: "answer 400, log request → close", .backlog: "pauseClient",
            .unwritable: "none", .writable: "none", .quiesce: "none", .clientClosed: "end, log client_closed → nothing",
            .closeRequested: invariant, .heartbeatDue: "none", .tickSoon: "none",
            .tickLate: "answer 408, log request → close", .bytes: "input:parse",
        ]) { $1 },
        .awaitingUpstream: awaitingUpstream,
        .relaying: noRequestParts.merging([
            .backlog: "pauseClient",
            .upstreamHead: invariant, .upstreamBody: "body asUpstream", .readComplete: "flush",
            .upstreamEnd: "finish asUpstream, log request → next", .upstreamFailed: "cut, log request → close",
            .unwritable: "pauseUpstream", .writable: "resumeUpstream", .quiesce: "none",
            .clientClosed: "end, log client_closed → nothing", .closeRequested: invariant, .heartbeatDue: "none",
            .tickSoon: "none", .tickLate: "cut, log request → close", .bytes: "input:parse",
        ]) { $1 },
        .relayingStream: relayingStream,
        // Like waiting for the head: nothing is written until the whole list is in and filtered.
        .collectingToolList: awaitingUpstream.merging([
            .upstreamHead: invariant, .upstreamBody: "none", .upstreamEnd: "answer 200 keep, log request → next",
        ]) { $1 },
        // Like any event stream, except that bytes short of a whole event are held back.
        .relayingFilteredStream: relayingStream.merging([.upstreamBody: "none"]) { $1 },
        .heartbeat: noRequestParts.merging(quietUpstream) { $1 }.merging([
            .backlog: "pauseClient", .unwritable: "none", .writable: "none",
            .quiesce: "finish chunked, log stream_closed_for_shutdown → close",
            .clientClosed: "end, log client_closed → nothing", .closeRequested: invariant, .heartbeatDue: "beat",
            .tickSoon: "none", .tickLate: "none", .bytes: "input:parse",
        ]) { $1 },
        .heartbeatDraining: noRequestParts.merging(quietUpstream) { $1 }.merging([
            .upstreamHead: invariant,
            .backlog: "pauseClient", .unwritable: "none", .writable: "none",
            .quiesce: "finish chunked, log stream_closed_for_shutdown → close",
            .clientClosed: "end, log client_closed → nothing", .closeRequested: invariant, .heartbeatDue: "beat",
            .tickSoon: "none", .tickLate: "none", .bytes: "input:parse",
        ]) { $1 },
        .closing: noRequestParts.merging(quietUpstream) { $1 }.merging([
            .backlog: "none", .unwritable: "none", .writable: "none", .quiesce: "none", .clientClosed: "none",
            .closeRequested: "close", .heartbeatDue: "none", .tickSoon: "none", .tickLate: "none", .bytes: "input:parse",
        ]) { $1 },
        .lingering: noRequestParts.merging(quietUpstream) { $1 }.merging([
            .backlog: "none", .unwritable: "none", .writable: "none", .quiesce: "none", .clientClosed: "none",
            .closeRequested: invariant, .heartbeatDue: "none", .tickSoon: "none", .tickLate: "close",
            .bytes: "input:discard",
        ]) { $1 },
        .closed: noRequestParts.merging(quietUpstream) { $1 }.merging([
            .backlog: "none", .unwritable: "none", .writable: "none", .quiesce: "none", .clientClosed: "none",
            .closeRequested: invariant, .heartbeatDue: "none", .tickSoon: "none", .tickLate: "none",
            .bytes: "input:discard",
        ]) { $1 },
    ]

    @Test("the table names every event for every state")
    func tableIsComplete() {
        for state in State.allCases {
            #expect(Set(Self.table[state]?.keys ?? [:].keys) == Set(Event.allCases), "\(state)")
        }
    }

    @Test("each defined event gives the action in the table", arguments: State.allCases)
    func definedEvents(_ state: State) {
        for event in Event.allCases {
            guard let expected = Self.table[state]?[event], expected != Self.invariant else { continue }
            var machine = MachineDriver.machine(in: state)
            #expect(MachineDriver.apply(event, to: &machine) == expected, "\(event) in \(state)")
        }
    }

    @Test("each impossible event stops the process (invariant failure)", arguments: State.allCases)
    func impossibleEvents(_ state: State) async {
        for event in Event.allCases where Self.table[state]?[event] == Self.invariant {
            await #expect(processExitsWith: .failure, "\(event) in \(state)") { [state = state as MachineDriver.State, event = event as MachineDriver.Event] in
                var machine = MachineDriver.machine(in: state)
                _ = MachineDriver.apply(event, to: &machine)
            }
        }
    }
}
