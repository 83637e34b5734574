import MCPMessages
import NIOCore
import ProxyDataPlane
import ProxyAudit
import ProxyLogging
import ProxyTracing

/// The stdio side of `mcp-auth-proxy stdio`: reads MCP messages from stdin one line at a time,
/// sends each as its own signed POST (so a slow call never holds back another), and writes every
/// message that comes back to stdout as one line.
///
/// A thin shell around `BridgeStateMachine`, which decides everything: this handler feeds it
/// stdin's lines, the upstream exchanges' events and the timers, and carries out the actions it
/// returns. Runs on one event loop; every upstream exchange is an `UpstreamCall` through the
/// same engine, pool and signer as the listeners. No task per message: calls are callbacks.
final class StdioBridge: ChannelInboundHandler {
    typealias InboundIn = LineFramer.Frame
    typealias OutboundOut = ByteBuffer

    /// The largest message accepted from the upstream.
    static let maximumMessageBytes = 64 << 20

    private var machine: BridgeStateMachine
    /// What each upstream exchange is signed with, taken once.
    private let credentials: UpstreamCredentials
    private let engine: ForwardingEngine
    private let log: LogSink
    private let finished: EventLoopPromise<Void>
    private var context: ChannelHandlerContext?
    /// The exchanges the machine started and has not cancelled or seen end.
    private var calls: [BridgeStateMachine.CallID: BridgeCall] = [:]
    /// `audit:` and `otel:`: what the audit trail and the spans need of each call (see
    /// `BridgeObservation`); empty without them.
    private let trail: AuditTrail?
    private let tracer: Tracer?
    private let upstreamURL: String
    private var observations: [BridgeStateMachine.CallID: BridgeObservation] = [:]
    private var spanIDs: SpanIDGenerator?
    private var graceTimer: Scheduled<Void>?
    private var streamRetry: Scheduled<Void>?

    init(configuration: BridgeStateMachine.Configuration, credentials: UpstreamCredentials, engine: ForwardingEngine,
         log: LogSink, finished: EventLoopPromise<Void>, trail: AuditTrail? = nil, tracer: Tracer? = nil, upstreamURL: String = "") {
        machine = BridgeStateMachine(configuration: configuration)
        self.trail = trail
        self.tracer = tracer
        self.upstreamURL = upstreamURL
        self.credentials = credentials
        self.engine = engine
        self.log = log
        self.finished = finished
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: Events in

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .tooLong(let start): perform(machine.lineTooLong(start: start))
        case .line(let line): perform(machine.lineReceived(line))
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { perform(machine.inputClosed()) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        perform(machine.outputClosed())
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        log(BridgeLogEntry(.warning, "stdio_error", [("error", .string("\(error)"))]))
        context.close(promise: nil)
    }

    /// A signal: finish as at the end of stdin.
    func stop() {
        perform(machine.stopRequested())
    }

    /// Backpressure: while stdout is not drained, no upstream is read.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        let writable = context.channel.isWritable
        for call in calls.values { call.setReading(writable) }
        context.fireChannelWritabilityChanged()
    }

    // MARK: From the calls

    func callReceivedHead(_ id: BridgeStateMachine.CallID, _ head: BridgeResponseHead) {
        if observations[id] != nil {
            observations[id]?.status = head.status
            observations[id]?.isEventStream = head.isEventStream
        }
        perform(machine.callHead(id, head))
    }

    func callReceivedEvent(_ id: BridgeStateMachine.CallID, _ event: EventStreamDecoder.Event) {
        if let observation = observations[id] {
            observation.audited?.capture(eventData: event.data)
            observations[id]?.bytesOut += event.data.utf8.count
        }
        perform(machine.callEvent(id, event))
    }

    func callEnded(_ id: BridgeStateMachine.CallID, body: ByteBuffer) {
        calls[id] = nil
        if let observation = observations.removeValue(forKey: id) {
            var observation = observation
            if !observation.isEventStream { observation.audited?.capture(body) }
            observation.bytesOut += body.readableBytes
            observed(observation, failure: nil)
        }
        perform(machine.callEnded(id, body: body))
    }

    func callFailed(_ id: BridgeStateMachine.CallID, reason: String) {
        calls[id] = nil
        if let observation = observations.removeValue(forKey: id) { observed(observation, failure: reason) }
        perform(machine.callFailed(id, reason: reason))
    }

    // MARK: Actions out

    private func perform(_ actions: [BridgeAction]) {
        for action in actions { perform(action) }
    }

