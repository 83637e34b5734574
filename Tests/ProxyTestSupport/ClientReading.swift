import Foundation

/// How an MCP client reads what the proxy relays, written independently of the proxy's own
/// parsers: Foundation's JSON parser, the WHATWG event-stream rules, and the SDKs' id matching.
/// The tool-policy robustness tests, the event-stream property test and the `event-stream-filter`
/// fuzz target judge the proxy's output with it.
public enum ClientReading {
    public static func jsonObject(_ bytes: [UInt8]) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    }

    /// The JSON-RPC messages in `bytes`: one object, or the objects of a batch.
    public static func messages(_ bytes: [UInt8]) -> [[String: Any]] {
        switch jsonObject(bytes) {
        case let object as [String: Any]: [object]
        case let batch as [Any]: batch.compactMap { $0 as? [String: Any] }
        default: []
        }
    }

    /// Whether a client would take `id` for the request's 7: the Python SDK compares numbers
    /// by value, the TypeScript SDK looks responses up by `Number(id)`.
    public static func answersSeven(_ id: Any?) -> Bool {
        switch id {
        case let text as String:
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            return trimmed.hasPrefix("0x") ? Int(trimmed.dropFirst(2), radix: 16) == 7 : Double(trimmed) == 7
        case let number as NSNumber: return number.doubleValue == 7
        default: return false
        }
    }

    /// Whether a message in `bytes` answers request 7 with a `result.tools` naming a tool that
    /// `isRefused`, with a `method` member or without one.
    public static func showsRefusedTool(_ bytes: [UInt8], isRefused: (String) -> Bool) -> Bool {
        messages(bytes).contains { message in
            guard answersSeven(message["id"]), let tools = (message["result"] as? [String: Any])?["tools"] as? [Any] else { return false }
            return tools.contains { (($0 as? [String: Any])?["name"] as? String).map(isRefused) ?? false }
        }
    }

    /// Every event's data, by the WHATWG event-stream rules, read leniently: one leading BOM
    /// dropped, lines end at CRLF, LF or CR, `data` values joined by LF after an optional space,
    /// every event type taken, and an unterminated last event counted too.
    public static func eventData(_ bytes: [UInt8]) -> [[UInt8]] {
        var bytes = bytes[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        var events: [[UInt8]] = []
        var data: [UInt8]?
        var line: [UInt8] = []
        var lastWasCR = false
        func endLine() {
            defer { line = [] }
            guard !line.isEmpty else {
                if let complete = data { events.append(complete) }
                data = nil
                return
            }
            guard line.first != UInt8(ascii: ":") else { return }
            let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.count
            guard line[..<colon].elementsEqual("data".utf8) else { return }
            var value = line[min(colon + 1, line.count)...]
            if value.first == 0x20 { value = value.dropFirst() }
            data = data.map { $0 + [0x0A] + value } ?? Array(value)
        }
        for byte in bytes {
            if byte == 0x0A, lastWasCR { lastWasCR = false; continue }
            lastWasCR = byte == 0x0D
            if byte == 0x0A || byte == 0x0D { endLine() } else { line.append(byte) }
        }
        if !line.isEmpty { endLine() }
        if let pending = data { events.append(pending) }
        return events
    }

    /// Whether any event of `stream` shows a refused tool in an answer to request 7.
    public static func streamShowsRefusedTool(_ stream: [UInt8], isRefused: (String) -> Bool) -> Bool {
        eventData(stream).contains { showsRefusedTool($0, isRefused: isRefused) }
    }
}
