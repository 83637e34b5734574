import NIOConcurrencyHelpers
import ProxyConfig

/// The current OAuth access token of one profile, shared by the control plane (which obtains and
/// refreshes it) and the data plane (which writes it into each forwarded request).
///
/// Only the prepared header value is kept, in memory; it is never logged or described. Each
/// change of token (or its loss) is a new `generation`; a request refused with 401 waits for the
/// generation after the one it was sent with (`whenRenewed`) and is then sent again, once.
package final class AccessTokenSlot: Sendable, CustomStringConvertible {
    private struct State {
        /// `Bearer <token>`, or nil while there is none.
        var header: [UInt8]?
        /// Why there is no token, as the client's error message says it (login command and all).
        var problem: String
        var generation: UInt64 = 0
        /// Requests refused with the token of `after`, waiting for a later one.
        var waiters: [(after: UInt64, action: @Sendable () -> Void)] = []
        /// Told when an upstream answered 401 (set by the control plane).
        var rejected: (@Sendable (UInt64) -> Void)?

        /// A new generation; the waiters it releases.
        mutating func advance() -> [@Sendable () -> Void] {
            generation &+= 1
            defer { waiters = [] }
            return waiters.map(\.action)
        }
    }

    private let state: NIOLockedValueBox<State>

    package init(problem: String) {
        state = NIOLockedValueBox(State(header: nil, problem: problem))
    }

    /// Installs a new access token; waiting requests go again with it.
    package func store(accessToken: String) {
        let header = Array("Bearer ".utf8) + Array(accessToken.utf8)
        let waiters = state.withLockedValue { state in
            state.header = header
            return state.advance()
        }
        for waiter in waiters { waiter() }
    }

    /// Drops the token: requests are answered with `problem` until the next `store`, waiting ones included.
    package func clear(problem: String) {
        let waiters = state.withLockedValue { state in
            state.header = nil
            state.problem = problem
            return state.advance()
        }
        for waiter in waiters { waiter() }
    }

    package var hasToken: Bool { state.withLockedValue { $0.header != nil } }

    /// The current token's generation.
    package var generation: UInt64 { state.withLockedValue { $0.generation } }

    /// Read before a request is signed, in one lock: why there is no token (nil when there is
    /// one), and the generation the request goes with.
    package var current: (problem: String?, generation: UInt64) {
        state.withLockedValue { ($0.header == nil ? $0.problem : nil, $0.generation) }
    }

    /// Called by the token's keeper, once: `action` gets the refused token's generation.
    package func onRejected(_ action: @escaping @Sendable (UInt64) -> Void) {
        state.withLockedValue { $0.rejected = action }
    }

    /// The upstream refused the token of `generation` (401): tells the keeper, which refreshes.
    package func reportRejected(generation: UInt64) {
        state.withLockedValue { $0.rejected }?(generation)
    }

    /// Runs `action` (on whatever thread renews the token) once the token is newer than
    /// `generation`, or at once when it already is.
    package func whenRenewed(after generation: UInt64, _ action: @escaping @Sendable () -> Void) {
        let runNow = state.withLockedValue { state in
            guard state.generation == generation else { return true }
            state.waiters.append((generation, action))
            return false
        }
        if runNow { action() }
    }

    /// Hands the header value to `body` under the lock: no copy of the token per request.
    func withHeaderValue(_ body: (UnsafeRawBufferPointer) -> Void) {
        state.withLockedValue { state in
            state.header?.withUnsafeBytes(body)
        }
    }

    package var description: String { hasToken ? "<access token, hidden>" : "<no access token>" }
}

/// `auth_scheme: oauth`: `Authorization: Bearer <access token>` from the profile's slot — one header
/// write, no I/O. A request is not forwarded while the slot is empty (see `AccessTokenSlot.current`).
package struct OAuthBearerSigner: RequestSigner {
    let slot: AccessTokenSlot

    package init(slot: AccessTokenSlot) {
        self.slot = slot
    }

    package func sign(method: String, target: String, key: SigningKey, unixMilliseconds: Int64,
                      into field: (_ name: String, _ value: UnsafeRawBufferPointer) -> Void) {
        slot.withHeaderValue { field("authorization", $0) }
    }
}
