import NIOCore
import NIOPosix
import NIOSSL

/// Keep-alive upstream connections of one event loop. A client connection only ever borrows from
/// the pool of its own loop, so both ends of an exchange run on one thread with no hand-offs.
/// Not thread-safe by design: only its event loop touches it.
final class UpstreamPool {
    struct Connection {
        let channel: any Channel
        let handler: UpstreamConnectionHandler

        /// The one backpressure rule, for listeners and the bridge alike: while the consumer
        /// cannot take more, the upstream is not read. Resuming also asks for a read through the
        /// pipeline, so that a TLS handler holding decrypted bytes passes them on at once.
        func setReading(_ reading: Bool) {
            // A channel option is not free: only a real change is made.
            if handler.readingPaused == reading {
                handler.readingPaused = !reading
                try? channel.syncOptions?.setOption(ChannelOptions.autoRead, value: reading)
            }
            if reading { channel.read() }
        }
    }

    /// One endpoint's idle connections. A class, so that taking one mutates the stack in place:
    /// popping through a dictionary of arrays copied the array (three allocations per request).
    private final class IdleStack {
        var connections: [Connection] = []
    }

    let eventLoop: any EventLoop
    private let dialer: any UpstreamDialer
    private var idle: [ObjectIdentifier: IdleStack] = [:]
    /// The endpoint used last, with its stack: a pool nearly always serves one endpoint, and two
    /// dictionary lookups per request (hashing and probing) cost about 500 instructions. Holds
    /// the endpoint itself, so its identity cannot be reused while it is here; dropped with the
    /// endpoint's stack.
    private var recent: (endpoint: UpstreamEndpoint, stack: IdleStack)?
    private var isClosed = false
    /// Idle connections kept per endpoint; more are closed when they come back.
    let idleLimit = 1024

    init(eventLoop: any EventLoop, dialer: any UpstreamDialer = SocketDialer()) {
        self.eventLoop = eventLoop
        self.dialer = dialer
    }

    /// An idle live connection of `endpoint`, if there is one: the fast path, with no callback.
    private func idleConnection(for endpoint: UpstreamEndpoint) -> Connection? {
        guard let stack = existingStack(for: endpoint) else { return nil }
        while let connection = stack.connections.popLast() {
            endpoint.metrics?.upstreamConnectionLeftIdle()
            if connection.channel.isActive, connection.handler.isIdle { return connection }
        }
        return nil
    }

    /// The one way an exchange reaches its upstream (a listener's forwarded request and the
    /// bridge's `UpstreamCall` alike): over an idle connection of `endpoint` at once, or a new
    /// one. A connect that completes after exchange `number` stopped wanting it (timed out, client
    /// gone, call cancelled) sends nothing, and its connection is pooled unused.
    func send(_ request: ByteBuffer, to endpoint: UpstreamEndpoint, forExchange number: Int, from receiver: any UpstreamResponseReceiver) {
        if let connection = idleConnection(for: endpoint) {
            receiver.upstreamAttached(connection)
            connection.handler.send(request, to: receiver)
            return
        }
        connect(endpoint) { [weak receiver] result in
            guard let receiver, receiver.wantsUpstream(forExchange: number) else {
                if case .success(let connection) = result { self.release(connection, to: endpoint, reusable: true) }
                return
            }
            switch result {
            case .failure(let failure):
                receiver.upstreamFailed(failure)
            case .success(let connection):
                receiver.upstreamAttached(connection)
                connection.handler.send(request, to: receiver)
            }
        }
    }

