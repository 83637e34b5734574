import NIOCore
import NIOHTTP1
import ProxyLogging

/// Request side: checks that run before anything may reach the upstream.
extension ClientConnectionHandler {
    func requestHead(_ head: RequestHead) {
        let profile = runtime.profile
        let exchange = RequestExchange(head: head, phase: .collecting)
        runtime.liveObjects.watch(exchange, as: .exchange)
        self.exchange = exchange
        idleSince = nil
        if !head.isKeepAlive { closeAfterResponse = true }

        if !runtime.originPolicy.acceptsHost(head.host) {
            return reject(exchange, .jsonRPCError(.forbidden, code: -32600, message: "Host header does not name this proxy (DNS rebinding protection)", profile: profile.name))
        }
        if !runtime.originPolicy.acceptsOrigin(head.origin) {
            return reject(exchange, .jsonRPCError(.forbidden, code: -32600, message: "Origin not allowed; add it to allowed_origins to permit it", profile: profile.name))
        }
        switch runtime.router.route(method: head.method, target: head.target) {
        case .badTarget(let reason):
            var response = LocalResponse.jsonRPCError(.badRequest, code: -32600, message: "refused request target: \(reason)", profile: profile.name)
            response.closesConnection = true
            return reject(exchange, response)
        case .discoveryProbe:
            return reject(exchange, .discoveryNotFound(profile: profile.name))
        case .notFound:
            return reject(exchange, .notFound(profile: profile.name))
        case .methodNotAllowed:
            var response = LocalResponse.jsonRPCError(.methodNotAllowed, code: -32600, message: "method \(head.method) is not supported on the MCP endpoint", profile: profile.name)
            response.extraHeaders = [("allow", RequestRouter.allowedMethods.joined(separator: ", "))]
            return reject(exchange, response)
        case .forward(let target):
            exchange.upstreamTarget = target
        }
        if let length = head.declaredLength, length > profile.maxRequestBody.bytes {
            return tooLarge(exchange)
        }
        if head.expectsContinue {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(staticString: "HTTP/1.1 100 Continue\r\n\r\n")), promise: nil)
        }
    }

    func requestBody(_ buffer: ByteBuffer) {
        guard let exchange, case .collecting = exchange.phase else { return }
        var buffer = buffer
        if exchange.body == nil {
            exchange.body = buffer
        } else {
            exchange.body!.writeBuffer(&buffer)
        }
        if exchange.body!.readableBytes > runtime.profile.maxRequestBody.bytes {
            tooLarge(exchange)
        }
    }

    func requestEnd() {
        guard let exchange else { return }
        switch exchange.phase {
        case .rejecting(let response):
            writeLocal(response, for: exchange)
        case .collecting:
            if exchange.method == "POST" {
                let verdict = exchange.body.map { body in body.withUnsafeReadableBytes { JSONRPCBodyCheck.check($0) } }
                    ?? JSONRPCBodyCheck.check(UnsafeRawBufferPointer(start: nil, count: 0))
                switch verdict {
                case .parseError:
                    return writeLocal(.jsonRPCError(.badRequest, code: -32700, message: "Parse error: the body is not valid JSON", profile: runtime.profile.name), for: exchange)
                case .invalidRequest:
                    return writeLocal(.jsonRPCError(.badRequest, code: -32600, message: "Invalid Request: expected a JSON-RPC 2.0 object or a non-empty batch", profile: runtime.profile.name), for: exchange)
                case .valid(let method):
                    exchange.rpcMethod = method
                }
            }
            if exchange.method == "GET", runtime.servesLocalHeartbeat {
                return startHeartbeat(exchange)
            }
            forward(exchange)
        default:
            break
        }
    }

    /// The request's bytes cannot be parsed: 400 (431 for an oversized head) and the connection
    /// closes, since where the next request would start is unknown.
    func requestUnreadable(_ failure: RequestParser.Failure) {
        var response: LocalResponse
        switch failure {
        case .headTooLarge:
            response = .jsonRPCError(.requestHeaderFieldsTooLarge, code: -32600, message: "request head exceeds \(RequestParser.maxHeadBytes) bytes", profile: runtime.profile.name)
        case .malformed(let reason):
            response = .jsonRPCError(.badRequest, code: -32600, message: "malformed HTTP request: \(reason)", profile: runtime.profile.name)
        }
        response.closesConnection = true
        writeLocal(response, for: exchange)
    }

    private func reject(_ exchange: RequestExchange, _ response: LocalResponse) {
        exchange.phase = .rejecting(response)
        if response.closesConnection { writeLocal(response, for: exchange) }
    }

    /// 413 at once, and the connection closes: draining an oversized body would cost what the limit protects.
    private func tooLarge(_ exchange: RequestExchange) {
        exchange.body = nil
        var response = LocalResponse.jsonRPCError(.payloadTooLarge, code: -32600, message: "request body exceeds max_request_body (\(runtime.profile.maxRequestBody))", profile: runtime.profile.name)
        response.closesConnection = true
        exchange.phase = .rejecting(response)
        writeLocal(response, for: exchange)
    }

    /// One JSON object per request; built only when the level is enabled.
    func log(_ exchange: RequestExchange, event: String) {
        let level: LogLevel = exchange.failure != nil || exchange.status >= 500 ? .warning : .info
        guard runtime.log.isEnabled(level) else { return }
        var line = LogLine(level: level, event: event)
        line.field("profile", runtime.profile.name)
        line.field("method", exchange.method)
        line.field("path", String(exchange.logPath))
        if let rpcMethod = exchange.rpcMethod { line.field("rpc_method", rpcMethod) }
        line.field("status", exchange.status)
        if exchange.upstreamStatus > 0 { line.field("upstream_status", exchange.upstreamStatus) }
        line.field("duration_ms", milliseconds: UInt64((NIODeadline.now() - exchange.startedAt).nanoseconds))
        line.field("bytes_out", exchange.bytesOut)
        if exchange.isEventStream { line.field("stream", true) }
        if let failure = exchange.failure { line.field("error", failure.summary) }
        if let snippet = exchange.errorSnippet {
            line.field("upstream_error", bytes: snippet.readableBytesView)
            if exchange.errorTruncated { line.field("upstream_error_truncated", true) }
        }
        runtime.log.emit(line)
    }
}
