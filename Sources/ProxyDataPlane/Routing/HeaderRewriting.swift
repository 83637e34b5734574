import NIOCore
import ProxyLogging
import ProxySigning

/// What crosses the proxy in each direction: hop-by-hop headers (and any header `Connection`
/// names) stop here; the signing headers are always the proxy's own. Both heads are written
/// straight into the outgoing buffer: nothing is re-encoded through typed header structures.
enum HeaderRewriting {
    /// RFC 9110 §7.6.1 connection-specific fields, plus the legacy proxy ones.
    static let hopByHop = HeaderNameSet([
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
        "te", "trailer", "transfer-encoding", "upgrade",
    ])

    /// Client fields never copied upstream: hop-by-hop ones, the ones the proxy writes itself
    /// (Host, Content-Length, the signing headers) and Expect, which the proxy answers.
    static func droppedFromRequests(ownedHeaders: [String]) -> HeaderNameSet {
        hopByHop.union(["host", "content-length", "expect"] + ownedHeaders)
    }

    @inline(__always)
    static func isHopByHop(_ name: UnsafeRawBufferPointer) -> Bool { hopByHop.contains(name) }

    private static func addConnectionNamed(_ value: UnsafeRawBufferPointer, to names: inout [String]) {
        ASCII.forEachToken(value) { token in
            if ASCII.equalsIgnoringCase(token, "close") || isHopByHop(token) { return }
            names.append(String(decoding: token.map(ASCII.lower), as: UTF8.self))
        }
    }

