import Foundation

/// Builds one JSON object, field by field, straight into bytes: no dictionaries, no Foundation
/// encoder on the request path. Values are escaped per RFC 8259; keys are trusted literals.
public struct LogLine: Sendable {
    public private(set) var bytes: [UInt8]

    public init(level: LogLevel, event: String, unixMilliseconds: Int64 = LogClock.unixMilliseconds()) {
        bytes = []
        bytes.reserveCapacity(256)
        bytes += #"{"ts":""#.utf8
        LogClock.appendISO8601(unixMilliseconds, to: &bytes)
        bytes += #"","level":""#.utf8
        bytes += level.rawValue.utf8
        bytes += #"","event":""#.utf8
        Self.appendEscaped(event, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func field(_ key: StaticString, _ value: String) {
        appendKey(key)
        bytes.append(UInt8(ascii: "\""))
        Self.appendEscaped(value, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func field(_ key: StaticString, bytes value: some Collection<UInt8>) {
        appendKey(key)
        bytes.append(UInt8(ascii: "\""))
        Self.appendEscaped(bytes: value, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func field(_ key: StaticString, _ value: Int) {
        appendKey(key)
        bytes += String(value).utf8
    }

    public mutating func field(_ key: StaticString, _ value: Bool) {
        appendKey(key)
        bytes += (value ? "true" : "false").utf8
    }

    /// Milliseconds with microsecond precision, written as a JSON number.
    public mutating func field(_ key: StaticString, milliseconds nanoseconds: UInt64) {
        appendKey(key)
        let micros = nanoseconds / 1000
        bytes += String(micros / 1000).utf8
        bytes.append(UInt8(ascii: "."))
        let fraction = String(micros % 1000)
        bytes += repeatElement(UInt8(ascii: "0"), count: 3 - fraction.utf8.count)
        bytes += fraction.utf8
    }

    /// The finished line, newline included.
    public var finished: [UInt8] { bytes + [UInt8(ascii: "}"), 0x0A] }

    private mutating func appendKey(_ key: StaticString) {
        bytes += #",""#.utf8
        key.withUTF8Buffer { bytes += $0 }
        bytes += #"":"#.utf8
    }

    static func appendEscaped(_ text: String, to output: inout [UInt8]) {
        appendEscaped(bytes: text.utf8, to: &output)
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// Escapes quotes, backslashes and control bytes; invalid UTF-8 is replaced so a line stays valid JSON.
    static func appendEscaped(bytes: some Collection<UInt8>, to output: inout [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output += [0x5C, 0x22]
            case UInt8(ascii: "\\"): output += [0x5C, 0x5C]
            case 0x0A: output += [0x5C, UInt8(ascii: "n")]
            case 0x0D: output += [0x5C, UInt8(ascii: "r")]
            case 0x09: output += [0x5C, UInt8(ascii: "t")]
            case 0..<0x20, 0x7F:
                output += Array(#"\u00"#.utf8)
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0x0F)])
            default: output.append(byte)
            }
        }
    }
}

/// Wall-clock time for log lines and signatures.
public enum LogClock {
    public static func unixMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    /// `2026-11-27T07:00:00.123Z`
    static func appendISO8601(_ unixMilliseconds: Int64, to output: inout [UInt8]) {
        var seconds = time_t(unixMilliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) { output.append(UInt8(48 + value / 10)); output.append(UInt8(48 + value % 10)) }
        output += String(parts.tm_year + 1900).utf8
        output.append(UInt8(ascii: "-")); two(parts.tm_mon + 1)
        output.append(UInt8(ascii: "-")); two(parts.tm_mday)
        output.append(UInt8(ascii: "T")); two(parts.tm_hour)
        output.append(UInt8(ascii: ":")); two(parts.tm_min)
        output.append(UInt8(ascii: ":")); two(parts.tm_sec)
        let millis = Int32(unixMilliseconds % 1000)
        output.append(UInt8(ascii: "."))
        output.append(UInt8(48 + millis / 100)); two(millis % 100)
        output.append(UInt8(ascii: "Z"))
    }
}
