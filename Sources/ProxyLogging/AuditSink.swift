import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where audit lines go: like `LogSink`, collected under a lock and written in batches from a
/// thread of its own, so an event loop never waits on a disk. Unlike the log, the audit trail is
/// a file that logrotate moves away (`reopen()`), and a record that must say when it is
/// incomplete: lines that cannot be written (a full disk, an I/O error) or that would pile up
/// past `pendingLimit` while the disk is stuck are dropped and counted, and the first failure of
/// a run is reported — the data plane is never held up.
package final class AuditSink: Sendable {
    private struct State {
        var pending: [UInt8] = []
        var pendingLines = 0
        var stopped = false
        /// Lines dropped since the sink was made.
        var dropped = 0
    }

    /// Bytes kept waiting at most (a stuck disk): about 16,000 lines.
    package static let pendingLimit = 8 << 20

    /// nil: stderr, which is never reopened or closed.
    package let path: String?
    private let state = NIOLockedValueBox(State())
    private let wakeUp = ConditionLock(value: 0)
    /// Serialises writers (the thread, `flush()`, `reopen()`); guards the descriptor and `spare`.
    private let writeLock = NIOLock()
    nonisolated(unsafe) private var descriptor: Int32
    nonisolated(unsafe) private var spare: [UInt8] = []
    /// Whether the last write failed: a failure is reported once, until a write succeeds again.
    nonisolated(unsafe) private var failing = false
    private let problem: @Sendable (String) -> Void
    private let dropped: @Sendable (Int) -> Void

    /// Opens `path` for appending (created 0600), or writes to stderr when it is nil.
    /// - Parameters:
    ///   - flushInterval: seconds between batches (the issue's "at least every second").
    ///   - problem: told, from the sink's thread, when writing starts failing or reopening fails.
    ///   - dropped: told how many lines were dropped, each time some are (for a counter).
    package init(path: String?, flushInterval: Double = 0.2, problem: @escaping @Sendable (String) -> Void,
                 dropped: @escaping @Sendable (Int) -> Void = { _ in }) throws(AuditSinkError) {
        self.path = path
        self.descriptor = try path.map(Self.open) ?? 2
        self.problem = problem
        self.dropped = dropped
        SinkThread.start(for: self, every: flushInterval, wakeUp: wakeUp)
    }

    package func emit(_ line: LogLine) {
        let (kept, stopped) = state.withLockedValue { state -> (Bool, Bool) in
            guard state.pending.count < Self.pendingLimit else {
                state.dropped += 1
                return (false, state.stopped)
            }
            line.appendFinished(to: &state.pending)
            state.pendingLines += 1
            return (true, state.stopped)
        }
        if !kept { dropped(1) }
        // A sink replaced by a reload has no thread any more: a request that was in flight then
        // writes its line itself (rare, and only until the old runtime's last exchange ends).
        if stopped { writePending() }
    }

    /// The lines dropped since the sink was made.
    package var droppedLines: Int {
        state.withLockedValue { $0.dropped }
    }

    /// Writes every pending line now, on the caller's thread.
    package func flush() {
        writePending()
    }

    /// Writes what is pending to the old file, then opens the path anew (logrotate moved the old
    /// one away). A path that cannot be opened keeps the old descriptor and is reported.
    package func reopen() {
        guard let path else { return }
        writePending()
        writeLock.withLock {
            do {
                let fresh = try Self.open(path)
                close(descriptor)
                descriptor = fresh
            } catch {
                problem("cannot reopen the audit file \(path): \(error); lines go to the old file")
            }
        }
    }

    /// Flushes and stops the thread; later lines are written as they come. The file is closed
    /// when the sink goes.
    package func shutdown() {
        state.withLockedValue { $0.stopped = true }
        wakeUp.lock()
        wakeUp.unlock(withValue: 1)
        flush()
    }

    deinit {
        if path != nil, descriptor >= 0 { close(descriptor) }
    }

    func writePending() {
        writeLock.withLock {
            var batch = spare
            var lines = 0
            state.withLockedValue { state in
                swap(&state.pending, &batch)
                lines = state.pendingLines
                state.pendingLines = 0
            }
            defer {
                batch.removeAll(keepingCapacity: batch.capacity <= 1 << 20)
                spare = batch
            }
            guard !batch.isEmpty else { return }
            guard let error = SinkThread.writeAll(batch, to: descriptor) else {
                failing = false
                return
            }
            // What was not written is lost; a line cut in the middle is counted as lost too.
            state.withLockedValue { $0.dropped += lines }
            dropped(lines)
            if !failing {
                failing = true
                problem("cannot write the audit trail to \(path ?? "stderr"): \(String(cString: strerror(error))); lines are dropped and counted until writing works again")
            }
        }
    }

    private static func open(_ path: String) throws(AuditSinkError) -> Int32 {
        #if canImport(Glibc)
        let descriptor = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        #else
        let descriptor = Darwin.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        #endif
        guard descriptor >= 0 else { throw AuditSinkError(path: path, reason: String(cString: strerror(errno))) }
        return descriptor
    }
}

extension AuditSink: BatchingSink {
    var isStopped: Bool { state.withLockedValue { $0.stopped } }
}

package struct AuditSinkError: Error, CustomStringConvertible {
    package let path: String
    package let reason: String
    package var description: String { "cannot open the audit file \(path): \(reason)" }
}
