import NIOCore
import ProxyLogging
import ProxyTracing

/// Upstream side: sign, send through the event loop's pool, and hand what comes back to the machine.
extension ClientConnectionHandler: UpstreamResponseReceiver {
    func forward(_ request: UpstreamRequest) {
        if runtime.tokenExchange != nil { return forwardWithExchangedToken(request) }
        send(request)
    }

    /// Signs `request` (with `authorization` as its whole credential, under token exchange) and
    /// sends it through this loop's pool.
    func send(_ request: UpstreamRequest, authorization: [UInt8]? = nil) {
        let endpoint = runtime.endpoint
        let runtime = runtime
        let availability = UpstreamCredentials.availability(accessToken: runtime.accessToken, awsCredentials: runtime.awsCredentials)
        if let problem = availability.problem {
            // No OAuth token or AWS credentials: the upstream would only refuse the request (and an
            // OAuth upstream's challenge must not reach the client).
            execute(machine.upstreamFailed(.credentialUnavailable(problem)))
            return
        }
        signedTokenGeneration = availability.generation
        // The client's head and body, plus room for what the proxy adds (request line, Host,
        // length, credential): sized to the request rather than a fixed 1 KB on top, so the
        // usual request stays in malloc's small-size cache (a 2 KB buffer cost 300 more
        // instructions to allocate); a credential longer than the room just grows the buffer.
        let capacity = request.head.bytes.readableBytes + (request.body?.readableBytes ?? 0) + (authorization?.count ?? 0) + 384
        var bytes = context.channel.allocator.buffer(capacity: capacity)
        let signedAt = LogClock.unixMilliseconds()
        signedAtMilliseconds = signedAt
        HeaderRewriting.writeUpstreamRequest(
            client: request.head, target: request.target, authority: endpoint.authority, body: request.body,
            dropped: request.responseIsFiltered ? runtime.droppedRequestHeadersForFiltering : runtime.droppedRequestHeaders, into: &bytes) { out in
            if let trace = machine.exchange.trace {
                // The upstream's spans join the trace as children of the proxy's client span.
                TraceParent.header(traceID: trace.traceID, spanID: trace.clientSpan, sampled: trace.sampled).withUnsafeBytes {
                    HeaderRewriting.writeField("traceparent", $0, into: &out)
                }
                if let state = trace.traceState { HeaderRewriting.writeField("tracestate", state, into: &out) }
            }
            if let authorization {
                authorization.withUnsafeBytes { HeaderRewriting.writeField("authorization", $0, into: &out) }
                return
            }
            // A fresh signature per request, written straight into the request buffer.
            runtime.signer.sign(method: request.head.method, target: request.target, forwarding: request.body,
                                header: { request.head.value(of: $0) }, key: runtime.signingKey, unixMilliseconds: signedAt) { name, value in
                HeaderRewriting.writeField(name, value, into: &out)
            }
        }
        pool.send(bytes, to: endpoint, forExchange: request.exchangeNumber, from: self)
    }

    /// The exchange may have ended (timeout, client gone) while connecting.
    func wantsUpstream(forExchange number: Int) -> Bool {
        context != nil && machine.awaitsUpstream(forExchange: number)
    }

    func upstreamAttached(_ connection: UpstreamPool.Connection) {
        upstream = connection
    }

    func upstreamResponseHead(_ head: ResponseHead) {
        execute(machine.upstreamResponseHead(head, now: context.eventLoop.now))
    }

    func upstreamResponseBody(_ buffer: ByteBuffer) {
        execute(machine.upstreamResponseBody(buffer))
    }

    func upstreamReadComplete() {
        execute(machine.upstreamReadComplete())
    }

    /// The upstream connection has already gone back to its pool (or closed).
    func upstreamResponseEnd() {
        upstream = nil
        execute(machine.upstreamResponseEnd())
    }

    func upstreamFailed(_ failure: UpstreamFailure) {
        upstream = nil
        execute(machine.upstreamFailed(failure))
    }
}
