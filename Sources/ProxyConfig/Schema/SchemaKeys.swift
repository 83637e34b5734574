/// The keys of config schema version 1, in the order `check` prints them.
public enum SchemaKeys {
    public static let root = ["version", "defaults", "profiles", "admin"]
    /// The `admin:` block (see `AdminSettings`).
    public static let admin = ["listen_host", "listen_port", "allow_remote"]
    public static let profile = [
        "upstream_url", "auth_scheme", "auth_header", "key_id", "secret_env", "secret_file", "secret_command",
        "secret_command_timeout", "secret_command_env", "listen_host", "listen_port",
        "allow_remote", "allow_insecure_upstream", "mcp_path", "heartbeat_interval", "connect_timeout",
        "request_timeout", "max_request_body", "allowed_origins", "upstream_streaming", "ca_file", "client_cert_file", "client_key_file", "signing",
    ]
    /// `defaults:` takes every profile key but the upstream: two profiles never share an upstream by accident.
    public static let defaults = profile.filter { $0 != "upstream_url" }
    public static let signing = [
        "algorithm", "encoding", "timestamp", "key_id_header", "signature_header", "timestamp_header",
    ]
    /// Keys people reach for to put a secret inline; they get a pointed message instead of "unknown key".
    static let inlineSecretKeys: Set<String> = ["secret", "api_secret", "secret_key", "api_key_secret", "password"]

    /// Profile names: `[a-z0-9][a-z0-9_-]{0,62}`.
    public static func isValidProfileName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 63 else { return false }
        func isLowerAlnum(_ s: Unicode.Scalar) -> Bool { ("a"..."z").contains(s) || ("0"..."9").contains(s) }
        return isLowerAlnum(first) && name.unicodeScalars.allSatisfy { isLowerAlnum($0) || $0 == "_" || $0 == "-" }
    }

    /// `MCP_<N>_` with N the profile name upper-cased and `-` turned into `_`.
    public static func environmentPrefix(forProfile name: String) -> String {
        "MCP_" + String(name.uppercased().map { $0 == "-" ? "_" : $0 }) + "_"
    }

    /// Environment variable suffixes that override a profile key.
    public static let environmentOverrides: [(suffix: String, key: String)] = [
        ("UPSTREAM_URL", "upstream_url"), ("API_KEY", "key_id"), ("API_SECRET", "secret"),
        ("LISTEN_HOST", "listen_host"), ("LISTEN_PORT", "listen_port"),
    ]
}
