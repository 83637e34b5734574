import NIOCore
import NIOHTTP1
import ProxyLogging

/// A response the proxy writes itself: rejections, upstream failures and discovery 404s.
/// Bodies are JSON; rejections of MCP requests use the JSON-RPC error shape so that MCP clients
/// surface the message instead of a parse failure.
struct LocalResponse {
    var status: HTTPResponseStatus
    var body: String
    var extraHeaders: [(String, String)] = []

    static func jsonRPCError(_ status: HTTPResponseStatus, code: Int, message: String, profile: String) -> LocalResponse {
        LocalResponse(status: status, body: #"{"jsonrpc":"2.0","id":null,"error":{"code":\#(code),"message":\#(LogLine.jsonQuoted(message)),"data":{"profile":\#(LogLine.jsonQuoted(profile))}}}"#)
    }

    static func discoveryNotFound(profile: String) -> LocalResponse {
        LocalResponse(status: .notFound, body: #"{"error":"not_found","error_description":"mcp-auth-proxy signs requests itself; this endpoint offers no OAuth discovery","profile":\#(LogLine.jsonQuoted(profile))}"#)
    }

    static func notFound(profile: String) -> LocalResponse {
        LocalResponse(status: .notFound, body: #"{"error":"not_found","error_description":"no MCP endpoint at this path","profile":\#(LogLine.jsonQuoted(profile))}"#)
    }

    /// The whole response, head and body, as bytes.
    func write(keepAlive: Bool, includingBody: Bool = true, into out: inout ByteBuffer) {
        out.writeString("HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n")
        out.writeStaticString("content-type: application/json\r\ncache-control: no-store\r\n")
        out.writeString("content-length: \(body.utf8.count)\r\n")
        for (name, value) in extraHeaders { out.writeString("\(name): \(value)\r\n") }
        if !keepAlive { out.writeStaticString("connection: close\r\n") }
        out.writeStaticString("\r\n")
        if includingBody { out.writeString(body) }
    }
}
