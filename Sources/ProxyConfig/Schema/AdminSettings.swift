/// The `admin:` block: where `/healthz`, `/readyz` and `/metrics` are served. Absent, there is no
/// admin listener and nothing is counted.
package struct AdminSettings: Sendable, Equatable {
    package static let defaultPort = 9464
    /// Environment variables that override the block's keys (and turn the listener on).
    package static let hostVariable = "MCP_AUTH_PROXY_ADMIN_HOST"
    package static let portVariable = "MCP_AUTH_PROXY_ADMIN_PORT"

    package internal(set) var listenHost: String
    package internal(set) var listenPort: Int
    package internal(set) var allowRemote: Bool
    /// Where each key's value came from, for `check`.
    package internal(set) var origins: [String: ConfigOrigin]

    /// Made by the loader only (`ConfigLoader+Admin`).
    init(listenHost: String = "127.0.0.1", listenPort: Int = defaultPort, allowRemote: Bool = false, origins: [String: ConfigOrigin] = [:]) {
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.allowRemote = allowRemote
        self.origins = origins
    }
}
