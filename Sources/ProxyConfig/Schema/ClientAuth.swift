/// Who may use a profile's listener: anyone who can reach it (`none`), only clients that
/// present one of the profile's tokens as `Authorization: Bearer <token>` (`bearer`), or clients
/// with an OAuth access token from the team's identity provider (`oauth`, docs/oauth.md).
package enum ClientAuth: Sendable, Hashable {
    package enum Mode: String, Sendable, CaseIterable {
        case none
        case bearer
        case oauth
    }

    case none
    case bearer([ClientToken])
    case oauth(ClientOAuthSettings)

    package var mode: Mode {
        switch self {
        case .none: .none
        case .bearer: .bearer
        case .oauth: .oauth
        }
    }

    /// The settings of `client_auth: oauth`.
    package var oauth: ClientOAuthSettings? {
        if case .oauth(let settings) = self { return settings }
        return nil
    }

    /// Whether the inbound `Authorization` field is the client's and is consumed by the listener.
    package var consumesAuthorization: Bool { mode != .none }
}

/// One client's token. `name` is what logs show; the token itself is a `Secret` (never printed).
package struct ClientToken: Sendable, Hashable {
    package let name: String
    package let token: Secret

    package init(name: String, token: Secret) {
        self.name = name
        self.token = token
    }

    /// Shorter tokens can be guessed; `openssl rand -hex 32` gives 64 characters.
    package static let minimumBytes = 32
    package static let namePattern = "^[A-Za-z0-9._-]{1,64}$"

    static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D
        }
    }
}
