import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The control plane's HTTP client for OAuth: metadata documents, registration, token and
/// revocation requests. One request per connection, the whole response in memory (bounded): these
/// are a handful of small exchanges per hour, never on the request path.
package struct OAuthHTTPClient: Sendable {
    package struct Response: Sendable {
        package var status: Int
        package var headers: [(name: String, value: String)]
        package var body: [UInt8]

        package func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name }?.value
        }

        /// All values of a header that may repeat (`WWW-Authenticate`).
        package func headers(_ name: String) -> [String] {
            headers.filter { $0.name.lowercased() == name }.map(\.value)
        }
    }

    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    let group: any EventLoopGroup
    /// Extra trusted CA certificates (the profile's `ca_file`), besides the system's.
    let caFile: String?
    let timeout: TimeAmount
    static let maximumBody = 1 << 20

    package init(group: any EventLoopGroup, caFile: String? = nil, timeout: TimeAmount = .seconds(15)) {
        self.group = group
        self.caFile = caFile
        self.timeout = timeout
    }

    package func get(_ url: URL, accept: String = "application/json") async throws -> Response {
        try await send(method: .GET, url: url, headers: [("accept", accept)], body: nil)
    }

    /// A form POST (`application/x-www-form-urlencoded`), as token and revocation endpoints take.
    package func postForm(_ url: URL, _ form: [(String, String)], headers: [(String, String)] = []) async throws -> Response {
        let body = Array(FormEncoding.encode(form).utf8)
        return try await send(method: .POST, url: url,
                              headers: headers + [("content-type", "application/x-www-form-urlencoded"), ("accept", "application/json")], body: body)
    }

    package func postJSON(_ url: URL, _ body: [UInt8], headers: [(String, String)] = []) async throws -> Response {
        try await send(method: .POST, url: url, headers: headers + [("content-type", "application/json"), ("accept", "application/json, text/event-stream")], body: body)
    }

    package func send(method: HTTPMethod, url: URL, headers: [(String, String)], body: [UInt8]?) async throws -> Response {
        guard let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http", let host = url.host, !host.isEmpty else {
            throw Failure(description: "\(url.absoluteString) is not an http(s) URL")
        }
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        let tls: NIOSSLContext?
        if scheme == "https" {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.minimumTLSVersion = .tlsv12
            if let caFile {
                configuration.additionalTrustRoots = [.file(caFile)]
            }
            tls = try NIOSSLContext(configuration: configuration)
        } else {
            tls = nil
        }
        var path = url.path.isEmpty ? "/" : url.path
        if let query = url.query { path += "?" + query }
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        let authority = (url.port == nil) ? host : "\(host.contains(":") ? "[\(host)]" : host):\(port)"
        head.headers.add(name: "host", value: authority)
        head.headers.add(name: "user-agent", value: "mcp-auth-proxy")
        head.headers.add(name: "connection", value: "close")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        if let body { head.headers.add(name: "content-length", value: String(body.count)) }

        let eventLoop = group.next()
        let promise = eventLoop.makePromise(of: Response.self)
        let timeout = timeout
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls {
                        let hostname = host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." }) ? nil : host
                        try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: hostname))
                    }
                    try sync.addHandler(HTTPRequestEncoder())
                    try sync.addHandler(ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes)))
                    try sync.addHandler(ResponseCollector(promise: promise))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            promise.fail(error)
            throw Failure(description: "cannot connect to \(host):\(port): \(error)")
        }
        let deadline = eventLoop.scheduleTask(in: timeout) {
            promise.fail(Failure(description: "\(url.absoluteString) did not answer within \(timeout.nanoseconds / 1_000_000_000)s"))
            channel.close(promise: nil)
        }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body {
            var buffer = channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            channel.write(HTTPClientRequestPart.body(.byteBuffer(buffer)), promise: nil)
        }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        defer {
            deadline.cancel()
            channel.close(promise: nil)
        }
        return try await promise.futureResult.get()
    }
}

/// Gathers one response; fails on a body over `OAuthHTTPClient.maximumBody` or an early close.
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<OAuthHTTPClient.Response>
    private var response: OAuthHTTPClient.Response?

    init(promise: EventLoopPromise<OAuthHTTPClient.Response>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            response = OAuthHTTPClient.Response(status: Int(head.status.code), headers: head.headers.map { ($0.name, $0.value) }, body: [])
        case .body(let buffer):
            response?.body += buffer.readableBytesView
            if (response?.body.count ?? 0) > OAuthHTTPClient.maximumBody {
                promise.fail(OAuthHTTPClient.Failure(description: "the response is larger than 1 MiB"))
                context.close(promise: nil)
            }
        case .end:
            if let response { promise.succeed(response) }
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(OAuthHTTPClient.Failure(description: "\(error)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(OAuthHTTPClient.Failure(description: "the connection closed before the response was complete"))
    }
}

/// `application/x-www-form-urlencoded` and query strings (RFC 3986 unreserved kept, the rest %XX).
package enum FormEncoding {
    package static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&")
    }

    package static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// The pairs of a query string or form body; `+` is a space, as forms write it.
    package static func decode(_ text: Substring) -> [(String, String)] {
        text.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func unescape(_ part: Substring) -> String {
                let spaced = part.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (unescape(parts[0]), parts.count > 1 ? unescape(parts[1]) : "")
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
