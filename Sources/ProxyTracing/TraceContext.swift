/// W3C Trace Context (https://www.w3.org/TR/trace-context/): the ids of a trace and its spans, and
/// the `traceparent` header that carries them, read from a request head's bytes in place and
/// written into the upstream request.
package struct TraceID: Hashable, Sendable {
    package let high: UInt64
    package let low: UInt64

    package init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    package var isValid: Bool { high != 0 || low != 0 }
}

package struct SpanID: Hashable, Sendable {
    package let value: UInt64

    package init(_ value: UInt64) { self.value = value }
}

/// A valid `traceparent`: the caller's trace, its span (the proxy's server span's parent), and
/// whether it sampled the trace.
package struct TraceParent: Equatable, Sendable {
    package let traceID: TraceID
    package let parentID: SpanID
    package let sampled: Bool

    package init(traceID: TraceID, parentID: SpanID, sampled: Bool) {
        self.traceID = traceID
        self.parentID = parentID
        self.sampled = sampled
    }

    /// `version-traceid-parentid-flags`, lower-case hex. Version `00` is exactly 55 characters; a
    /// later version may add fields after a `-` (the spec's forward compatibility); `ff`, an
    /// all-zero id, upper-case hex or any other shape is invalid, and the trace starts afresh.
    package static func parse(_ value: UnsafeRawBufferPointer) -> TraceParent? {
        guard value.count >= 55, value[2] == 0x2D, value[35] == 0x2D, value[52] == 0x2D else { return nil }
        guard let version = hex(value, 0, 2), version != 0xFF else { return nil }
        if version == 0 { guard value.count == 55 else { return nil } } else if value.count > 55, value[55] != 0x2D { return nil }
        guard let high = hex(value, 3, 16), let low = hex(value, 19, 16), let parent = hex(value, 36, 16), let flags = hex(value, 53, 2) else { return nil }
        let traceID = TraceID(high: high, low: low)
        guard traceID.isValid, parent != 0 else { return nil }
        return TraceParent(traceID: traceID, parentID: SpanID(parent), sampled: flags & 1 == 1)
    }

    /// `count` lower-case hex digits at `start`.
    private static func hex(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ count: Int) -> UInt64? {
        var value: UInt64 = 0
        for index in start..<(start + count) {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case 0x30...0x39: digit = byte - 0x30
            case 0x61...0x66: digit = byte - 0x61 + 10
            default: return nil
            }
            value = value << 4 | UInt64(digit)
        }
        return value
    }

    /// The header value for a span of `traceID`: version 00, 55 bytes written in place.
    package static func header(traceID: TraceID, spanID: SpanID, sampled: Bool) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 55) { buffer, count in
            buffer[0] = 0x30; buffer[1] = 0x30; buffer[2] = 0x2D
            writeHex(traceID.high, into: buffer, at: 3)
            writeHex(traceID.low, into: buffer, at: 19)
            buffer[35] = 0x2D
            writeHex(spanID.value, into: buffer, at: 36)
            buffer[52] = 0x2D; buffer[53] = 0x30; buffer[54] = sampled ? 0x31 : 0x30
            count = 55
        }
    }

    private static func writeHex(_ value: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int) {
        for index in 0..<16 {
            let nibble = UInt8(truncatingIfNeeded: value >> UInt64(60 - 4 * index)) & 15
            buffer[start + index] = nibble < 10 ? 0x30 + nibble : 0x57 + nibble
        }
    }
}

/// Fast ids for spans: splitmix64, seeded once per connection from the system's generator (a
/// `getrandom` call per id would be a system call per span). Ids need to be unique, not secret.
package struct SpanIDGenerator {
    private var state: UInt64

    package init() {
        var system = SystemRandomNumberGenerator()
        state = system.next()
    }

    package init(seed: UInt64) { state = seed }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        let value = z ^ (z >> 31)
        return value == 0 ? 1 : value
    }
}
