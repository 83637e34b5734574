/// One key of the config file: its name, the kind of value it takes and what it is for.
///
/// The tables in `ConfigKeys` are the one description of the file's keys. The loader takes its
/// allowed keys and the "expected …" of its type errors from them, and `ConfigSchema` turns the
/// same tables into the JSON Schema that `mcp-auth-proxy schema` prints, so an editor's checks and
/// the loader's cannot drift apart key by key.
package struct ConfigKey: Sendable {
    package enum Kind: Sendable {
        /// `http(s)://host[:port][/path]`.
        case url
        /// Visible ASCII without spaces (it goes into a header value).
        case token
        /// An HTTP field name that is not one the proxy or MCP owns.
        case headerName
        case boolean
        case port
        /// A whole number from 1 to the given maximum.
        case count(maximum: Int)
        /// `250ms`, `15s`, `5m`, `1h`.
        case duration
        /// `1048576`, `512KiB`, `4MiB`, `1GB`.
        case size
        case choice([String])
        /// An IP address or `localhost`.
        case listenHost
        /// An absolute local path for the MCP endpoint.
        case mcpPath
        case filePath
        case environmentName
        /// A program and its arguments, run without a shell.
        case command
        case environmentNames
        case origins
        /// A nested mapping whose keys are in the given table.
        case mapping([ConfigKey])
        /// A list of `{name, token_env | token_file}` (inbound client tokens).
        case clientTokens
        /// Octal permission bits such as `0600`.
        case fileMode
        /// `{allow: [globs], deny: [globs]}`.
        case toolPolicy
        /// A list of OAuth scope tokens.
        case scopes
        /// A list of JWS algorithm names from the given ones.
        case algorithms([String])
        /// Text with `{placeholders}` (`signing.string_to_sign`).
        case template
        /// Header names mapped to templates (`signing.headers`).
        case headerTemplates
        /// A mapping of parameter names to string values.
        case parameters
        /// A port number, or 0 for any free one.
        case redirectPort
        /// `{requests: N, per: duration, burst: N}` (`rate_limit`).
        case rate
        /// A list of glob patterns (`audit.redact`).
        case patterns
        /// Header names mapped to `{env: NAME}` or `{file: PATH}` (`otel.headers`).
        case secretHeaders
        /// A number from 0 to 1.
        case ratio

        /// The "expected …" of a type error.
        package var expectation: String {
            switch self {
            case .url: "a URL"
            case .token: "a string"
            case .headerName: "a header name"
            case .boolean: "true or false"
            case .port: "a port number"
            case .count(let maximum): "a whole number from 1 to \(maximum)"
            case .duration: "a duration"
            case .size: "a size"
            case .choice(let options): "one of \(options.joined(separator: ", "))"
            case .listenHost: "an IP address"
            case .mcpPath: "a path"
            case .filePath: "a file path"
            case .environmentName: "an environment variable name"
            case .command: "a list of program and arguments"
            case .environmentNames: "a list of variable names"
            case .origins: "a list of origins"
            case .mapping: "a mapping"
            case .clientTokens: "a list of client tokens"
            case .fileMode: "a file mode"
            case .toolPolicy: "a mapping with allow and deny lists"
            case .scopes: "a list of scopes"
            case .algorithms: "a list of algorithms"
            case .template: "a text with {placeholders}"
            case .headerTemplates: "a mapping of header names to texts with {placeholders}"
            case .parameters: "a mapping of parameter names to values"
            case .redirectPort: "a port number, or 0"
            case .rate: "a mapping with requests, per and burst"
            case .patterns: "a list of patterns"
            case .secretHeaders: "a mapping of header names to {env: NAME} or {file: PATH}"
            case .ratio: "a number from 0 to 1"
            }
        }
    }

    package let name: String
    package let kind: Kind
    /// One sentence, shown by editors when hovering the key.
    package let summary: String

    package init(_ name: String, _ kind: Kind, _ summary: String) {
        self.name = name
        self.kind = kind
        self.summary = summary
    }
}

extension [ConfigKey] {
    package var names: [String] { map(\.name) }

    package subscript(named name: String) -> ConfigKey? { first { $0.name == name } }
}
