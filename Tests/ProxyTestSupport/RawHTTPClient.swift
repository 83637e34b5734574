import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// A deliberately dumb HTTP/1.1 client over a real socket: it sends exactly the bytes a test
/// writes (so malformed and hostile requests can be sent) and records every byte received with
/// its arrival time (so streaming can be told apart from buffering).
public final class RawHTTPClient: Sendable {
    public struct Chunk: Sendable {
        public var time: Date
        public var bytes: [UInt8]
    }

    public let channel: any Channel
    private let state: NIOLockedValueBox<(chunks: [Chunk], closed: Bool)>

    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// - Parameter halfClosure: stay open for writing after the server's FIN, like a client still
    ///   uploading; the connection then counts as closed only once it fully is.
    /// - Parameter trusting: speak TLS to the server, trusting only this certificate (for `localhost`).
    /// - Parameter receiveBufferSize: a fixed `SO_RCVBUF`, which turns off the kernel's autotuning
    ///   (up to megabytes on loopback): a client that stops reading then stalls the server soon.
    /// Connects to a Unix-domain socket instead of a port.
    public init(unixPath: String) async throws {
        let state = NIOLockedValueBox<(chunks: [Chunk], closed: Bool)>(([], false))
        self.state = state
        channel = try await ClientBootstrap(group: Self.group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Recorder(state: state)) }
            }
            .connect(unixDomainSocketPath: unixPath).get()
    }

    public init(port: Int, halfClosure: Bool = false, trusting certificate: TestCertificate? = nil, receiveBufferSize: Int? = nil) async throws {
        let state = NIOLockedValueBox<(chunks: [Chunk], closed: Bool)>(([], false))
        self.state = state
        let tls = try certificate.map { certificate in
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.trustRoots = .file(certificate.certificatePath)
            return try NIOSSLContext(configuration: configuration)
        }
        var bootstrap = ClientBootstrap(group: Self.group).channelOption(.allowRemoteHalfClosure, value: halfClosure)
        if let receiveBufferSize { bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBufferSize)) }
        channel = try await bootstrap
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: "localhost")) }
                    try channel.pipeline.syncOperations.addHandler(Recorder(state: state))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
    }

    public func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    public var bytes: [UInt8] { state.withLockedValue { $0.chunks.flatMap(\.bytes) } }
    public var text: String { String(decoding: bytes, as: UTF8.self) }
    public var chunks: [Chunk] { state.withLockedValue { $0.chunks } }
    public var isClosed: Bool { state.withLockedValue { $0.closed } }

    /// Waits until the received text satisfies `condition`, the connection closes, or time runs out.
    @discardableResult
    public func waitFor(timeout: Double = 5, _ condition: (String) -> Bool) async -> String {
        let satisfied = await eventuallyValue(within: timeout) { () -> String? in
            let current = text
            return condition(current) || isClosed ? current : nil
        }
        return satisfied ?? text
    }

    /// Waits for one complete response (content-length or chunked) and parses it.
    public func response(timeout: Double = 5) async -> ParsedResponse? {
        var parsed: ParsedResponse?
        await waitFor(timeout: timeout) { text in
            parsed = ParsedResponse.parse(text)
            return parsed != nil
        }
        return parsed ?? ParsedResponse.parse(text, allowIncomplete: true)
    }

    /// Stops reading from the socket, like a client that never consumes its response.
    public func stopReading() async throws {
        try await channel.setOption(ChannelOptions.autoRead, value: false).get()
    }

    public func close() async {
        try? await channel.close()
    }

    private final class Recorder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let state: NIOLockedValueBox<(chunks: [Chunk], closed: Bool)>
        init(state: NIOLockedValueBox<(chunks: [Chunk], closed: Bool)>) { self.state = state }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            let chunk = Chunk(time: Date(), bytes: Array(buffer.readableBytesView))
            state.withLockedValue { $0.chunks.append(chunk) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            state.withLockedValue { $0.closed = true }
        }
    }
}

/// A response read off the wire: status, headers in order (repeats kept), and the de-chunked body.
public struct ParsedResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: String
    public var isComplete: Bool

    public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name }?.1 }
    public func headers(_ name: String) -> [String] { headers.filter { $0.0.lowercased() == name }.map(\.1) }

    public static func parse(_ text: String, allowIncomplete: Bool = false) -> ParsedResponse? {
        var rest = Substring(text)
        // Skip interim 1xx responses.
        while true {
            guard let end = rest.range(of: "\r\n\r\n") else { return nil }
            let headLines = rest[..<end.lowerBound].components(separatedBy: "\r\n")
            let statusParts = headLines[0].split(separator: " ")
            guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
            rest = rest[end.upperBound...]
            if (100..<200).contains(status) { continue }
            let headers = headLines.dropFirst().compactMap { line -> (String, String)? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
            var response = ParsedResponse(status: status, headers: headers, body: "", isComplete: false)
            if let length = response.header("content-length").flatMap(Int.init) {
                let bytes = Array(rest.utf8)
                response.body = String(decoding: bytes.prefix(length), as: UTF8.self)
                response.isComplete = bytes.count >= length
            } else if response.header("transfer-encoding")?.lowercased() == "chunked" {
                var body = ""
                var cursor = rest
                while let lineEnd = cursor.range(of: "\r\n"), let size = Int(cursor[..<lineEnd.lowerBound], radix: 16) {
                    let dataStart = lineEnd.upperBound
                    if size == 0 { response.isComplete = true; break }
                    let data = cursor[dataStart...].utf8.prefix(size)
                    guard data.count == size else { break }
                    body += String(decoding: data, as: UTF8.self)
                    let next = cursor.utf8.index(dataStart, offsetBy: size + 2, limitedBy: cursor.endIndex) ?? cursor.endIndex
                    cursor = cursor[next...]
                }
                response.body = body
            } else {
                response.body = String(rest)
                response.isComplete = status == 204 || status == 304
            }
            return response.isComplete || allowIncomplete ? response : nil
        }
    }
}

extension String {
    /// A POST request with a JSON body, with whatever extra header lines a test adds.
    public static func post(_ target: String = "/mcp", body: String = #"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#, headers: [String] = [], host: String = "127.0.0.1") -> String {
        (["POST \(target) HTTP/1.1", "Host: \(host)", "Content-Type: application/json", "Content-Length: \(body.utf8.count)"] + headers).joined(separator: "\r\n") + "\r\n\r\n" + body
    }

    public static func get(_ target: String = "/mcp", headers: [String] = [], host: String = "127.0.0.1") -> String {
        (["GET \(target) HTTP/1.1", "Host: \(host)", "Accept: text/event-stream"] + headers).joined(separator: "\r\n") + "\r\n\r\n"
    }
}

extension RawHTTPClient {
    /// A listening socket that holds a port, for "port already taken" tests.
    public static func listeningSocket() async throws -> any Channel {
        try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
    }
}
