/// A checked upstream endpoint. Parsed once at start-up so the data plane never parses URLs.
package struct UpstreamURL: Sendable, Hashable, CustomStringConvertible {
    package enum Scheme: String, Sendable, Hashable {
        case http
        case https
    }

    package let scheme: Scheme
    /// Host as written, without IPv6 brackets.
    package let host: String
    package let port: Int
    /// Base path without a trailing slash ("" for the root), prefixed to every forwarded path.
    package let basePath: String

    package init(scheme: Scheme, host: String, port: Int, basePath: String) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.basePath = basePath
    }

    package var isDefaultPort: Bool { (scheme == .http && port == 80) || (scheme == .https && port == 443) }

    /// The value of the `Host` header sent upstream.
    package var authority: String {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return isDefaultPort ? bracketed : "\(bracketed):\(port)"
    }

    package var isLoopback: Bool { HostName.isLoopback(host) }

    package var description: String { "\(scheme.rawValue)://\(authority)\(basePath.isEmpty ? "/" : basePath)" }

    /// Parses `http(s)://host[:port][/path]`; nil when it is not such a URL.
    /// Userinfo, queries and fragments are refused: the proxy signs paths, and credentials in a URL
    /// would end up in logs.
    package static func parse(_ text: String) -> Result<UpstreamURL, UpstreamURLProblem> {
        let colon = text.firstIndex(of: ":")
        guard let colon, text[colon...].hasPrefix("://"), let scheme = Scheme(rawValue: text[..<colon].lowercased()) else {
            return .failure(UpstreamURLProblem(message: "\"\(text)\" is not an http(s) URL"))
        }
        let rest = text[text.index(colon, offsetBy: 3)...]
        if rest.contains("?") || rest.contains("#") {
            return .failure(UpstreamURLProblem(message: "\"\(text)\" has a query or fragment; the upstream URL must be scheme, host, port and path only"))
        }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        var path = String(rest[slash...])
        if authority.contains("@") { return .failure(UpstreamURLProblem(message: "\"\(text)\" carries credentials; the proxy signs requests, put no user or password in the URL")) }
        guard let (host, port) = HostName.splitAuthority(String(authority), defaultPort: scheme == .https ? 443 : 80) else {
            return .failure(UpstreamURLProblem(message: "\"\(text)\" has no valid host and port"))
        }
        guard path.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            return .failure(UpstreamURLProblem(message: "\"\(text)\" has spaces or non-ASCII characters in its path; percent-encode them"))
        }
        if path.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) {
            return .failure(UpstreamURLProblem(message: "\"\(text)\" has `.` or `..` segments in its path"))
        }
        while path.hasSuffix("/") { path.removeLast() }
        return .success(UpstreamURL(scheme: scheme, host: host, port: port, basePath: path))
    }
}

/// Why a text is not a usable upstream URL, phrased for a config diagnostic.
package struct UpstreamURLProblem: Error, Sendable {
    package var message: String
}

/// Host name rules shared by upstream URLs, listen addresses and the Host/Origin checks.
package enum HostName {
    /// Loopback names: `localhost`, 127.0.0.0/8 and `::1`.
    package static func isLoopback(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let lower = bare.lowercased()
        if lower == "localhost" || lower.hasSuffix(".localhost") || lower == "::1" || lower == "0:0:0:0:0:0:0:1" { return true }
        if let octets = ipv4Octets(lower) { return octets[0] == 127 }
        return false
    }

    package static func ipv4Octets(_ text: String) -> [Int]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var octets: [Int] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), let value = Int(part), value <= 255 else { return nil }
            octets.append(value)
        }
        return octets
    }

    package static func isIPv6Literal(_ text: String) -> Bool {
        text.contains(":") && text.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." } && text.count <= 45
    }

    /// Splits `host[:port]` or `[v6]:port`; nil for an empty host, a bad port or stray characters.
    package static func splitAuthority(_ authority: String, defaultPort: Int) -> (host: String, port: Int)? {
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
            guard isIPv6Literal(String(host)) else { return nil }
        } else {
            let pieces = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            host = pieces[0]
            portText = pieces.count > 1 ? pieces[1] : nil
            let allowed = host.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_") }
            guard allowed else { return nil }
        }
        guard !host.isEmpty else { return nil }
        var port = defaultPort
        if let portText {
            guard let value = Int(portText), portText.allSatisfy(\.isASCII), (1...65535).contains(value) else { return nil }
            port = value
        }
        return (host.lowercased(), port)
    }
}
