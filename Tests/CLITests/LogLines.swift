import Foundation
import NIOConcurrencyHelpers
import ProxyTestSupport

/// Collects a child process's stderr lines on a thread of its own, so that tests can wait for a
/// line with a timeout instead of blocking in a read.
final class LogLines: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])
    /// The writer closed its end (the process exited): no line will come any more.
    private let ended = NIOLockedValueBox(false)

    /// - Parameter handle: the read end of a child's stdout or stderr.
    init(_ handle: FileHandle) {
        let (lines, ended) = (self.lines, self.ended)
        Thread.detachNewThread {
            var buffer = Data()
            while true {
                let data = handle.availableData
                if data.isEmpty {
                    ended.withLockedValue { $0 = true }
                    return
                }
                buffer += data
                while let newline = buffer.firstIndex(of: 0x0A) {
                    let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                    buffer = Data(buffer[(newline + 1)...])
                    lines.withLockedValue { $0.append(line) }
                }
            }
        }
    }

    var all: [String] { lines.withLockedValue { $0 } }

    func count(_ event: String) -> Int { all.filter { $0.contains(#""event":"\#(event)""#) }.count }

    /// Waits until `count` lines of `event` have been written; returns them (fewer on timeout, or
    /// at once when the process has exited without writing them).
    @discardableResult
    func wait(for event: String, count: Int = 1, timeout: Double = 10) async -> [String] {
        let matching = { self.all.filter { $0.contains(#""event":"\#(event)""#) } }
        return await eventuallyValue(within: timeout, polling: .milliseconds(20)) {
            let finished = ended.withLockedValue { $0 }
            let found = matching()
            return found.count >= count || finished ? found : nil
        } ?? matching()
    }
}
