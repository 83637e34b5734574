import Foundation
import Testing
@testable import ProxyLogging

@Suite("JSON log lines")
struct LogLineTests {
    func parse(_ line: LogLine) throws -> [String: Any] {
        let bytes = line.finished
        #expect(bytes.last == 0x0A)
        return try #require(try JSONSerialization.jsonObject(with: Data(bytes.dropLast())) as? [String: Any])
    }

    @Test("fields of every type come out as valid JSON with the right values")
    func fields() throws {
        var line = LogLine(level: .warning, event: "request", unixMilliseconds: 1_700_000_000_123)
        line.field("profile", "prod")
        line.field("status", 502)
        line.field("negative", -42)
        line.field("zero", 0)
        line.field("stream", true)
        line.field("duration_ms", milliseconds: 1_234_567)
        line.field("small_ms", milliseconds: 5_000)
        let object = try parse(line)
        #expect(object["ts"] as? String == "2023-11-14T22:13:20.123Z")
        #expect(object["level"] as? String == "warning")
        #expect(object["event"] as? String == "request")
        #expect(object["status"] as? Int == 502)
        #expect(object["negative"] as? Int == -42)
        #expect(object["zero"] as? Int == 0)
        #expect(object["stream"] as? Bool == true)
        #expect(object["duration_ms"] as? Double == 1.234)
        #expect(object["small_ms"] as? Double == 0.005)
    }

    @Test("quotes, backslashes, control bytes and invalid UTF-8 cannot break a line")
    func escaping() throws {
        var line = LogLine(level: .info, event: "x")
        line.field("text", "a\"b\\c\nd\te\u{01}é")
        line.field("bytes", bytes: [0x41, 0xFF, 0x0A, 0x22])
        let object = try parse(line)
        #expect(object["text"] as? String == "a\"b\\c\nd\te\u{01}é")
        #expect(object["bytes"] as? String == "A\u{FFFD}\n\"")
        #expect(!line.finished.dropLast().contains(0x0A), "one object per line")
    }

    @Test("escapes at the ends and in runs, a DEL byte, and a part of a string, byte for byte")
    func escapingRuns() throws {
        var line = LogLine(level: .info, event: "\"quoted\"", unixMilliseconds: 0)
        line.field("edges", "\"\u{7F}middle run\u{1F}\\")
        let path = "/mcp/x\"y?query=1"
        line.field("path", path[..<path.firstIndex(of: "?")!])
        line.field("plain", "no escapes at all")
        let text = String(decoding: line.finished, as: UTF8.self)
        #expect(text == #"{"ts":"1970-01-01T00:00:00.000Z","level":"info","event":"\"quoted\"","edges":"\"\u007fmiddle run\u001f\\","path":"/mcp/x\"y","plain":"no escapes at all"}"# + "\n")
        let object = try parse(line)
        #expect(object["edges"] as? String == "\"\u{7F}middle run\u{1F}\\" && object["path"] as? String == "/mcp/x\"y")
    }

    @Test("a copied line keeps its own bytes, a line grows past its first room, and storage is reused")
    func lineBytesValueSemantics() throws {
        var first = LogLine(level: .info, event: "x", unixMilliseconds: 0)
        var second = first
        first.field("a", 1)
        second.field("b", String(repeating: "long value ", count: 100))
        #expect(try parse(first)["a"] as? Int == 1 && parse(first)["b"] == nil)
        #expect(try parse(second)["b"] as? String == String(repeating: "long value ", count: 100) && parse(second)["a"] == nil)
        let reused = LogLine(level: .warning, event: "y", unixMilliseconds: 0, reusing: second.storage)
        #expect(String(decoding: reused.finished, as: UTF8.self) == #"{"ts":"1970-01-01T00:00:00.000Z","level":"warning","event":"y"}"# + "\n")
        #expect(try parse(second)["b"] != nil, "reusing a shared buffer leaves the other line alone")
    }

    @Test("every level is written as its name")
    func everyLevel() throws {
        for level in LogLevel.allCases {
            let object = try parse(LogLine(level: level, event: "e", unixMilliseconds: 0))
            #expect(object["level"] as? String == level.rawValue && object["event"] as? String == "e")
        }
    }

    @Test("numbers at their edges, and years past four digits")
    func numberEdges() throws {
        var line = LogLine(level: .info, event: "x", unixMilliseconds: 253_402_300_800_000)
        line.field("max", Int.max)
        line.field("min", Int.min + 1)
        line.field("nine", 9)
        line.field("ten", 10)
        line.field("ms", milliseconds: 12_000)
        let text = String(decoding: line.finished, as: UTF8.self)
        #expect(text.hasPrefix(#"{"ts":"10000-01-01T00:00:00.000Z""#))
        #expect(text.contains(#""max":9223372036854775807,"min":-9223372036854775807,"nine":9,"ten":10,"ms":0.012}"#))
    }

    @Test("timestamps by arithmetic agree with Foundation's ISO 8601 formatter, leap days and centuries included")
    func timestamps() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var generator = SystemRandomNumberGenerator()
        let fixed: [Int64] = [0, 951_782_400_000, 951_868_799_999, 4_107_542_399_999, 4_107_542_400_000, 1_796_126_400_123, 253_402_300_799_999]
        for milliseconds in fixed + (0..<500).map({ _ in Int64.random(in: 0..<4_102_444_800_000, using: &generator) }) {
            var bytes = LineBytes()
            LogClock.appendISO8601(milliseconds, to: &bytes)
            let expected = formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
            #expect(bytes.withUnsafeBytes { String(decoding: $0, as: UTF8.self) } == expected, "\(milliseconds)")
        }
    }

    @Test("the sink writes every emitted line, in order, by shutdown")
    func sinkFlushes() throws {
        let path = NSTemporaryDirectory() + "log-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let descriptor = open(path, O_WRONLY | O_APPEND)
        defer { close(descriptor) }
        let sink = LogSink(minimumLevel: .info, fileDescriptor: descriptor, flushInterval: 10)
        #expect(!sink.isEnabled(.debug))
        for index in 0..<1000 {
            var line = LogLine(level: .info, event: "n")
            line.field("i", index)
            sink.emit(line)
        }
        sink.shutdown()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1000)
        #expect(lines.last?.contains(#""i":999"#) == true)
    }
}
