import ProxyConfig

/// DNS-rebinding and cross-site defence: which `Host` and `Origin` values a listener accepts.
///
/// Browsers attach `Origin` to cross-site requests; agents and CLIs usually send none. A request
/// with no `Origin` is accepted; one with an `Origin` must be a loopback origin or listed in
/// `allowed_origins`. `Host` must name the listener itself (a loopback name or its listen host),
/// which defeats a rebinding page whose `Host` is its own domain.
package struct OriginPolicy: Sendable {
    let listenHost: String
    let acceptsAnyHost: Bool
    let allowedOrigins: Set<String>

    package init(listenHost: String, allowRemote: Bool, allowedOrigins: [String]) {
        self.listenHost = listenHost.lowercased()
        // A remote listener is reached under names we cannot know; Origin still guards browsers.
        self.acceptsAnyHost = allowRemote
        self.allowedOrigins = Set(allowedOrigins.map { $0.lowercased() })
    }

    package init(profile: Profile) {
        self.init(listenHost: profile.listenHost, allowRemote: profile.allowRemote, allowedOrigins: profile.allowedOrigins)
    }

    package enum HostVerdict: Equatable, Sendable {
        case accepted
        /// A well-formed Host that names something other than this proxy (403).
        case notThisProxy
        /// No Host, an empty one, or not `host[:port]` with a port of 1–65535 (400, RFC 9112 §3.2).
        case malformed
    }

    package func hostVerdict(_ value: String?) -> HostVerdict {
        guard var value else { return .malformed }
        return value.withUTF8 { hostVerdict(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// The verdict on a Host value's bytes (nil: absent); a request's head is checked this way,
    /// on the bytes that arrived.
    package func hostVerdict(bytes: UnsafeRawBufferPointer?) -> HostVerdict {
        guard let bytes, let range = Self.hostRange(bytes) else { return .malformed }
        let host = UnsafeRawBufferPointer(rebasing: bytes[range])
        if acceptsAnyHost || Self.isLoopbackName(host) || ASCII.equalsIgnoringCase(host, lowercased: listenHost) { return .accepted }
        return .notThisProxy
    }

    package func acceptsHost(_ value: String?) -> Bool { hostVerdict(value) == .accepted }

    /// Where the host of `host[:port]` or `[v6]:port` is (brackets excluded); nil when the host is
    /// empty or a port is given that is not 1–65535 in digits.
    static func hostRange(_ bytes: UnsafeRawBufferPointer) -> Range<Int>? {
        let host: Range<Int>
        var port: Range<Int>?
        if bytes.first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            guard close + 1 == bytes.count || bytes[close + 1] == UInt8(ascii: ":") else { return nil }
            host = 1..<close
            if close + 1 < bytes.count { port = (close + 2)..<bytes.count }
        } else if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            host = 0..<colon
            port = (colon + 1)..<bytes.count
        } else {
            host = 0..<bytes.count
        }
        guard !host.isEmpty else { return nil }
        if let port, !isPort(UnsafeRawBufferPointer(rebasing: bytes[port])) { return nil }
        return host
    }

    /// 1–65535 in at most five digits (leading zeros allowed, as in `:08931`).
    private static func isPort(_ digits: UnsafeRawBufferPointer) -> Bool {
        var value = 0
        var count = 0
        for byte in digits {
            guard isDigit(byte), count < 5 else { return false }
            value = value &* 10 &+ Int(byte &- 0x30)
            count &+= 1
        }
        return value >= 1 && value <= 65535
    }

    /// `localhost`, `::1` and 127.0.0.0/8 written as a dotted quad, compared as bytes.
    static func isLoopbackName(_ host: UnsafeRawBufferPointer) -> Bool {
        if ASCII.equalsIgnoringCase(host, "localhost") || ASCII.equalsIgnoringCase(host, "::1") { return true }
        guard ASCII.hasPrefixIgnoringCase(host, "127.") else { return false }
        // "127." is consumed: that octet and the one being read are counted.
        var octets = 2, digits = 0, value = 0
        for byte in UnsafeRawBufferPointer(rebasing: host[4...]) {
            if byte == UInt8(ascii: ".") {
                guard digits > 0 else { return false }
                octets += 1
                digits = 0
                value = 0
            } else if isDigit(byte), digits < 3 {
                digits += 1
                value = value * 10 + Int(byte - 0x30)
                guard value <= 255 else { return false }
            } else {
                return false
            }
        }
        return octets == 4 && digits > 0
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    package func acceptsOrigin(_ value: String?) -> Bool {
        guard let value else { return true }
        let lower = value.lowercased()
        if allowedOrigins.contains(lower) { return true }
        let authority: Substring
        if lower.hasPrefix("http://") {
            authority = lower.dropFirst(7)
        } else if lower.hasPrefix("https://") {
            authority = lower.dropFirst(8)
        } else {
            return false
        }
        guard !authority.contains("/") else { return false }
        var text = String(authority)
        return text.withUTF8 { utf8 in
            let bytes = UnsafeRawBufferPointer(utf8)
            guard let range = Self.hostRange(bytes) else { return false }
            return Self.isLoopbackName(UnsafeRawBufferPointer(rebasing: bytes[range]))
        }
    }
}
