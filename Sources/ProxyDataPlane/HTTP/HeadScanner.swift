#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// Byte ranges of one header line, relative to the start of its head's bytes.
struct HeaderField {
    var name: Range<Int>
    var value: Range<Int>
}

/// A head that cannot be relayed safely; the reason goes into the 400/502 body and the log.
struct InvalidHead: Error, Equatable {
    let reason: String
}

/// The line and field rules shared by request and response heads (RFC 9112 §2, §5). Strict on
/// purpose: field lines are copied to the other side as bytes, so anything that could end, fold
/// or split a line there (bare CR or LF, other control bytes, obs-fold, space before the colon)
/// is refused here.
struct HeadScanner {
    let raw: UnsafeRawBufferPointer
    var index = 0

    static let maxFields = 256

    init(_ raw: UnsafeRawBufferPointer) {
        self.raw = raw
    }

    var atBlankLine: Bool { index + 1 < raw.count && raw[index] == 0x0D && raw[index + 1] == 0x0A }

    /// Moves past the CRLF ending the current line and returns where its text ended.
    /// Control bytes other than HTAB are refused (bare CR, LF, NUL, DEL).
    mutating func lineEnd() throws(InvalidHead) -> Int {
        // The position is a local, stored back once: as `self.index` it was written to memory at
        // every byte.
        guard let base = raw.baseAddress else { throw InvalidHead(reason: "unterminated head") }
        let count = raw.count
        var position = index
        // Eight bytes at a time while a word holds no control byte (CR included) and no DEL; the
        // byte loop below decides everything else, so the word test only has to never miss one.
        while position &+ 8 <= count, !Self.mayHoldControlByte(base.loadUnaligned(fromByteOffset: position, as: UInt64.self)) {
            position &+= 8
        }
        while position < count {
            let byte = base.load(fromByteOffset: position, as: UInt8.self)
            if byte == 0x0D {
                guard position &+ 1 < count, base.load(fromByteOffset: position &+ 1, as: UInt8.self) == 0x0A else {
                    throw InvalidHead(reason: "bare CR in head")
                }
                index = position &+ 2
                return position
            }
            guard byte >= 0x20 || byte == 0x09, byte != 0x7F else { throw InvalidHead(reason: "control character in head") }
            position &+= 1
        }
        throw InvalidHead(reason: "unterminated head")
    }

    /// Every field line up to the blank line; `note` sees each one (for framing facts).
    mutating func fields(_ note: (HeaderField, UnsafeRawBufferPointer) throws(InvalidHead) -> Void) throws(InvalidHead) -> [HeaderField] {
        var fields: [HeaderField] = []
        fields.reserveCapacity(12)
        while !atBlankLine {
            guard fields.count < Self.maxFields else { throw InvalidHead(reason: "more than \(Self.maxFields) header fields") }
            let field = try field()
            try note(field, raw)
            fields.append(field)
        }
        index += 2
        return fields
    }

    private mutating func field() throws(InvalidHead) -> HeaderField {
        guard let base = raw.baseAddress else { throw InvalidHead(reason: "bad header name") }
        let count = raw.count
        let nameStart = index
        var position = index
        while position < count, Self.isTokenByte(base.load(fromByteOffset: position, as: UInt8.self)) { position &+= 1 }
        guard position > nameStart, position < count, base.load(fromByteOffset: position, as: UInt8.self) == UInt8(ascii: ":") else {
            let first = nameStart < count ? raw[nameStart] : 0
            throw InvalidHead(reason: first == 0x20 || first == 0x09 ? "obsolete line folding" : "bad header name")
        }
        let nameEnd = position
        position &+= 1
        while position < count, Self.isBlank(base.load(fromByteOffset: position, as: UInt8.self)) { position &+= 1 }
        let valueStart = position
        index = position
        var valueEnd = try lineEnd()
        while valueEnd > valueStart, Self.isBlank(base.load(fromByteOffset: valueEnd &- 1, as: UInt8.self)) { valueEnd &-= 1 }
        return HeaderField(name: nameStart..<nameEnd, value: valueStart..<valueEnd)
    }

    @inline(__always)
    private static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    /// Whether any byte of `word` is below 0x20 or is 0x7F (exact when none is: "hasless" and
    /// "haszero" from the bit-twiddling folklore, whose borrows only ever add positives).
    @inline(__always)
    static func mayHoldControlByte(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let below = (word &- ones &* 0x20) & ~word & highs
        let del = word ^ (ones &* 0x7F)
        return (below | ((del &- ones) & ~del & highs)) != 0
    }

    /// RFC 9110 `tchar` as a table of the 128 ASCII bytes: one load and compare per byte of a
    /// name (two 64-bit maps, chosen by a branch per byte, cost about twice as much).
    @inline(__always)
    static func isTokenByte(_ byte: UInt8) -> Bool {
        byte < 128 && tokenTable.utf8Start[Int(byte)] == UInt8(ascii: "1")
    }

    private static let tokenTable: StaticString =
        "00000000000000000000000000000000010111110011011011111111110000000111111111111111111111111110001111111111111111111111111111101010"

    /// RFC 9110 `tchar`, spelled out: what `isTokenByte`'s table is tested against.
    static func isTokenByteSpelledOut(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Offset just past the blank line that ends a head, or nil when it has not fully arrived.
    /// `from` lets a caller skip what an earlier call already scanned. Jumps from line feed to
    /// line feed with `memchr` (vectorised in libc): a byte loop over every head, both ways, cost
    /// about 1,500 instructions per request.
    static func headEnd(_ buffer: ByteBuffer, from: Int = 0) -> Int? {
        buffer.withUnsafeReadableBytes { raw -> Int? in
            guard let base = raw.baseAddress else { return nil }
            var index = max(3, from)
            while index < raw.count, let found = memchr(base + index, 0x0A, raw.count - index) {
                let lineFeed = base.distance(to: UnsafeRawPointer(found))
                if raw[lineFeed - 1] == 0x0D, raw[lineFeed - 2] == 0x0A, raw[lineFeed - 3] == 0x0D { return lineFeed + 1 }
                index = lineFeed + 1
            }
            return nil
        }
    }
}

extension ByteBuffer {
    /// One CRLF-terminated line without its terminator, or nil when it has not fully arrived.
    /// A bare LF, or a line longer than `limit` without an end, is an error.
    mutating func readCRLFLine(limit: Int, what: String) throws(InvalidHead) -> ByteBuffer? {
        let view = readableBytesView
        guard let lf = view.firstIndex(of: 0x0A) else {
            if view.count > limit { throw InvalidHead(reason: "\(what) too long") }
            return nil
        }
        let length = lf - view.startIndex
        guard length >= 1, view[lf - 1] == 0x0D else { throw InvalidHead(reason: "bare LF in \(what)") }
        let line = readSlice(length: length - 1)!
        moveReaderIndex(forwardBy: 2)
        return line
    }
}
