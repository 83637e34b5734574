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
    /// Profiles whose upstream credential cannot be had (an OAuth profile not logged in), and why.
    private let credentialProblems = NIOLockedValueBox<[String: String]>([:])
    /// `client_auth: oauth` profiles whose JWKS fetch fails, and why.
    private let clientKeysProblems = NIOLockedValueBox<[String: String]>([:])

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

    /// Records why a profile has no upstream credential (nil: it has one). `/readyz` shows it
    /// without turning 503: the profile's requests are answered (with the login command), and
    /// every replica sharing the credential would fail alike.
    package func setCredentialProblem(_ problem: String?, for profile: String) {
        credentialProblems.withLockedValue { $0[profile] = problem }
    }

    /// Records why a `client_auth: oauth` profile's key set could not be fetched (nil: it was).
    /// Shown by `/readyz` without turning 503: the last good keys stay in use.
    package func setClientKeysProblem(_ problem: String?, for profile: String) {
        clientKeysProblems.withLockedValue { $0[profile] = problem }
    }

    package var clientKeysProblemsSnapshot: [(profile: String, problem: String)] {
        clientKeysProblems.withLockedValue { $0.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
    }

    package var credentialProblemsSnapshot: [(profile: String, problem: String)] {
        credentialProblems.withLockedValue { $0.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
    }

    /// Every profile with its state, in config order.
    package var snapshot: [(profile: String, state: State)] { states.withLockedValue { $0 } }

    /// Ready only when every profile is.
    package var isReady: Bool { snapshot.allSatisfy { $0.state == .ready } }
}
