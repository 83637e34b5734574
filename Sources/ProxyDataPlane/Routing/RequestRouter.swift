import ProxyConfig

/// Decides, from the method and request target alone, what a listener does with a request.
/// Built once per profile; pure, so every routing rule is tested without sockets.
package struct RequestRouter: Sendable {
    package enum Route: Equatable, Sendable {
        /// Forward to the upstream with this exact request target (also what gets signed).
        case forward(upstreamTarget: String)
        /// An OAuth discovery or registration probe: answered locally with 404, never forwarded.
        case discoveryProbe
        case notFound
        case methodNotAllowed
        /// A target that could make the proxy sign something other than its own endpoint.
        case badTarget(String)
    }

    package static let allowedMethods = ["GET", "POST", "DELETE"]
    static let discoveryPaths: Set<String> = ["/register", "/authorize", "/token"]

    let mcpPath: String
    let upstreamBasePath: String
    /// The route of a request for exactly `mcp_path` (nearly every request), made once: no
    /// target is scanned or built for it. Nil when `mcp_path` itself would not pass the target
    /// checks (the loader does not allow that, but the router does not rely on it).
    private let exactRoute: Route?

    package init(mcpPath: String, upstreamBasePath: String) {
        // The general rules decide the exact route, so the shortcut can never disagree with them.
        let general = RequestRouter(mcpPath: mcpPath, upstreamBasePath: upstreamBasePath, exactRoute: nil).route(method: "POST", target: mcpPath)
        var exact: Route?
        if case .forward = general { exact = general }
        self.init(mcpPath: mcpPath, upstreamBasePath: upstreamBasePath, exactRoute: exact)
    }

    private init(mcpPath: String, upstreamBasePath: String, exactRoute: Route?) {
        self.mcpPath = mcpPath
        self.upstreamBasePath = upstreamBasePath
        self.exactRoute = exactRoute
    }

    package init(profile: Profile) {
        self.init(mcpPath: profile.mcpPath, upstreamBasePath: profile.upstream.basePath)
    }

    /// The path part of a target, for logs: the query may carry tokens and is never logged.
    package static func logPath(_ target: String) -> Substring {
        Substring(target.utf8[..<(target.utf8.firstIndex(of: UInt8(ascii: "?")) ?? target.utf8.endIndex)])
    }

    package func route(method: String, target: String) -> Route {
        if let exactRoute, target == mcpPath {
            return Self.allowedMethods.contains(method) ? exactRoute : .methodNotAllowed
        }
        if let problem = Self.unsafeTargetReason(target) { return .badTarget(problem) }
        let utf8 = target.utf8
        let queryStart = utf8.firstIndex(of: UInt8(ascii: "?")) ?? utf8.endIndex
        let path = Substring(target.utf8[..<queryStart])
        if path.utf8.starts(with: "/.well-known".utf8), path.utf8.count == 12 || path.utf8.dropFirst(12).first == UInt8(ascii: "/") {
            return .discoveryProbe
        }
        if path == "/register" || path == "/authorize" || path == "/token" { return .discoveryProbe }
        let suffix: Substring
        if mcpPath == "/" {
            suffix = path == "/" ? "" : path
        } else if path.utf8.starts(with: mcpPath.utf8) {
            let rest = path.utf8.dropFirst(mcpPath.utf8.count)
            guard rest.isEmpty || rest.first == UInt8(ascii: "/") else { return .notFound }
            suffix = Substring(rest)
        } else {
            return .notFound
        }
        guard Self.allowedMethods.contains(method) else { return .methodNotAllowed }
        var upstreamTarget = upstreamBasePath
        upstreamTarget += suffix
        if upstreamTarget.isEmpty { upstreamTarget = "/" }
        upstreamTarget += Substring(utf8[queryStart...])
        return .forward(upstreamTarget: upstreamTarget)
    }

    /// Refuses everything that could steer a signed request away from the configured endpoint or
    /// be read differently by the upstream: absolute form, `//`, dot segments (plain or encoded),
    /// encoded slashes and backslashes, NUL, controls, spaces and fragments. One pass over the bytes.
    static func unsafeTargetReason(_ target: String) -> String? {
        let bytes = target.utf8
        guard bytes.first == UInt8(ascii: "/") else { return "only origin-form request targets (starting with /) are accepted" }
        var inQuery = false
        var previous: UInt8 = 0
        var segmentLength = 0
        var segmentDots = 0
        var pendingPercent = 0
        var percentFirst: UInt8 = 0
        for byte in bytes {
            if byte <= 0x20 || byte == 0x7F || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "#") {
                return "control characters, spaces, backslashes and fragments are refused in targets"
            }
            if inQuery { continue }
            if pendingPercent > 0 {
                let lowered = ASCII.lower(byte)
                if pendingPercent == 2 {
                    percentFirst = lowered
                } else if (percentFirst == UInt8(ascii: "2") && (lowered == UInt8(ascii: "e") || lowered == UInt8(ascii: "f")))
                    || (percentFirst == UInt8(ascii: "5") && lowered == UInt8(ascii: "c"))
                    || (percentFirst == UInt8(ascii: "0") && lowered == UInt8(ascii: "0")) {
                    return "encoded dots, slashes, backslashes and NUL are refused in paths"
                }
                pendingPercent -= 1
            }
            switch byte {
            case UInt8(ascii: "/"), UInt8(ascii: "?"):
                if byte == UInt8(ascii: "/"), previous == UInt8(ascii: "/") { return "empty path segments (//) are refused" }
                if segmentLength > 0, segmentLength == segmentDots, segmentDots <= 2 { return "dot segments are refused in paths" }
                segmentLength = 0
                segmentDots = 0
                inQuery = byte == UInt8(ascii: "?")
            case UInt8(ascii: "%"):
                pendingPercent = 2
                segmentLength += 1
            case UInt8(ascii: "."):
                segmentLength += 1
                segmentDots += 1
            default:
                segmentLength += 1
            }
            previous = byte
        }
        if !inQuery, segmentLength > 0, segmentLength == segmentDots, segmentDots <= 2 { return "dot segments are refused in paths" }
        return nil
    }
}
