import Testing
@testable import ProxyStdio

/// Every event in every state of `BridgeStateMachine`: the actions named in the table and the
/// state after them, or ("invariant") a precondition failure, checked in a child process.
@Suite("stdio bridge state machine: every event in every state")
struct BridgeStateMachineTableTests {
    typealias State = BridgeMachineDriver.State
    typealias Event = BridgeMachineDriver.Event
    static let invariant = "invariant"

    static let table: [State: [Event: String]] = [
        // Serving without a session: every request is its own POST; stdin's end starts the grace period.
        .sessionless: [
            .request: "start POST → sessionless",
            .notification: "start POST → sessionless",
            .cancel: "start POST → sessionless",
            .notJSON: "error -32700 → sessionless",
            .tooLong: "error -32600 → sessionless",
            .head: "none → sessionless",
            .answer: "write 7 → sessionless",
            .streamAnswer: "write 7 → sessionless",
            .upstreamError: "log stdio_request_failed, error -32000 → sessionless",
            .expired: "log stdio_request_failed, error -32000 → sessionless",
            .failed: "log stdio_request_failed, error -32000 → sessionless",
            .stale: "none → sessionless",
            .inputClosed: "log stdio_input_closed, grace → finishing",
            .stopRequested: "grace → finishing",
            .streamRetryDue: "none → sessionless",
            .outputClosed: "cancel, finished → finished",
            .graceExpired: invariant,
        ],
        // initialize is out and the upstream named the session: requests carry it; a 404 in it ends it.
        .initializing: [
            .request: "start POST → initializing",
            .notification: "start POST → initializing",
            .cancel: "start POST → initializing",
            .notJSON: "error -32700 → initializing",
            .tooLong: "error -32600 → initializing",
            .head: "none → initializing",
            .answer: "write 7 → initializing",
            .streamAnswer: "write 7 → initializing",
            .upstreamError: "log stdio_request_failed, error -32000 → initializing",
            .expired: "log stdio_request_failed, error -32000 → sessionless",
            .failed: "log stdio_request_failed, error -32000 → initializing",
            .stale: "none → initializing",
            .inputClosed: "log stdio_input_closed, grace → finishing",
            .stopRequested: "grace → finishing",
            .streamRetryDue: "none → initializing",
            .outputClosed: "cancel, cancel, finished → finished",
            .graceExpired: invariant,
        ],
        // The session's version is known.
        .established: [
            .request: "start POST → established",
            .notification: "start POST → established",
            .cancel: "start POST → established",
            .notJSON: "error -32700 → established",
            .tooLong: "error -32600 → established",
            .head: "none → established",
            .answer: "write 7 → established",
            .streamAnswer: "write 7 → established",
            .upstreamError: "log stdio_request_failed, error -32000 → established",
            .expired: "log stdio_request_failed, error -32000 → sessionless",
            .failed: "log stdio_request_failed, error -32000 → established",
            .stale: "none → established",
            .inputClosed: "log stdio_input_closed, grace → finishing",
            .stopRequested: "grace → finishing",
            .streamRetryDue: "none → established",
            .outputClosed: "cancel, finished → finished",
            .graceExpired: invariant,
        ],
        // The grace period: new requests are refused; the last call's end moves on to the DELETE
        // (or, with the session gone, straight to closing).
        .finishing: [
            .request: "error -32000 → finishing",
            .notification: "start POST → finishing",
            .cancel: "start POST → finishing",
            .notJSON: "error -32700 → finishing",
            .tooLong: "error -32600 → finishing",
            .head: "none → finishing",
            .answer: "write 7, start DELETE → deleting",
            .streamAnswer: "write 7, start DELETE → deleting",
            .upstreamError: "log stdio_request_failed, error -32000, start DELETE → deleting",
            .expired: "log stdio_request_failed, error -32000, -grace, log stdio_stopped, close → closing",
            .failed: "log stdio_request_failed, error -32000, start DELETE → deleting",
            .stale: "none → finishing",
            .inputClosed: "none → finishing",
            .stopRequested: "none → finishing",
            .graceExpired: "cancel, log stdio_request_failed, error -32000, start DELETE → deleting",
            .streamRetryDue: "none → finishing",
            .outputClosed: "cancel, -grace, finished → finished",
        ],
        // The DELETE is out: its end, whatever it is, closes the bridge.
        .deleting: [
            .request: "error -32000 → deleting",
            .notification: "none → deleting",
            .cancel: "none → deleting",
            .notJSON: "error -32700 → deleting",
            .tooLong: "error -32600 → deleting",
            .head: "none → deleting",
            .answer: "-grace, log stdio_stopped, close → closing",
            .streamAnswer: "-grace, log stdio_stopped, close → closing",
            .upstreamError: "-grace, log stdio_stopped, close → closing",
            .expired: "-grace, log stdio_stopped, close → closing",
            .failed: "log stdio_session_delete_failed, -grace, log stdio_stopped, close → closing",
            .stale: "none → deleting",
            .inputClosed: "none → deleting",
            .stopRequested: "none → deleting",
            .graceExpired: "none → deleting",
            .streamRetryDue: "none → deleting",
            .outputClosed: "cancel, -grace, finished → finished",
        ],
        // close was asked for: only stdout's end matters.
        .closing: [
            .request: "error -32000 → closing",
            .notification: "none → closing",
            .cancel: "none → closing",
            .notJSON: "error -32700 → closing",
            .tooLong: "error -32600 → closing",
            .head: "none → closing",
            .answer: "none → closing",
            .streamAnswer: "none → closing",
            .upstreamError: "none → closing",
            .expired: "none → closing",
            .failed: "none → closing",
            .stale: "none → closing",
            .inputClosed: "none → closing",
            .stopRequested: "none → closing",
            .graceExpired: "none → closing",
            .streamRetryDue: "none → closing",
            .outputClosed: "finished → finished",
        ],
        .finished: [
            .request: "none → finished",
            .notification: "none → finished",
            .cancel: "none → finished",
            .notJSON: "none → finished",
            .tooLong: "none → finished",
            .head: "none → finished",
            .answer: "none → finished",
            .streamAnswer: "none → finished",
            .upstreamError: "none → finished",
            .expired: "none → finished",
            .failed: "none → finished",
            .stale: "none → finished",
            .inputClosed: "none → finished",
            .stopRequested: "none → finished",
            .graceExpired: "none → finished",
            .streamRetryDue: "none → finished",
            .outputClosed: invariant,
        ],
    ]

    @Test("the table names every event for every state")
    func tableIsComplete() {
        for state in State.allCases {
            #expect(Set(Self.table[state]?.keys ?? [:].keys) == Set(Event.allCases), "\(state)")
        }
    }

    @Test("each defined event gives the actions and the state in the table", arguments: State.allCases)
    func definedEvents(_ state: State) {
        for event in Event.allCases {
            guard let expected = Self.table[state]?[event], expected != Self.invariant else { continue }
            var (machine, call) = BridgeMachineDriver.machine(in: state)
            #expect(BridgeMachineDriver.apply(event, to: &machine, call: call) == expected, "\(event) in \(state)")
        }
    }

    @Test("each impossible event stops the process (invariant failure)", arguments: State.allCases)
    func impossibleEvents(_ state: State) async {
        for event in Event.allCases where Self.table[state]?[event] == Self.invariant {
            await #expect(processExitsWith: .failure, "\(event) in \(state)") { [state = state as BridgeMachineDriver.State, event = event as BridgeMachineDriver.Event] in
                var (machine, call) = BridgeMachineDriver.machine(in: state)
                _ = BridgeMachineDriver.apply(event, to: &machine, call: call)
            }
        }
    }
}
