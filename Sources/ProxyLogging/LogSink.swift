import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Collects finished log lines and writes them to a file descriptor in batches from its own
/// thread, so that request handling never waits on a `write(2)`.
///
/// Lines are kept in order; `flush()` writes everything pending and returns only when it is
/// written, so nothing is lost at shutdown.
package final class LogSink: Sendable {
    private struct State {
        var pending: [UInt8] = []
        var stopped = false
    }

    package let minimumLevel: LogLevel
    private let fileDescriptor: Int32
    private let state = NIOLockedValueBox(State())
    private let wakeUp = ConditionLock(value: 0)
    /// Serialises writers: the background thread and explicit `flush()` calls. Also guards `spare`.
    private let writeLock = NIOLock()
    /// The buffer not currently collecting lines; reused so steady state allocates nothing.
    nonisolated(unsafe) private var spare: [UInt8] = []

    /// - Parameters:
    ///   - fileDescriptor: where lines go; stderr by default.
    ///   - flushInterval: seconds between batches.
    package init(minimumLevel: LogLevel = .info, fileDescriptor: Int32 = 2, flushInterval: Double = 0.05) {
        self.minimumLevel = minimumLevel
        self.fileDescriptor = fileDescriptor
        SinkThread.start(for: self, every: flushInterval, wakeUp: wakeUp)
    }

    @inline(__always)
    package func isEnabled(_ level: LogLevel) -> Bool { level >= minimumLevel }

    package func emit(_ line: LogLine) {
        state.withLockedValue { line.appendFinished(to: &$0.pending) }
    }

    /// Writes every pending line now, on the caller's thread.
    package func flush() {
        writePending()
    }

    /// Flushes and stops the background thread.
    package func shutdown() {
        state.withLockedValue { $0.stopped = true }
        wakeUp.lock()
        wakeUp.unlock(withValue: 1)
        flush()
    }

    func writePending() {
        writeLock.withLock {
            // Swap buffers so the lock is held only for the swap, never for the write.
            var batch = spare
            state.withLockedValue { swap(&$0.pending, &batch) }
            defer {
                batch.removeAll(keepingCapacity: true)
                spare = batch
            }
            guard !batch.isEmpty else { return }
            // The log has nowhere to report its own failure: what cannot be written is lost.
            _ = SinkThread.writeAll(batch, to: fileDescriptor)
        }
    }
}

/// A sink whose lines a `SinkThread` writes in batches.
protocol BatchingSink: AnyObject, Sendable {
    var isStopped: Bool { get }
    func writePending()
}

extension LogSink: BatchingSink {
    var isStopped: Bool { state.withLockedValue { $0.stopped } }
}

/// The sink's one detached thread, started with pthreads: Foundation's `Thread` would pull the
/// whole of Foundation (and ICU) into the process for this alone.
enum SinkThread {
    final class Body: Sendable {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    /// Writes `sink`'s batches every `interval` seconds, or sooner when `wakeUp` is set to 1,
    /// until it stops (one last batch then) or goes: the loop both sinks write from.
    static func start(for sink: some BatchingSink, every interval: Double, wakeUp: ConditionLock<Int>) {
        start { [weak sink] in
            while let current = sink {
                let stop = current.isStopped
                current.writePending()
                if stop { return }
                if wakeUp.lock(whenValue: 1, timeoutSeconds: interval) {
                    wakeUp.unlock(withValue: 0)
                }
            }
        }
    }

    /// Writes all of `bytes` to `descriptor`, again after an interrupted or partial write; nil
    /// once written, else the `errno` that stopped it (`EIO` for a write of nothing).
    static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Int32? {
        bytes.withUnsafeBytes { buffer -> Int32? in
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0, errno == EINTR { continue }
                if written <= 0 { return written < 0 ? errno : EIO }
                offset += written
            }
            return nil
        }
    }

    static func start(_ run: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(Body(run)).toOpaque()
        #if canImport(Glibc)
        var thread = pthread_t()
        #else
        var thread: pthread_t?
        #endif
        let created = pthread_create(&thread, nil, { context in
            Unmanaged<Body>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
        precondition(created == 0, "cannot start the log thread: error \(created)")
        #if canImport(Glibc)
        pthread_detach(thread)
        #else
        pthread_detach(thread!)
        #endif
    }
}
