import NIOCore

/// Splits a `text/event-stream` body into events (the WHATWG rules the MCP transport uses):
/// `data:` lines joined with newlines, `id:` remembered for `Last-Event-ID`, `event:` kept for
/// the event's type, comments and other fields ignored, CRLF, LF or CR line ends, events split
/// across reads, one leading byte order mark dropped.
package struct EventStreamDecoder {
    package struct Event: Equatable {
        package var data: String
        package var id: String?
        /// The `event:` field; nil when absent (a `message` event, as clients read it).
        package var type: String? = nil

        /// Whether an MCP client would take the event's data as a message: the SDKs listen for
        /// `message` events only, and an event of another type is no message of theirs.
        package var isMessage: Bool { type == nil || type == "message" }
    }

    private var pending: [UInt8] = []
    private var data: [String] = []
    private var hasData = false
    private var eventID: String?
    private var eventType: String?
    /// A CR ended the last line; a LF right after it belongs to it.
    private var lastWasCR = false
    /// How many bytes of a leading UTF-8 byte order mark have been skipped; nil once the stream
    /// is past its start. The WHATWG parser drops one at the start of the stream.
    private var byteOrderMarkSeen: Int? = 0
    /// Bound on a single line, so that a stream without line ends cannot grow memory forever.
    package let maximumLineBytes: Int

    package init(maximumLineBytes: Int) {
        self.maximumLineBytes = maximumLineBytes
    }

    package enum Failure: Error { case lineTooLong }

    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// Feeds body bytes; returns the events they complete.
    package mutating func feed(_ buffer: ByteBuffer) throws(Failure) -> [Event] {
        var events: [Event] = []
        for byte in buffer.readableBytesView {
            if let seen = byteOrderMarkSeen {
                if byte == Self.byteOrderMark[seen] {
                    byteOrderMarkSeen = seen + 1 == Self.byteOrderMark.count ? nil : seen + 1
                    continue
                }
                // Not a mark after all: its bytes so far are ordinary line bytes.
                pending += Self.byteOrderMark.prefix(seen)
                byteOrderMarkSeen = nil
            }
            if byte == 0x0A, lastWasCR { lastWasCR = false; continue }
            lastWasCR = byte == 0x0D
            if byte == 0x0A || byte == 0x0D {
                if let event = line(pending) { events.append(event) }
                pending.removeAll(keepingCapacity: true)
            } else {
                pending.append(byte)
                if pending.count > maximumLineBytes { throw .lineTooLong }
            }
        }
        return events
    }

    private mutating func line(_ bytes: [UInt8]) -> Event? {
        guard !bytes.isEmpty else {
            defer { data.removeAll(); hasData = false; eventType = nil }
            guard hasData else { return nil }
            return Event(data: data.joined(separator: "\n"), id: eventID, type: eventType.flatMap { $0.isEmpty ? nil : $0 })
        }
        let line = EventStreamField(bytes)
        if line.isComment { return nil }
        let field = String(decoding: line.name, as: UTF8.self)
        let value = String(decoding: line.value, as: UTF8.self)
        switch field {
        case "data":
            data.append(value)
            hasData = true
        case "id" where !value.contains("\0"):
            eventID = value
        case "event":
            eventType = value
        default:
            break
        }
        return nil
    }
}
