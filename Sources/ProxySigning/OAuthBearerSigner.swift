import NIOConcurrencyHelpers
import ProxyConfig

/// The current OAuth access token of one profile, shared by the control plane (which obtains and
/// refreshes it) and the data plane (which writes it into each forwarded request).
///
/// Only the prepared header value is kept, in memory; it is never logged or described.
package final class AccessTokenSlot: Sendable, CustomStringConvertible {
    private struct State {
        /// `Bearer <token>`, or nil while there is none.
        var header: [UInt8]?
        /// Why there is no token, as the client's error message says it (login command and all).
        var problem: String
    }

    private let state: NIOLockedValueBox<State>
    /// Told when an upstream answered 401 to the current token (set by the control plane).
    private let rejected = NIOLockedValueBox<(@Sendable () -> Void)?>(nil)

    package init(problem: String) {
        state = NIOLockedValueBox(State(header: nil, problem: problem))
    }

    /// Called by whoever keeps the token, once.
    package func onRejected(_ action: @escaping @Sendable () -> Void) {
        rejected.withLockedValue { $0 = action }
    }

    /// The upstream refused the token (401): the keeper refreshes it (one refresh at a time).
    package func reportRejected() {
        rejected.withLockedValue { $0 }?()
    }

    /// Installs a new access token.
    package func store(accessToken: String) {
        let header = Array("Bearer ".utf8) + Array(accessToken.utf8)
        state.withLockedValue { $0.header = header }
    }

    /// Drops the token: requests are answered with `problem` until the next `store`.
    package func clear(problem: String) {
        state.withLockedValue {
            $0.header = nil
            $0.problem = problem
        }
    }

    /// Nil while a token is held; else why not (for the client's JSON-RPC error).
    package var problem: String? {
        state.withLockedValue { $0.header == nil ? $0.problem : nil }
    }

    package var hasToken: Bool { state.withLockedValue { $0.header != nil } }

    /// Hands the header value to `body` under the lock: no copy of the token per request.
    func withHeaderValue(_ body: (UnsafeRawBufferPointer) -> Void) {
        state.withLockedValue { state in
            state.header?.withUnsafeBytes(body)
        }
    }

    package var description: String { hasToken ? "<access token, hidden>" : "<no access token>" }
}

/// `auth_scheme: oauth`: `Authorization: Bearer <access token>` from the profile's slot — one header
/// write, no I/O. A request is not forwarded while the slot is empty (see `AccessTokenSlot.problem`).
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
