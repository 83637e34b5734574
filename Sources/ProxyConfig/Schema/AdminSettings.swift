/// The `admin:` block: where `/healthz`, `/readyz` and `/metrics` are served. Absent, there is no
/// admin listener and nothing is counted.
public struct AdminSettings: Sendable, Equatable {
    public static let defaultPort = 9464
    /// Environment variables that override the block's keys (and turn the listener on).
    public static let hostVariable = "MCP_AUTH_PROXY_ADMIN_HOST"
    public static let portVariable = "MCP_AUTH_PROXY_ADMIN_PORT"

    public var listenHost: String
    public var listenPort: Int
    public var allowRemote: Bool
    /// Where each key's value came from, for `check`.
    public var origins: [String: ConfigOrigin]

    public init(listenHost: String = "127.0.0.1", listenPort: Int = defaultPort, allowRemote: Bool = false, origins: [String: ConfigOrigin] = [:]) {
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.allowRemote = allowRemote
        self.origins = origins
    }
}
