import NIOCore

/// A `tools/list` response that the upstream sends as an event stream, filtered event by event
/// as each event completes: an event carrying a response to a requested id gets its data
/// rewritten, whatever its `event:` type, any other event passes as it arrived. Every event is
/// examined until the stream ends, since a client may ignore the first answer (an event type it
/// skips, a message it rejects) and take a later one. A leading UTF-8 byte order mark is removed,
/// as every client's event-stream parser removes it. An incomplete event is held until its end
/// arrives, up to `limit` bytes (`max_request_body`); a bigger one, or data that is not JSON,
/// fails the stream rather than pass unfiltered.
package struct EventStreamToolListFilter {
    package enum Output {
        /// Bytes to relay now (nil: nothing yet, an event is incomplete).
        case relay(ByteBuffer?)
        /// The stream cannot be filtered: relay `answer` (error events for the awaited ids) and end it.
        case failed(ToolListFilter.Failure, answer: ByteBuffer)
    }

    private(set) package var filter: ToolListFilter
    package let limit: Int
    package let profile: String
    /// The start of the incomplete event, and how much of it has been scanned for its end.
    private var pending: ByteBuffer?
    private var scanned = 0
    private var atLineStart = true
    private var afterCR = false
    /// The CR just scanned ended a blank line: the event ends after it, or after an LF next.
    private var blankLineEndedByCR = false
    /// Nothing of the stream has been scanned yet: a byte order mark may still start it.
    private var atStreamStart = true

    package init(filter: ToolListFilter, limit: Int, profile: String) {
        self.filter = filter
        self.limit = limit
        self.profile = profile
    }

    package mutating func feed(_ buffer: ByteBuffer) -> Output {
        if pending == nil {
            pending = buffer
        } else {
            var buffer = buffer
            pending!.writeBuffer(&buffer)
        }
        if atStreamStart {
            switch Self.byteOrderMark(at: pending!) {
            case .undecided: return .relay(nil)
            case .present: pending!.moveReaderIndex(forwardBy: Self.utf8ByteOrderMark.count)
            case .absent: break
            }
            atStreamStart = false
        }
        let ends = scanForEventEnds()
        var output: ByteBuffer?
        var start = 0
        for end in ends {
            let event = pending!.getSlice(at: pending!.readerIndex + start, length: end - start)!
            start = end
            switch Self.rewrite(event, filter: &filter) {
            case .unchanged: Self.append(event, to: &output)
            case .rewritten(let bytes): Self.append(bytes, to: &output)
            case .unreadable(let failure): return fail(.unreadable(failure))
            }
        }
        let rest = pending!.getSlice(at: pending!.readerIndex + start, length: pending!.readableBytes - start)!
        pending = rest.readableBytes > 0 ? rest : nil
        scanned = rest.readableBytes
        if rest.readableBytes > limit { return fail(.tooLarge) }
        return .relay(output)
    }

    /// The stream ended: an unterminated last event goes through the same rewrite and out as it
    /// is, so that a lenient client does not see an unfiltered list in it either.
    package mutating func finish() -> Output {
        guard var event = pending else { return .relay(nil) }
        pending = nil
        if atStreamStart, case .present = Self.byteOrderMark(at: event) { event.moveReaderIndex(forwardBy: Self.utf8ByteOrderMark.count) }
        switch Self.rewrite(event, filter: &filter) {
        case .unchanged: return .relay(event)
        case .rewritten(let bytes): return .relay(bytes)
        case .unreadable(let failure): return fail(.unreadable(failure))
        }
    }

    private mutating func fail(_ failure: ToolListFilter.Failure) -> Output {
        pending = nil
        // A GET stream awaits no id to answer: it just ends.
        guard !filter.awaitedIDs.isEmpty else { return .failed(failure, answer: ByteBuffer()) }
        let answer = "event: message\ndata: " + filter.failureResponse(failure, profile: profile) + "\n\n"
        return .failed(failure, answer: ByteBuffer(string: answer))
    }

    /// Offsets (from the held bytes' start) just past each blank line that ends an event. Lines
    /// end with CRLF, LF or CR (the SSE grammar); a blank line ending in CR takes the LF that
    /// follows it, if one does, so that events pass with their bytes exactly as sent. The scan
    /// resumes where the last one stopped.
    private mutating func scanForEventEnds() -> [Int] {
        var ends: [Int] = []
        pending!.withUnsafeReadableBytes { bytes in
            for index in scanned..<bytes.count {
                let byte = bytes[index]
                if afterCR {
                    afterCR = false
                    let endsHere = blankLineEndedByCR
                    blankLineEndedByCR = false
                    if byte == UInt8(ascii: "\n") {
                        if endsHere { ends.append(index + 1) }
                        continue
                    }
                    if endsHere { ends.append(index) }
                }
                guard byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") else {
                    atLineStart = false
                    continue
                }
                if byte == UInt8(ascii: "\r") {
                    afterCR = true
                    blankLineEndedByCR = atLineStart
                } else if atLineStart {
                    ends.append(index + 1)
                }
                atLineStart = true
            }
        }
        return ends
    }

    private enum Rewrite {
        case unchanged
        case rewritten(ByteBuffer)
        case unreadable(JSONNode.ParseFailure)
    }

    /// One whole event: its `data` lines joined are a JSON-RPC message; when the filter changes
    /// it, the event is written again with the other fields (`id`, `event`) as they were and
    /// the new message on one `data` line where the first one stood.
    private static func rewrite(_ event: ByteBuffer, filter: inout ToolListFilter) -> Rewrite {
        let lines = event.readableBytesView.split(omittingEmptySubsequences: true) { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }
        var data: [UInt8] = []
        for (index, value) in lines.compactMap(dataValue).enumerated() {
            if index > 0 { data.append(UInt8(ascii: "\n")) }
            data += value
        }
        guard data.contains(where: { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }) else { return .unchanged }
        let message: JSONNode
        switch JSONNode.parsing(data, rejectingDuplicateKeys: true) {
        case .success(let parsed): message = parsed
        case .failure(let failure):
            guard filter.awaitsAnyResponse else { return .unreadable(failure) }
            // On a GET stream: what no client can read as JSON passes as it came; a message that
            // names a key twice is dropped, since which list a client would read is unknown.
            return JSONNode.parse(data) == nil ? .unchanged : .rewritten(ByteBuffer())
        }
        guard let filtered = filter.filter(message) else { return .unchanged }
        var out = ByteBuffer()
        var wroteData = false
        for line in lines {
            if dataValue(line) != nil {
                if wroteData { continue }
                wroteData = true
                out.writeString("data: " + filtered.serialized)
            } else {
                out.writeBytes(line)
            }
            out.writeStaticString("\n")
        }
        out.writeStaticString("\n")
        return .rewritten(out)
    }

    /// The value of a `data` field line (`data`, `data:value` or `data: value`); nil for other fields.
    private static func dataValue(_ line: ByteBufferView.SubSequence) -> ByteBufferView.SubSequence? {
        let field = EventStreamField(line)
        return field.named("data") ? field.value : nil
    }

    package static let utf8ByteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    private enum ByteOrderMark { case present, absent, undecided }

    /// Whether the stream's first bytes are the UTF-8 byte order mark (undecided while they are
    /// fewer than its three bytes and match so far).
    private static func byteOrderMark(at buffer: ByteBuffer) -> ByteOrderMark {
        let start = buffer.readableBytesView.prefix(utf8ByteOrderMark.count)
        guard start.elementsEqual(utf8ByteOrderMark.prefix(start.count)) else { return .absent }
        return start.count == utf8ByteOrderMark.count ? .present : .undecided
    }

    private static func append(_ bytes: ByteBuffer, to output: inout ByteBuffer?) {
        guard output != nil else {
            output = bytes
            return
        }
        var bytes = bytes
        output!.writeBuffer(&bytes)
    }
}
