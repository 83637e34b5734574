import NIOHTTP1
import ProxySigning

/// What crosses the proxy in each direction: hop-by-hop headers (and any header `Connection`
/// names) stop here; the signing headers are always the proxy's own.
enum HeaderRewriting {
    static let hopByHop = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
        "te", "trailer", "transfer-encoding", "upgrade",
    ]

    @inline(__always)
    static func isHopByHop(_ name: String) -> Bool { ASCII.isAny(name, of: hopByHop) }

    /// Extra names listed in `Connection` headers (lower-cased), beyond `close` and the hop-by-hop
    /// ones that are removed anyway. Usually empty, and then nothing is allocated.
    static func connectionNamed(_ headers: HTTPHeaders) -> [String] {
        var names: [String] = []
        for (name, value) in headers where ASCII.equalsIgnoringCase(name, "connection") {
            for token in value.utf8.split(separator: UInt8(ascii: ",")) {
                let trimmed = token.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed()
                let lowered = String(decoding: trimmed.map(ASCII.lower), as: UTF8.self)
                if lowered.isEmpty || lowered == "close" || hopByHop.contains(lowered) { continue }
                names.append(lowered)
            }
        }
        return names
    }

    @inline(__always)
    static func isNamed(_ name: String, in named: [String]) -> Bool {
        !named.isEmpty && ASCII.isAny(name, of: named)
    }

    /// The upstream request head: end-to-end client headers, then Host, Content-Length and the
    /// fresh signature, added after every removal so no client header can displace them.
    static func upstreamRequestHead(
        client: HTTPRequestHead, target: String, authority: String, bodyLength: Int,
        ownedHeaders: [String], signature: SignatureHeaders
    ) -> HTTPRequestHead {
        let named = connectionNamed(client.headers)
        var headers = HTTPHeaders()
        headers.reserveCapacity(client.headers.count + 5)
        headers.add(name: "host", value: authority)
        for (name, value) in client.headers {
            if isHopByHop(name) || isNamed(name, in: named) || ASCII.equalsIgnoringCase(name, "host")
                || ASCII.equalsIgnoringCase(name, "content-length") || ASCII.equalsIgnoringCase(name, "expect")
                || ASCII.isAny(name, of: ownedHeaders) {
                continue
            }
            headers.add(name: name, value: value)
        }
        if bodyLength > 0 || client.method == .POST { headers.add(name: "content-length", value: String(bodyLength)) }
        for (name, value) in signature.all { headers.add(name: name, value: value) }
        return HTTPRequestHead(version: .http1_1, method: client.method, uri: target, headers: headers)
    }

    /// The client response head: end-to-end upstream headers; for event streams, the headers that
    /// stop a reverse proxy in front of us from buffering events.
    static func clientResponseHead(upstream: HTTPResponseHead, isEventStream: Bool, closeAfter: Bool) -> HTTPResponseHead {
        let named = connectionNamed(upstream.headers)
        var headers = HTTPHeaders()
        headers.reserveCapacity(upstream.headers.count + 3)
        var hasCacheControl = false
        for (name, value) in upstream.headers {
            if isHopByHop(name) || isNamed(name, in: named) { continue }
            if isEventStream {
                if ASCII.equalsIgnoringCase(name, "cache-control") { hasCacheControl = true }
                if ASCII.equalsIgnoringCase(name, "x-accel-buffering") { continue }
            }
            headers.add(name: name, value: value)
        }
        if isEventStream {
            headers.add(name: "x-accel-buffering", value: "no")
            if !hasCacheControl { headers.add(name: "cache-control", value: "no-cache") }
        }
        if closeAfter { headers.add(name: "connection", value: "close") }
        return HTTPResponseHead(version: .http1_1, status: upstream.status, headers: headers)
    }

    static func isEventStream(_ headers: HTTPHeaders) -> Bool {
        guard let type = headers.first(name: "content-type") else { return false }
        let prefix = "text/event-stream"
        return type.utf8.count >= prefix.utf8.count && ASCII.equalsIgnoringCase(Substring(type).utf8.prefix(prefix.utf8.count), prefix)
    }
}