    /// Lower-cased names a head's `Connection` fields list beyond the hop-by-hop ones; usually
    /// none, and then nothing is allocated.
    private static func connectionNamed(_ fields: [HeaderField], _ raw: UnsafeRawBufferPointer) -> [String] {
        var names: [String] = []
        for field in fields where ASCII.equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: raw[field.name]), "connection") {
            addConnectionNamed(UnsafeRawBufferPointer(rebasing: raw[field.value]), to: &names)
        }
        return names
    }

    /// The one writer of upstream requests, for forwarded and originated ones alike: the request
    /// line and Host, then `fields`, then Content-Length and `credential`, added after the
    /// caller's fields so that none of them can displace these, the blank line and the body, all
    /// in one buffer for a single write.
    static func writeRequest(
        method: String, target: String, authority: String, body: ByteBuffer?, into out: inout ByteBuffer,
        fields: (inout ByteBuffer) -> Void, credential: (inout ByteBuffer) -> Void
    ) {
        method.withBytes { method in target.withBytes { target in authority.withBytes { authority in
            HeadBytes.writeRequestLine(method: method, target: target, authority: authority, into: &out)
        } } }
        fields(&out)
        let bodyLength = body?.readableBytes ?? 0
        if bodyLength > 0 || method == "POST" { HeadBytes.writeField("content-length", decimal: bodyLength, into: &out) }
        credential(&out)
        HeadBytes.writeBlankLine(thenBody: body, into: &out)
    }

    /// A forwarded request: the client's end-to-end field lines copied as they arrived, less
    /// `dropped` and what its `Connection` names.
    static func writeUpstreamRequest(
        client: RequestHead, target: String, authority: String, body: ByteBuffer?,
        dropped: HeaderNameSet, into out: inout ByteBuffer, signature: (inout ByteBuffer) -> Void
    ) {
        writeRequest(method: client.method, target: target, authority: authority, body: body, into: &out, fields: { out in
            client.bytes.withUnsafeReadableBytes { raw in
                let named = connectionNamed(client.fields, raw)
                HeadBytes.writeLines(capacity: raw.count, into: &out) { add in
                    for field in client.fields {
                        let name = UnsafeRawBufferPointer(rebasing: raw[field.name])
                        if dropped.contains(name) || named.contains(where: { ASCII.equalsIgnoringCase(name, lowercased: $0) }) { continue }
                        add(UnsafeRawBufferPointer(rebasing: raw[field.name.lowerBound..<field.value.upperBound]))
                    }
                }
            }
        }, credential: signature)
    }

    /// How the client receives a relayed body.
    enum ClientFraming {
        /// The upstream's own Content-Length (or no body) is kept; body bytes go through as they are.
        case asUpstream
        /// A body the proxy rewrote (a filtered `tools/list` result): the head carries the new
        /// body's Content-Length (`rewrittenLength`). No payload here: this enum is compared on
        /// every relayed body and header, and stays a single byte.
        case rewritten
        /// Re-framed as chunks, for bodies the upstream chunked or delimited by closing.
        case chunked
        /// HTTP/1.0 client and no length: the body ends when the proxy closes the connection.
        case untilClose
    }

    static func clientFraming(for head: ResponseHead, clientIsHTTP11: Bool) -> ClientFraming {
        switch head.framing {
        case .none, .contentLength: return .asUpstream
        case .chunked, .untilClose: return clientIsHTTP11 ? .chunked : .untilClose
        }
    }

    /// The client response head from the upstream's bytes: end-to-end fields copied as they
    /// arrived; for event streams, the headers that stop a reverse proxy in front of us from
    /// buffering events.
    /// - Parameter dropsChallenge: an OAuth profile's upstream challenge (`WWW-Authenticate`) is
    ///   not passed on: the client would start OAuth against the proxy for the upstream's tokens.
    static func writeClientResponseHead(
        _ head: ResponseHead, framing: ClientFraming, isEventStream: Bool, closeAfter: Bool, rewrittenLength: Int = 0,
        dropsChallenge: Bool = false, into out: inout ByteBuffer
    ) {
        var hasCacheControl = false
        let endsWithUpstreamFields = framing == .asUpstream && !isEventStream && !closeAfter
        head.bytes.withUnsafeReadableBytes { raw in
            // "HTTP/1.1 " and the three status digits, then the reason as the upstream sent it.
            HeadBytes.writeStatusLine(status: UnsafeRawBufferPointer(rebasing: raw[9..<12]),
                                      reason: UnsafeRawBufferPointer(rebasing: raw[head.reason]), into: &out)
            let named = connectionNamed(head.fields, raw)
            HeadBytes.writeLines(capacity: raw.count + 2, into: &out) { add in
                for field in head.fields {
                    let name = UnsafeRawBufferPointer(rebasing: raw[field.name])
                    if isHopByHop(name) || named.contains(where: { ASCII.equalsIgnoringCase(name, lowercased: $0) }) { continue }
                    if framing != .asUpstream, ASCII.equalsIgnoringCase(name, "content-length") { continue }
                    if dropsChallenge, ASCII.equalsIgnoringCase(name, "www-authenticate") { continue }
                    if isEventStream {
                        if ASCII.equalsIgnoringCase(name, "cache-control") { hasCacheControl = true }
                        if ASCII.equalsIgnoringCase(name, "x-accel-buffering") { continue }
                    }
                    add(UnsafeRawBufferPointer(rebasing: raw[field.name.lowerBound..<field.value.upperBound]))
                }
                // The usual response adds no line of its own: its blank line goes in the same
                // reservation (a separate two-byte write cost about 180 instructions).
                if endsWithUpstreamFields { add(UnsafeRawBufferPointer(start: nil, count: 0)) }
            }
        }
        if endsWithUpstreamFields { return }
        if framing == .chunked { out.writeStaticString("transfer-encoding: chunked\r\n") }
        if framing == .rewritten { HeadBytes.writeField("content-length", decimal: rewrittenLength, into: &out) }
        if isEventStream {
            out.writeStaticString("x-accel-buffering: no\r\n")
            if !hasCacheControl { out.writeStaticString("cache-control: no-cache\r\n") }
        }
        if closeAfter || framing == .untilClose { out.writeStaticString("connection: close\r\n") }
        out.writeStaticString("\r\n")
    }

    /// One field line from a signer's name and value bytes (see `RequestSigner`).
    static func writeField(_ name: String, _ value: UnsafeRawBufferPointer, into out: inout ByteBuffer) {
        name.withBytes { HeadBytes.writeField(name: $0, value: value, into: &out) }
    }

    static func writeField(_ name: String, _ value: String, into out: inout ByteBuffer) {
        name.withBytes { name in value.withBytes { HeadBytes.writeField(name: name, value: $0, into: &out) } }
    }
}