    private func perform(_ action: BridgeAction) {
        if case .reportFinished = action { return finished.succeed() }
        guard let context else { return }
        switch action {
        case .writeLine(let bytes):
            writeLine(bytes, context: context)
        case .startCall(let id, let request):
            let call = BridgeCall(id: id, bridge: self, maximumMessageBytes: Self.maximumMessageBytes)
            calls[id] = call
            call.start(observe(id, request, now: context.eventLoop.now), credentials: credentials, engine: engine, eventLoop: context.eventLoop)
            if !context.channel.isWritable { call.setReading(false) }
        case .cancelCall(let id):
            calls.removeValue(forKey: id)?.cancel()
            if let observation = observations.removeValue(forKey: id) { observed(observation, failure: "cancelled by the client") }
        case .refused(let line, let reason):
            guard let trail else { return }
            var entry = AuditTrail.Exchange(profile: machine.configuration.profileName, transport: "stdio", httpMethod: "POST", decision: reason, status: 0)
            entry.bytesIn = line.readableBytes
            trail.record(entry, request: line.withUnsafeReadableBytes { AuditedRequest(body: $0, arguments: trail.arguments) })
        case .scheduleGrace(let delay):
            graceTimer = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [weak self] in
                guard let self else { return }
                self.perform(self.machine.graceExpired())
            }
        case .cancelGrace:
            graceTimer?.cancel()
            graceTimer = nil
        case .scheduleStreamRetry(let delay):
            streamRetry = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [weak self] in
                guard let self else { return }
                self.perform(self.machine.streamRetryDue())
            }
        case .cancelStreamRetry:
            streamRetry?.cancel()
            streamRetry = nil
        case .log(let entry):
            log(entry)
        case .close:
            context.close(promise: nil)
        case .reportFinished:
            break
        }
    }

    /// Writes one message as one line. JSON allows CR and LF only as whitespace between tokens,
    /// so turning them into spaces keeps the message intact and the framing whole.
    private func writeLine(_ bytes: [UInt8], context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: bytes.count + 1)
        buffer.writeBytes(bytes.lazy.map { $0 == 0x0A || $0 == 0x0D ? 0x20 : $0 })
        buffer.writeInteger(UInt8(0x0A))
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    private func log(_ entry: BridgeLogEntry) {
        guard log.isEnabled(entry.level) else { return }
        var line = LogLine(level: entry.level, event: entry.event)
        line.field("profile", machine.configuration.profileName)
        for (key, value) in entry.fields {
            switch value {
            case .string(let text): line.field(key, text)
            case .int(let number): line.field(key, number)
            }
        }
        log.emit(line)
    }

    // MARK: Audit and traces

    /// Starts observing a call (audit, trace) and returns the request to send: with the trace's
    /// `traceparent` when tracing.
    private func observe(_ id: BridgeStateMachine.CallID, _ request: BridgeRequest, now: NIODeadline) -> BridgeRequest {
        guard trail != nil || tracer != nil, request.method == "POST", let body = request.body else { return request }
        let audited = trail.flatMap { trail in body.withUnsafeReadableBytes { AuditedRequest(body: $0, arguments: trail.arguments) } }
        var trace: BridgeTrace?
        if let tracer {
            var ids = spanIDs ?? SpanIDGenerator()
            trace = BridgeTrace(body: body, tracer: tracer, ids: &ids)
            spanIDs = ids
        }
        observations[id] = BridgeObservation(audited: audited, trace: trace, startedAt: now,
                                             startUnixNanoseconds: UInt64(LogClock.unixNanoseconds()), bytesIn: body.readableBytes)
        guard let trace else { return request }
        return BridgeRequest(method: request.method, headers: request.headers + trace.headers, body: request.body)
    }

    /// A call is over: its audit lines and its spans.
    private func observed(_ observation: BridgeObservation, failure: String?) {
        let elapsed = context.map { UInt64(max(0, ($0.eventLoop.now - observation.startedAt).nanoseconds)) } ?? 0
        if let trail, let audited = observation.audited {
            var entry = AuditTrail.Exchange(profile: machine.configuration.profileName, transport: "stdio", httpMethod: "POST",
                                            decision: "forwarded", status: observation.status)
            entry.upstreamStatus = observation.status
            entry.failure = failure
            entry.durationNanoseconds = elapsed
            entry.bytesIn = observation.bytesIn
            entry.bytesOut = observation.bytesOut
            entry.isEventStream = observation.isEventStream
            trail.record(entry, request: audited)
        }
        if let tracer, let trace = observation.trace, trace.sampled {
            let start = observation.startUnixNanoseconds
            for span in trace.spans(start: start, end: start &+ elapsed, status: observation.status, failure: failure, upstream: upstreamURL) {
                tracer.spans.add(span)
            }
        }
    }
}
