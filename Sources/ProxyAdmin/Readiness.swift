import NIOConcurrencyHelpers

/// What `/readyz` reports: each served profile's listener state. The supervisor moves every
/// profile from `starting` to `ready` once its listener is bound and accepting, and to `draining`
/// as soon as shutdown begins, so that load balancers and Kubernetes stop sending new clients
/// before the listeners stop accepting.
package final class Readiness: Sendable {
    package enum State: String, Sendable {
        case starting, ready, draining
    }

    private let states: NIOLockedValueBox<[(profile: String, state: State)]>

    package init(profiles: [String]) {
        states = NIOLockedValueBox(profiles.map { ($0, .starting) })
    }

    /// Sets a profile's state, adding the profile when a reload brought it.
    package func set(_ state: State, for profile: String) {
        states.withLockedValue { states in
            if let index = states.firstIndex(where: { $0.profile == profile }) {
                states[index].state = state
            } else {
                states.append((profile, state))
            }
        }
    }

    /// A profile a reload removed (or renamed) no longer counts.
    package func remove(_ profile: String) {
        states.withLockedValue { states in states.removeAll { $0.profile == profile } }
    }

    package func setAll(_ state: State) {
        states.withLockedValue { states in
            for index in states.indices { states[index].state = state }
        }
    }

    /// Every profile with its state, in config order.
    package var snapshot: [(profile: String, state: State)] { states.withLockedValue { $0 } }

    /// Ready only when every profile is.
    package var isReady: Bool { snapshot.allSatisfy { $0.state == .ready } }
}
