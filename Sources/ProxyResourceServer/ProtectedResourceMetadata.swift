import ProxyConfig
import ProxyLogging

/// The listener's side of MCP authorization discovery: the RFC 9728 document it serves and the
/// RFC 6750 challenges that point clients at it.
package enum ResourceServerAnswers {
    /// The protected-resource metadata of a `client_auth: oauth` listener, as JSON bytes.
    package static func metadata(_ settings: ClientOAuthSettings) -> [UInt8] {
        var members = [
            "\"resource\":" + LogLine.jsonQuoted(settings.audience),
            "\"authorization_servers\":[" + LogLine.jsonQuoted(settings.issuer) + "]",
        ]
        if !settings.requiredScopes.isEmpty {
            members.append("\"scopes_supported\":[" + settings.requiredScopes.map(LogLine.jsonQuoted).joined(separator: ",") + "]")
        }
        members.append("\"bearer_methods_supported\":[\"header\"]")
        return Array(("{" + members.joined(separator: ",") + "}").utf8)
    }

    package enum Challenge: Sendable {
        /// No token was sent.
        case noToken
        /// A token was sent and is not accepted.
        case invalidToken
        /// The token is good but lacks a required scope.
        case insufficientScope
    }

    /// The `WWW-Authenticate` value (RFC 6750 §3, RFC 9728 §5.1).
    package static func challenge(_ kind: Challenge, _ settings: ClientOAuthSettings) -> String {
        var parameters: [String] = []
        switch kind {
        case .noToken: break
        case .invalidToken: parameters.append("error=\"invalid_token\"")
        case .insufficientScope: parameters.append("error=\"insufficient_scope\"")
        }
        parameters.append("resource_metadata=\"\(settings.metadataURL)\"")
        if !settings.requiredScopes.isEmpty { parameters.append("scope=\"\(settings.requiredScopes.joined(separator: " "))\"") }
        return "Bearer " + parameters.joined(separator: ", ")
    }
}
