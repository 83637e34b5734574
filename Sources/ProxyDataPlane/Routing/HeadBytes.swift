import NIOCore
import ProxyLogging

/// A head's lines written into a `ByteBuffer` one reservation per line, not one per piece: each
/// `ByteBuffer` write checks capacity and uniqueness, and a head of a dozen fields written piece
/// by piece paid for some forty of them per request. Fixed shapes, so nothing is allocated.
enum HeadBytes {
    /// Field lines copied from a head, all in one reservation of `capacity` bytes (the head's
    /// own size bounds the lines taken from it): `lines` hands each kept line to `add`.
    static func writeLines(capacity: Int, into out: inout ByteBuffer, _ lines: (_ add: (UnsafeRawBufferPointer) -> Void) -> Void) {
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: capacity) { destination in
            var offset = 0
            lines { line in
                precondition(offset + line.count + 2 <= capacity, "head lines beyond their reservation")
                copy(line, into: destination, at: &offset)
                copy("\r\n", into: destination, at: &offset)
            }
            return offset
        }
    }

    /// The blank line ending a head, and the body after it, in one reservation (two writes, a
    /// static string's and a buffer's, cost about 380 instructions).
    static func writeBlankLine(thenBody body: ByteBuffer?, into out: inout ByteBuffer) {
        let length = body?.readableBytes ?? 0
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: length + 2) { destination in
            var offset = 0
            copy("\r\n", into: destination, at: &offset)
            body?.withUnsafeReadableBytes { copy($0, into: destination, at: &offset) }
            return offset
        }
    }

    /// `NAME: DIGITS\r\n` for a non-negative number (a rewritten `content-length`).
    static func writeField(_ name: StaticString, decimal value: Int, into out: inout ByteBuffer) {
        precondition(value >= 0, "a negative length")
        let digits = DecimalDigits.count(UInt64(value))
        let total = name.utf8CodeUnitCount + digits + 4
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: total) { destination in
            var offset = 0
            copy(name, into: destination, at: &offset)
            copy(": ", into: destination, at: &offset)
            DecimalDigits.write(UInt64(value), digits: digits, at: (destination.baseAddress! + offset).assumingMemoryBound(to: UInt8.self))
            offset += digits
            copy("\r\n", into: destination, at: &offset)
            return total
        }
    }

    /// `NAME: VALUE\r\n`.
    static func writeField(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, into out: inout ByteBuffer) {
        let total = name.count + value.count + 4
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: total) { destination in
            var offset = 0
            copy(name, into: destination, at: &offset)
            copy(": ", into: destination, at: &offset)
            copy(value, into: destination, at: &offset)
            copy("\r\n", into: destination, at: &offset)
            return total
        }
    }

    /// The request line and Host: `METHOD TARGET HTTP/1.1\r\nhost: AUTHORITY\r\n`.
    static func writeRequestLine(method: UnsafeRawBufferPointer, target: UnsafeRawBufferPointer, authority: UnsafeRawBufferPointer,
                                 into out: inout ByteBuffer) {
        let version: StaticString = " HTTP/1.1\r\nhost: "
        let total = method.count + 1 + target.count + version.utf8CodeUnitCount + authority.count + 2
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: total) { destination in
            var offset = 0
            copy(method, into: destination, at: &offset)
            copy(" ", into: destination, at: &offset)
            copy(target, into: destination, at: &offset)
            copy(version, into: destination, at: &offset)
            copy(authority, into: destination, at: &offset)
            copy("\r\n", into: destination, at: &offset)
            return total
        }
    }

    /// `HTTP/1.1 STATUS REASON\r\n`.
    static func writeStatusLine(status: UnsafeRawBufferPointer, reason: UnsafeRawBufferPointer, into out: inout ByteBuffer) {
        let total = 9 + status.count + 1 + reason.count + 2
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: total) { destination in
            var offset = 0
            copy("HTTP/1.1 ", into: destination, at: &offset)
            copy(status, into: destination, at: &offset)
            copy(" ", into: destination, at: &offset)
            copy(reason, into: destination, at: &offset)
            copy("\r\n", into: destination, at: &offset)
            return total
        }
    }

    @inline(__always)
    private static func copy(_ bytes: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer, at offset: inout Int) {
        if let base = bytes.baseAddress, bytes.count > 0 {
            (destination.baseAddress! + offset).copyMemory(from: base, byteCount: bytes.count)
        }
        offset += bytes.count
    }

    @inline(__always)
    private static func copy(_ literal: StaticString, into destination: UnsafeMutableRawBufferPointer, at offset: inout Int) {
        (destination.baseAddress! + offset).copyMemory(from: literal.utf8Start, byteCount: literal.utf8CodeUnitCount)
        offset += literal.utf8CodeUnitCount
    }
}
