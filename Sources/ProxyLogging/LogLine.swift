#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Builds one JSON object, field by field, straight into bytes: no dictionaries, no Foundation
/// encoder on the request path. Values are escaped per RFC 8259; keys are trusted literals.
package struct LogLine: Sendable {
    package private(set) var storage: LineBytes

    package init(level: LogLevel, event: String, unixMilliseconds: Int64 = LogClock.unixMilliseconds()) {
        self.init(level: level, event: event, unixMilliseconds: unixMilliseconds, reusing: LineBytes())
    }

    /// A line built in `storage`, a finished line's `storage` handed back: a connection that logs
    /// a line per request then allocates its buffer once rather than per line.
    package init(level: LogLevel, event: String, unixMilliseconds: Int64 = LogClock.unixMilliseconds(), reusing storage: consuming LineBytes) {
        // Moved, not copied: with the parameter still holding it, the buffer was never uniquely
        // referenced here, and every line allocated a new one.
        self.storage = consume storage
        self.storage.removeAll()
        self.storage.append(#"{"ts":""#)
        LogClock.appendISO8601(unixMilliseconds, to: &self.storage)
        self.storage.append(Self.levelAndEventKey(level))
        Self.appendEscaped(event, to: &self.storage)
        self.storage.append(UInt8(ascii: "\""))
    }

    /// The text between the timestamp and the event's name, the level in it, as one literal:
    /// levels are known words, so nothing is escaped or pieced together on every line.
    private static func levelAndEventKey(_ level: LogLevel) -> StaticString {
        switch level {
        case .trace: #"","level":"trace","event":""#
        case .debug: #"","level":"debug","event":""#
        case .info: #"","level":"info","event":""#
        case .warning: #"","level":"warning","event":""#
        case .error: #"","level":"error","event":""#
        case .fatal: #"","level":"fatal","event":""#
        }
    }

    package mutating func field(_ key: StaticString, _ value: String) {
        appendKey(key, quoted: true)
        Self.appendEscaped(value, to: &storage)
        storage.append(UInt8(ascii: "\""))
    }

    /// A part of a string (a path without its query), without making a `String` of it.
    package mutating func field(_ key: StaticString, _ value: Substring) {
        appendKey(key, quoted: true)
        var value = value
        value.withUTF8 { Self.appendEscaped(UnsafeRawBufferPointer($0), to: &storage) }
        storage.append(UInt8(ascii: "\""))
    }

    package mutating func field(_ key: StaticString, bytes value: some Collection<UInt8>) {
        appendKey(key, quoted: true)
        Self.appendEscaped(bytes: value, to: &storage)
        storage.append(UInt8(ascii: "\""))
    }

    package mutating func field(_ key: StaticString, _ value: Int) {
        appendKey(key, quoted: false)
        Self.appendDecimal(value, to: &storage)
    }

    /// Decimal digits, written in place.
    static func appendDecimal(_ value: Int, to output: inout LineBytes) {
        let digits = DecimalDigits.count(UInt64(value.magnitude))
        let sign = value < 0 ? 1 : 0
        let start = output.reserve(digits + sign)
        if value < 0 { start.pointee = UInt8(ascii: "-") }
        DecimalDigits.write(UInt64(value.magnitude), digits: digits, at: start + sign)
        output.commit(digits + sign)
    }

    /// A value that is JSON text already (a JSON-RPC id, canonical arguments), written as it is.
    /// The caller vouches for it: it must be one valid JSON value without a newline.
    package mutating func field(_ key: StaticString, json value: String) {
        appendKey(key, quoted: false)
        var value = value
        value.withUTF8 { storage.append(UnsafeRawBufferPointer($0)) }
    }

    package mutating func field(_ key: StaticString, _ value: Bool) {
        appendKey(key, quoted: false)
        storage.append(value ? "true" : "false")
    }

    /// Milliseconds with microsecond precision, written as a JSON number.
    package mutating func field(_ key: StaticString, milliseconds nanoseconds: UInt64) {
        appendKey(key, quoted: false)
        let micros = Int(nanoseconds / 1000)
        Self.appendDecimal(micros / 1000, to: &storage)
        let fraction = micros % 1000
        let digits = storage.reserve(4)
        digits[0] = UInt8(ascii: ".")
        digits[1] = UInt8(truncatingIfNeeded: 48 &+ fraction / 100)
        digits[2] = UInt8(truncatingIfNeeded: 48 &+ fraction / 10 % 10)
        digits[3] = UInt8(truncatingIfNeeded: 48 &+ fraction % 10)
        storage.commit(4)
    }

    /// The finished line, newline included.
    package var finished: [UInt8] {
        var line: [UInt8] = []
        appendFinished(to: &line)
        return line
    }

    /// Appends the finished line to `output` without building it separately.
    package func appendFinished(to output: inout [UInt8]) {
        storage.withUnsafeBytes { output.append(contentsOf: $0) }
        output.append(UInt8(ascii: "}"))
        output.append(0x0A)
    }

    /// `,"key":` and, for a string value, its opening quote: one reservation.
    private mutating func appendKey(_ key: StaticString, quoted: Bool) {
        key.withUTF8Buffer { name in
            let length = name.count + (quoted ? 5 : 4)
            let start = storage.reserve(length)
            start[0] = UInt8(ascii: ",")
            start[1] = UInt8(ascii: "\"")
            if let base = name.baseAddress { (start + 2).initialize(from: base, count: name.count) }
            start[name.count + 2] = UInt8(ascii: "\"")
            start[name.count + 3] = UInt8(ascii: ":")
            if quoted { start[name.count + 4] = UInt8(ascii: "\"") }
            storage.commit(length)
        }
    }

    static func appendEscaped(_ text: String, to output: inout LineBytes) {
        text.withBytes { appendEscaped($0, to: &output) }
    }

    /// Escapes valid UTF-8 held contiguously: runs that need no escape are copied whole.
    static func appendEscaped(_ raw: UnsafeRawBufferPointer, to output: inout LineBytes) {
        var runStart = 0
        for index in 0..<raw.count {
            let byte = raw[index]
            guard byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F else { continue }
            if runStart < index { output.append(UnsafeRawBufferPointer(rebasing: raw[runStart..<index])) }
            appendEscape(byte, to: &output)
            runStart = index + 1
        }
        if runStart < raw.count { output.append(UnsafeRawBufferPointer(rebasing: raw[runStart...])) }
    }

    /// `text` as a quoted JSON string, escaped like every log value; for JSON built outside log lines.
    package static func jsonQuoted(_ text: String) -> String {
        var bytes = LineBytes(capacity: text.utf8.count + 2)
        bytes.append(UInt8(ascii: "\""))
        appendEscaped(text, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
        return bytes.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    private static let hex: StaticString = "0123456789abcdef"

    /// Escapes quotes, backslashes and control bytes; invalid UTF-8 is replaced so a line stays valid JSON.
    static func appendEscaped(bytes: some Collection<UInt8>, to output: inout LineBytes) {
        if bytes.allSatisfy({ $0 < 0x80 }) {
            appendEscapedValid(bytes, to: &output)
        } else {
            appendEscapedValid(String(decoding: bytes, as: UTF8.self).utf8, to: &output)
        }
    }

    /// Escapes bytes known to be valid UTF-8.
    private static func appendEscapedValid(_ bytes: some Collection<UInt8>, to output: inout LineBytes) {
        if bytes.withContiguousStorageIfAvailable({ appendEscaped(UnsafeRawBufferPointer($0), to: &output) }) != nil { return }
        for byte in bytes {
            if byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F { appendEscape(byte, to: &output) } else { output.append(byte) }
        }
    }

    /// The JSON escape of one byte that needs one.
    private static func appendEscape(_ byte: UInt8, to output: inout LineBytes) {
        switch byte {
        case UInt8(ascii: "\""): output.append(#"\""#)
        case UInt8(ascii: "\\"): output.append(#"\\"#)
        case 0x0A: output.append(#"\n"#)
        case 0x0D: output.append(#"\r"#)
        case 0x09: output.append(#"\t"#)
        default:
            output.append(#"\u00"#)
            hex.withUTF8Buffer { digits in
                output.append(digits[Int(byte >> 4)])
                output.append(digits[Int(byte & 0x0F)])
            }
        }
    }
}

/// Wall-clock time for log lines and signatures.
package enum LogClock {
    package static func unixNanoseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }

    package static func unixMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    /// `2026-11-27T07:00:00.123Z`, by arithmetic: `gmtime_r` and its time-zone bookkeeping cost
    /// about five times as much, on every log line.
    static func appendISO8601(_ unixMilliseconds: Int64, to output: inout LineBytes) {
        let seconds = unixMilliseconds >= 0 ? unixMilliseconds / 1000 : (unixMilliseconds - 999) / 1000
        let (days, secondOfDay) = daysAndSeconds(unixSeconds: seconds)
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        guard (0...9999).contains(year) else {
            // Outside four-digit years (never a real clock's): the year as it comes, then the rest.
            LogLine.appendDecimal(Int(year), to: &output)
            return appendAfterYear(month: month, day: day, secondOfDay: secondOfDay, millis: unixMilliseconds - seconds * 1000, to: &output)
        }
        let text = output.reserve(4)
        text[0] = UInt8(truncatingIfNeeded: 48 &+ year / 1000)
        text[1] = UInt8(truncatingIfNeeded: 48 &+ year / 100 % 10)
        text[2] = UInt8(truncatingIfNeeded: 48 &+ year / 10 % 10)
        text[3] = UInt8(truncatingIfNeeded: 48 &+ year % 10)
        output.commit(4)
        appendAfterYear(month: month, day: day, secondOfDay: secondOfDay, millis: unixMilliseconds - seconds * 1000, to: &output)
    }

    /// `-MM-DDTHH:MM:SS.mmmZ`, twenty bytes in one reservation.
    @inline(__always)
    private static func appendAfterYear(month: Int64, day: Int64, secondOfDay: Int64, millis: Int64, to output: inout LineBytes) {
        let text = output.reserve(20)
        func two(_ value: Int64, at offset: Int) {
            text[offset] = UInt8(truncatingIfNeeded: 48 &+ value / 10)
            text[offset + 1] = UInt8(truncatingIfNeeded: 48 &+ value % 10)
        }
        text[0] = UInt8(ascii: "-"); two(month, at: 1)
        text[3] = UInt8(ascii: "-"); two(day, at: 4)
        text[6] = UInt8(ascii: "T"); two(secondOfDay / 3600, at: 7)
        text[9] = UInt8(ascii: ":"); two(secondOfDay / 60 % 60, at: 10)
        text[12] = UInt8(ascii: ":"); two(secondOfDay % 60, at: 13)
        text[15] = UInt8(ascii: ".")
        text[16] = UInt8(truncatingIfNeeded: 48 &+ millis / 100); two(millis % 100, at: 17)
        text[19] = UInt8(ascii: "Z")
        output.commit(20)
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
