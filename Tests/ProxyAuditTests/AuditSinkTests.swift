import Foundation
import NIOConcurrencyHelpers
import ProxyLogging
import Testing

@Suite("audit: the sink")
struct AuditSinkTests {
    static func line(_ n: Int) -> LogLine {
        var line = LogLine(level: .info, event: "audit")
        line.field("n", n)
        return line
    }

    @Test("reopen after logrotate moved the file: old lines stay in the moved file, new ones go to a new file, none lost")
    func reopen() throws {
        let directory = NSTemporaryDirectory() + "audit-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/audit.jsonl"
        let sink = try AuditSink(path: path, flushInterval: 0.05) { _ in }
        for n in 0..<100 { sink.emit(Self.line(n)) }
        sink.flush()
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        for n in 100..<150 { sink.emit(Self.line(n)) }
        sink.reopen()
        for n in 150..<200 { sink.emit(Self.line(n)) }
        sink.shutdown()
        let rotated = try String(contentsOfFile: path + ".1", encoding: .utf8).split(separator: "\n")
        let fresh = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(rotated.count == 150 && fresh.count == 50, "lines before the reopen go to the file they were written for")
        #expect(rotated.first?.contains(#""n":0"#) == true && fresh.first?.contains(#""n":150"#) == true)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test("a full disk (/dev/full): lines are dropped and counted, the failure reported once, emit never blocks")
    func fullDisk() throws {
        let problems = NIOLockedValueBox<[String]>([])
        let counted = NIOLockedValueBox(0)
        let sink = try AuditSink(path: "/dev/full", flushInterval: 0.01, problem: { problem in problems.withLockedValue { $0.append(problem) } },
                                 dropped: { count in counted.withLockedValue { $0 += count } })
        let started = Date()
        for round in 0..<5 {
            for n in 0..<100 { sink.emit(Self.line(round * 100 + n)) }
            sink.flush()
        }
        #expect(Date().timeIntervalSince(started) < 2)
        sink.shutdown()
        #expect(sink.droppedLines == 500 && counted.withLockedValue { $0 } == 500)
        let reported = problems.withLockedValue { $0 }
        #expect(reported.count == 1 && reported[0].contains("No space left on device"), "\(reported)")
    }

    @Test("an audit file that cannot be opened is an error naming the path and why")
    func unopenable() {
        #expect(throws: AuditSinkError.self) { try AuditSink(path: "/proc/no-such-dir/audit.jsonl") { _ in } }
    }
}
