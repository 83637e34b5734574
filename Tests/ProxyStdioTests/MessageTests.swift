@testable import MCPMessages
import NIOCore
@testable import ProxyStdio
import ProxyDataPlane
import Testing

@Suite("stdio bridge: messages, header values, event streams")
struct MessageTests {
    func classify(_ text: String) -> Result<ClientMessage, ClientMessage.Problem>? {
        JSONNode.parse(Array(text.utf8)).map(ClientMessage.classify)
    }

    @Test("requests, notifications, responses and batches are told apart; ids are kept as written")
    func kinds() throws {
        let call = try classify(#"{"jsonrpc":"2.0","id":1.50,"method":"tools/call","params":{"name":"search","arguments":{}}}"#)!.get()
        #expect(call.kind == .request(id: .number("1.50")) && call.method == "tools/call" && call.name == "search")
        let read = try classify(#"{"jsonrpc":"2.0","id":"r","method":"resources/read","params":{"uri":"file:///a b"}}"#)!.get()
        #expect(read.name == "file:///a b")
        let note = try classify(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"x"}}"#)!.get()
        #expect(note.kind == .notification && note.cancelledRequestID == .string("x"))
        let answer = try classify(#"{"jsonrpc":"2.0","id":3,"result":{"action":"accept"}}"#)!.get()
        #expect(answer.kind == .response)
        let batch = try classify(#"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/initialized"}]"#)!.get()
        #expect(batch.kind == .batch(requestIDs: [.number("1")]))
    }

    @Test("not JSON-RPC is -32600, not JSON at all is nil (-32700)", arguments: [
        #"{"id":1,"method":"ping"}"#, #"{"jsonrpc":"1.0","id":1,"method":"ping"}"#, #"{"jsonrpc":"2.0","id":{},"method":"ping"}"#,
        #"{"jsonrpc":"2.0","method":7}"#, #"{"jsonrpc":"2.0","id":1}"#, #"{"jsonrpc":"2.0","id":1,"result":1,"error":{}}"#, "[]", "42",
    ])
    func invalid(_ text: String) {
        #expect(classify(text).map { if case .failure(.invalidRequest) = $0 { true } else { false } } == true, "\(text)")
    }

    @Test("malformed JSON is refused", arguments: [
        "", "{", #"{"a":}"#, #"{"a":1,}"#, "[1 2]", #""\x""#, "01", "1.", "-", "tru", #""\ud800""#, "\"a\u{01}\"", "{}{}",
        String(repeating: "[", count: 513) + String(repeating: "]", count: 513),
    ])
    func malformed(_ text: String) {
        #expect(JSONNode.parse(Array(text.utf8)) == nil, "\(text)")
    }

    @Test("strings decode escapes and surrogate pairs; serialization is compact and escapes controls")
    func strings() {
        let node = JSONNode.parse(Array(#"{"s":"a\"b\\c\n\u00e9\ud83d\ude00/"}"#.utf8))
        #expect(node?["s"]?.string == "a\"b\\c\né😀/")
        // Strings without an escape are taken as they stand; the bytes before a first escape, too.
        #expect(JSONNode.parse(Array(#"["plain café", "caf\u00e9 after", "é before \n"]"#.utf8)) == .array([.string("plain café"), .string("café after"), .string("é before \n")]))
        #expect(JSONNode.parse([0x22, 0xC3, 0x28, 0x22]) == nil, "invalid UTF-8 in a plain string")
        #expect(JSONNode.parse(ByteBuffer(string: #"{"k":"v"}"#).readableBytesView) == .object([("k", .string("v"))]), "read in place from a ByteBuffer")
        #expect(JSONNode.object([("k", .string("a\nb\u{01}"))]).serialized == #"{"k":"a\nb\u0001"}"#)
    }

    @Test("SEP-2243 header values: plain printable ASCII as is, everything else base64 in the sentinel form")
    func headerValues() {
        #expect(HeaderValueEncoding.encode("tools/call") == "tools/call")
        #expect(HeaderValueEncoding.encode("get weather") == "get weather")
        // The specification's own example: a plain value that looks like the sentinel is encoded.
        #expect(HeaderValueEncoding.encode("=?base64?literal?=") == "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=")
        #expect(HeaderValueEncoding.encode("evil\r\nX-Injected: 1") == "=?base64?ZXZpbA0KWC1JbmplY3RlZDogMQ==?=")
        #expect(HeaderValueEncoding.encode(" padded") == "=?base64?IHBhZGRlZA==?=")
        #expect(HeaderValueEncoding.encode("café") == "=?base64?Y2Fmw6k=?=")
        #expect(HeaderValueEncoding.encode("") == "=?base64??=")
    }

    @Test("event streams: events split anywhere across reads, CRLF and CR line ends, ids, comments")
    func eventStream() throws {
        let stream = ": comment\r\nid: 7\r\ndata: {\"a\":\r\ndata: 1}\r\n\r\nevent: message\rdata: two\r\rdata:three\n\n"
        let bytes = Array(stream.utf8)
        for split in 0...bytes.count {
            var decoder = EventStreamDecoder(maximumLineBytes: 1024)
            var events = try decoder.feed(ByteBuffer(bytes: bytes[..<split]))
            events += try decoder.feed(ByteBuffer(bytes: bytes[split...]))
            #expect(events == [.init(data: "{\"a\":\n1}", id: "7"), .init(data: "two", id: "7", type: "message"), .init(data: "three", id: "7")], "split at \(split)")
        }
        // A leading byte order mark is dropped (split anywhere too); an event's type lasts one event.
        let marked = Array("\u{FEFF}data: a\n\nevent: foo\ndata: b\n\ndata: c\n\n".utf8)
        for split in 0...marked.count {
            var decoder = EventStreamDecoder(maximumLineBytes: 1024)
            var events = try decoder.feed(ByteBuffer(bytes: marked[..<split]))
            events += try decoder.feed(ByteBuffer(bytes: marked[split...]))
            #expect(events == [.init(data: "a"), .init(data: "b", type: "foo"), .init(data: "c")], "split at \(split)")
            #expect(events.map(\.isMessage) == [true, false, true])
        }
        var bounded = EventStreamDecoder(maximumLineBytes: 8)
        #expect(throws: EventStreamDecoder.Failure.self) { try bounded.feed(ByteBuffer(string: "data: 0123456789")) }
    }
}
