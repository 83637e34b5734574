import ProxyConfig

/// Decides, from the method and request target alone, what a listener does with a request.
/// Built once per profile; pure, so every routing rule is tested without sockets.
public struct RequestRouter: Sendable {
    public enum Route: Equatable, Sendable {
        /// Forward to the upstream with this exact request target (also what gets signed).
        case forward(upstreamTarget: String)
        /// An OAuth discovery or registration probe: answered locally with 404, never forwarded.
        case discoveryProbe
        case notFound
        case methodNotAllowed
        /// A target that could make the proxy sign something other than its own endpoint.
        case badTarget(String)
    }

    public static let allowedMethods = ["GET", "POST", "DELETE"]
    static let discoveryPaths: Set<String> = ["/register", "/authorize", "/token"]

    let mcpPath: String
    let upstreamBasePath: String

    public init(mcpPath: String, upstreamBasePath: String) {
        self.mcpPath = mcpPath
        self.upstreamBasePath = upstreamBasePath
    }

    public init(profile: Profile) {
        self.init(mcpPath: profile.mcpPath, upstreamBasePath: profile.upstream.basePath)
    }

    /// The path part of a target, for logs: the query may carry tokens and is never logged.
    public static func logPath(_ target: String) -> Substring {
        target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    }

    public func route(method: String, target: String) -> Route {
        if let problem = Self.unsafeTargetReason(target) { return .badTarget(problem) }
        let pieces = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = pieces[0]
        if path == "/.well-known" || path.hasPrefix("/.well-known/") || Self.discoveryPaths.contains(String(path)) {
            return .discoveryProbe
        }
        let suffix: Substring
        if mcpPath == "/" {
            suffix = path == "/" ? "" : path
        } else if path == mcpPath {
            suffix = ""
        } else if path.hasPrefix(mcpPath), path.dropFirst(mcpPath.count).first == "/" {
            suffix = path.dropFirst(mcpPath.count)
        } else {
            return .notFound
        }
        guard Self.allowedMethods.contains(method) else { return .methodNotAllowed }
        var upstreamPath = upstreamBasePath + suffix
        if upstreamPath.isEmpty { upstreamPath = "/" }
        if pieces.count == 2 { upstreamPath += "?" + pieces[1] }
        return .forward(upstreamTarget: upstreamPath)
    }

    /// Refuses everything that could steer a signed request away from the configured endpoint or
    /// be read differently by the upstream: absolute form, `//`, dot segments (plain or encoded),
    /// encoded slashes and backslashes, NUL, controls, spaces and fragments.
    static func unsafeTargetReason(_ target: String) -> String? {
        let bytes = target.utf8
        guard bytes.first == UInt8(ascii: "/") else { return "only origin-form request targets (starting with /) are accepted" }
        if target.hasPrefix("//") { return "a target starting with // is refused" }
        for byte in bytes where byte <= 0x20 || byte == 0x7F || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "#") {
            return "control characters, spaces, backslashes and fragments are refused in targets"
        }
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
        let lower = path.lowercased()
        for encoded in ["%2e", "%2f", "%5c", "%00"] where lower.contains(encoded) {
            return "encoded dots, slashes, backslashes and NUL are refused in paths"
        }
        if path.contains("//") { return "empty path segments (//) are refused" }
        if path.split(separator: "/").contains(where: { $0 == "." || $0 == ".." }) { return "dot segments are refused in paths" }
        return nil
    }
}
