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

    /// The header value for a span of `traceID`: version 00.
    package static func header(traceID: TraceID, spanID: SpanID, sampled: Bool) -> [UInt8] {
        var out: [UInt8] = Array("00-".utf8)
        out.reserveCapacity(55)
        appendHex(traceID.high, to: &out)
        appendHex(traceID.low, to: &out)
        out.append(0x2D)
        appendHex(spanID.value, to: &out)
        out.append(contentsOf: sampled ? Array("-01".utf8) : Array("-00".utf8))
        return out
    }

    package static func appendHex(_ value: UInt64, to out: inout [UInt8]) {
        let digits: StaticString = "0123456789abcdef"
        for shift in stride(from: 60, through: 0, by: -4) {
            out.append(digits.utf8Start[Int(value >> UInt64(shift) & 15)])
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