    /// Opens a new connection to `endpoint`. Exactly one attempt is made.
    func connect(_ endpoint: UpstreamEndpoint, _ completion: @escaping (Result<Connection, UpstreamFailure>) -> Void) {
        guard !isClosed else {
            completion(.failure(.connectFailed("the proxy is shutting down")))
            return
        }
        let pool = NIOLoopBound(self, eventLoop: eventLoop)
        let dialed = dialer.dial(endpoint, on: eventLoop) { channel in
            if let tls = endpoint.tlsContext {
                try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: endpoint.serverHostname))
            }
            try channel.pipeline.syncOperations.addHandler(UpstreamConnectionHandler(pool: pool.value, endpoint: endpoint))
        }
        dialed.assumeIsolated().whenComplete { result in
            switch result {
            case .success(let channel):
                guard let handler = try? channel.pipeline.syncOperations.handler(type: UpstreamConnectionHandler.self) else {
                    channel.close(promise: nil)
                    completion(.failure(.connectFailed("connection set-up failed")))
                    return
                }
                completion(.success(Connection(channel: channel, handler: handler)))
            case .failure(let error):
                completion(.failure(.connectFailed(Self.describe(error, endpoint))))
            }
        }
    }

    /// Called by the connection's handler when its exchange ends.
    func release(_ connection: Connection, to endpoint: UpstreamEndpoint, reusable: Bool) {
        let stack = idleStack(for: endpoint)
        guard reusable, !isClosed, !endpoint.isRetired, connection.channel.isActive, stack.connections.count < idleLimit else {
            connection.channel.close(promise: nil)
            return
        }
        // The last exchange may have paused reading for backpressure; an idle connection reads
        // again (no read is asked for: nothing is expected until the next request).
        if connection.handler.readingPaused {
            connection.handler.readingPaused = false
            try? connection.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
        }
        stack.connections.append(connection)
        endpoint.metrics?.upstreamConnectionBecameIdle()
    }

    private func existingStack(for endpoint: UpstreamEndpoint) -> IdleStack? {
        if let recent, recent.endpoint === endpoint { return recent.stack }
        guard let stack = idle[ObjectIdentifier(endpoint)] else { return nil }
        recent = (endpoint, stack)
        return stack
    }

    private func idleStack(for endpoint: UpstreamEndpoint) -> IdleStack {
        if let stack = existingStack(for: endpoint) { return stack }
        let stack = IdleStack()
        idle[ObjectIdentifier(endpoint)] = stack
        recent = (endpoint, stack)
        return stack
    }

    /// Forgets an idle connection that closed, so that the pool never holds dead connections.
    func discardIdle(_ handler: UpstreamConnectionHandler, of endpoint: UpstreamEndpoint) {
        guard let stack = idle[ObjectIdentifier(endpoint)] else { return }
        let before = stack.connections.count
        stack.connections.removeAll { $0.handler === handler }
        for _ in stack.connections.count..<before { endpoint.metrics?.upstreamConnectionLeftIdle() }
    }

    /// Closes `endpoint`'s idle connections (a reload retired it); the ones in use close when
    /// their exchange ends.
    func closeIdle(of endpoint: UpstreamEndpoint) {
        if recent?.endpoint === endpoint { recent = nil }
        guard let stack = idle.removeValue(forKey: ObjectIdentifier(endpoint)) else { return }
        for connection in stack.connections {
            endpoint.metrics?.upstreamConnectionLeftIdle()
            connection.channel.close(promise: nil)
        }
    }

    /// Closes idle connections and refuses new ones; in-flight exchanges are left to finish.
    func close() {
        isClosed = true
        for stack in idle.values {
            for connection in stack.connections {
                connection.handler.endpointMetrics?.upstreamConnectionLeftIdle()
                connection.channel.close(promise: nil)
            }
        }
        idle.removeAll()
        recent = nil
    }

    private static func describe(_ error: any Error, _ endpoint: UpstreamEndpoint) -> String {
        let target = "\(endpoint.url.authority)"
        if case ChannelError.connectTimeout = error { return "connecting to \(target) timed out" }
        if let connection = error as? NIOConnectionError, let first = connection.connectionErrors.first {
            return "cannot connect to \(target): \(first.error)"
        }
        return "cannot connect to \(target): \(error)"
    }
}
