#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Builds one JSON object, field by field, straight into bytes: no dictionaries, no Foundation
/// encoder on the request path. Values are escaped per RFC 8259; keys are trusted literals.
package struct LogLine: Sendable {
    package private(set) var bytes: [UInt8]

    package init(level: LogLevel, event: String, unixMilliseconds: Int64 = LogClock.unixMilliseconds()) {
        self.init(level: level, event: event, unixMilliseconds: unixMilliseconds, reusing: [])
    }

    /// A line built in `storage`, a finished line's `bytes` handed back: a connection that logs
    /// a line per request then allocates its buffer once rather than per line.
    package init(level: LogLevel, event: String, unixMilliseconds: Int64 = LogClock.unixMilliseconds(), reusing storage: [UInt8]) {
        bytes = storage
        bytes.removeAll(keepingCapacity: true)
        bytes.reserveCapacity(256)
        Self.append(#"{"ts":""#, to: &bytes)
        LogClock.appendISO8601(unixMilliseconds, to: &bytes)
        Self.append(#"","level":""#, to: &bytes)
        Self.appendEscaped(level.rawValue, to: &bytes)
        Self.append(#"","event":""#, to: &bytes)
        Self.appendEscaped(event, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    package mutating func field(_ key: StaticString, _ value: String) {
        appendKey(key)
        bytes.append(UInt8(ascii: "\""))
        Self.appendEscaped(value, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// A part of a string (a path without its query), without making a `String` of it.
    package mutating func field(_ key: StaticString, _ value: Substring) {
        appendKey(key)
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { Self.appendEscaped(UnsafeRawBufferPointer($0), to: &bytes) }
        bytes.append(UInt8(ascii: "\""))
    }

    package mutating func field(_ key: StaticString, bytes value: some Collection<UInt8>) {
        appendKey(key)
        bytes.append(UInt8(ascii: "\""))
        Self.appendEscaped(bytes: value, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    package mutating func field(_ key: StaticString, _ value: Int) {
        appendKey(key)
        Self.appendDecimal(value, to: &bytes)
    }

    /// Decimal digits without an intermediate String.
    static func appendDecimal(_ value: Int, to output: inout [UInt8]) {
        if value < 0 { output.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(48 + magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for index in stride(from: count - 1, through: 0, by: -1) { output.append(buffer[index]) }
        }
    }

    package mutating func field(_ key: StaticString, _ value: Bool) {
        appendKey(key)
        Self.append(value ? "true" : "false", to: &bytes)
    }

    /// Milliseconds with microsecond precision, written as a JSON number.
    package mutating func field(_ key: StaticString, milliseconds nanoseconds: UInt64) {
        appendKey(key)
        let micros = Int(nanoseconds / 1000)
        Self.appendDecimal(micros / 1000, to: &bytes)
        bytes.append(UInt8(ascii: "."))
        let fraction = micros % 1000
        if fraction < 100 { bytes.append(UInt8(ascii: "0")) }
        if fraction < 10 { bytes.append(UInt8(ascii: "0")) }
        Self.appendDecimal(fraction, to: &bytes)
    }

    /// The finished line, newline included.
    package var finished: [UInt8] {
        var line: [UInt8] = []
        appendFinished(to: &line)
        return line
    }

    /// Appends the finished line to `output` without building it separately.
    package func appendFinished(to output: inout [UInt8]) {
        output.append(contentsOf: bytes)
        output.append(UInt8(ascii: "}"))
        output.append(0x0A)
    }

    private mutating func appendKey(_ key: StaticString) {
        bytes.append(UInt8(ascii: ","))
        bytes.append(UInt8(ascii: "\""))
        Self.append(key, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// A literal's bytes, copied at once.
    static func append(_ literal: StaticString, to output: inout [UInt8]) {
        literal.withUTF8Buffer { output.append(contentsOf: $0) }
    }

    static func appendEscaped(_ text: String, to output: inout [UInt8]) {
        text.withBytes { appendEscaped($0, to: &output) }
    }

    /// Escapes valid UTF-8 held contiguously: runs that need no escape are copied whole.
    static func appendEscaped(_ raw: UnsafeRawBufferPointer, to output: inout [UInt8]) {
        var runStart = 0
        for index in 0..<raw.count {
            let byte = raw[index]
            guard byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F else { continue }
            if runStart < index { output.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[runStart..<index])) }
            appendEscape(byte, to: &output)
            runStart = index + 1
        }
        if runStart < raw.count { output.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[runStart...])) }
    }

    /// `text` as a quoted JSON string, escaped like every log value; for JSON built outside log lines.
    package static func jsonQuoted(_ text: String) -> String {
        var bytes: [UInt8] = [UInt8(ascii: "\"")]
        appendEscaped(text, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
        return String(decoding: bytes, as: UTF8.self)
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// Escapes quotes, backslashes and control bytes; invalid UTF-8 is replaced so a line stays valid JSON.
    static func appendEscaped(bytes: some Collection<UInt8>, to output: inout [UInt8]) {
        if bytes.allSatisfy({ $0 < 0x80 }) {
            appendEscapedValid(bytes, to: &output)
        } else {
            appendEscapedValid(String(decoding: bytes, as: UTF8.self).utf8, to: &output)
        }
    }

    /// Escapes bytes known to be valid UTF-8.
    private static func appendEscapedValid(_ bytes: some Collection<UInt8>, to output: inout [UInt8]) {
        if bytes.withContiguousStorageIfAvailable({ appendEscaped(UnsafeRawBufferPointer($0), to: &output) }) != nil { return }
        for byte in bytes {
            if byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F { appendEscape(byte, to: &output) } else { output.append(byte) }
        }
    }

    /// The JSON escape of one byte that needs one.
    private static func appendEscape(_ byte: UInt8, to output: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\""): output += [0x5C, 0x22]
        case UInt8(ascii: "\\"): output += [0x5C, 0x5C]
        case 0x0A: output += [0x5C, UInt8(ascii: "n")]
        case 0x0D: output += [0x5C, UInt8(ascii: "r")]
        case 0x09: output += [0x5C, UInt8(ascii: "t")]
        default:
            append(#"\u00"#, to: &output)
            output.append(hex[Int(byte >> 4)])
            output.append(hex[Int(byte & 0x0F)])
        }
    }
}

/// Wall-clock time for log lines and signatures.
package enum LogClock {
    package static func unixMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    /// `2026-11-27T07:00:00.123Z`, by arithmetic: `gmtime_r` and its time-zone bookkeeping cost
    /// about five times as much, on every log line.
    static func appendISO8601(_ unixMilliseconds: Int64, to output: inout [UInt8]) {
        let seconds = unixMilliseconds >= 0 ? unixMilliseconds / 1000 : (unixMilliseconds - 999) / 1000
        let (days, secondOfDay) = daysAndSeconds(unixSeconds: seconds)
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        func two(_ value: Int64) { output.append(UInt8(48 + value / 10)); output.append(UInt8(48 + value % 10)) }
        LogLine.appendDecimal(Int(year), to: &output)
        output.append(UInt8(ascii: "-")); two(month)
        output.append(UInt8(ascii: "-")); two(day)
        output.append(UInt8(ascii: "T")); two(secondOfDay / 3600)
        output.append(UInt8(ascii: ":")); two(secondOfDay / 60 % 60)
        output.append(UInt8(ascii: ":")); two(secondOfDay % 60)
        let millis = unixMilliseconds - seconds * 1000
        output.append(UInt8(ascii: "."))
        output.append(UInt8(48 + millis / 100)); two(millis % 100)
        output.append(UInt8(ascii: "Z"))
    }

    /// Whole days since 1970-01-01 and the second of that day, rounding down before 1970 too.
    package static func daysAndSeconds(unixSeconds: Int64) -> (days: Int64, secondOfDay: Int64) {
        let days = unixSeconds >= 0 ? unixSeconds / 86400 : (unixSeconds - 86399) / 86400
        return (days, unixSeconds - days * 86400)
    }

    /// The proleptic Gregorian date of a day count (days since 1970-01-01), after H. Hinnant's
    /// `civil_from_days`: log lines and SigV4's `x-amz-date` without a calendar library.
    package static func civilDate(daysSinceEpoch: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
