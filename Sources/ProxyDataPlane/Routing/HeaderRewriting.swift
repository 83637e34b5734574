import NIOHTTP1
import ProxySigning

/// What crosses the proxy in each direction: hop-by-hop headers (and any header `Connection`
/// names) stop here; the signing headers are always the proxy's own.
enum HeaderRewriting {
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
        "te", "trailer", "transfer-encoding", "upgrade",
    ]

    /// Names listed in `Connection` headers, lower-cased.
    static func connectionNamed(_ headers: HTTPHeaders) -> Set<String> {
        var names = Set<String>()
        for value in headers[canonicalForm: "connection"] {
            names.insert(String(value.lowercased().drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed()))
        }
        return names
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
            let lower = name.lowercased()
            if hopByHop.contains(lower) || named.contains(lower) || lower == "host" || lower == "content-length"
                || lower == "expect" || ownedHeaders.contains(lower) {
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
            let lower = name.lowercased()
            if hopByHop.contains(lower) || named.contains(lower) { continue }
            if lower == "cache-control" { hasCacheControl = true }
            if isEventStream, lower == "x-accel-buffering" { continue }
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
        return type.lowercased().hasPrefix("text/event-stream")
    }
}
