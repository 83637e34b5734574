@testable import MCPMessages
import Foundation
import NIOCore
import ProxyConfig
import ProxyTestSupport
import Testing
@testable import ProxyDataPlane

/// The `tools/list` half of the tool policy as values: which responses it rewrites, what it keeps,
/// and an event stream cut at every byte.
@Suite("tool list filter")
struct ToolListFilterTests {
    static let policy = ToolPolicy(allow: nil, deny: ["*delete*"])

    static func filter(_ request: String) -> ToolListFilter? {
        ToolListFilter(request: JSONNode.parse(Array(request.utf8))!, policy: policy)
    }

    static func names(_ response: JSONNode) -> [String] {
        guard case .array(let tools)? = response["result"]?["tools"] else { return [] }
        return tools.compactMap { $0["name"]?.string }
    }

    static let listRequest = #"{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"cursor":"page-1"}}"#

    @Test("only requests that ask tools/list get a filter; a batch's tools/list ids are all awaited")
    func requests() throws {
        #expect(Self.filter(Self.listRequest)?.awaitedIDs == [.number("7")])
        #expect(Self.filter(#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"x"}}"#) == nil)
        #expect(Self.filter(#"{"jsonrpc":"2.0","method":"tools/list"}"#) == nil, "a notification gets no response to filter")
        let batch = try #require(Self.filter(#"[{"jsonrpc":"2.0","id":"a","method":"tools/list"},{"jsonrpc":"2.0","id":2,"method":"ping"},{"jsonrpc":"2.0","id":3,"method":"tools/list"}]"#))
        #expect(batch.awaitedIDs == [.string("a"), .number("3")] && batch.isBatch)
    }

    @Test("refused tools leave result.tools; order, other fields and nextCursor stay")
    func filtersResult() throws {
        var filter = try #require(Self.filter(Self.listRequest))
        let response = try #require(JSONNode.parse(Array(TestUpstream.toolListResponse(id: "7").utf8)))
        let result = filter.filter(response)
        let filtered = try #require(result)
        #expect(Self.names(filtered) == ["search_issues", "get_issue"])
        #expect(filtered["result"]?["nextCursor"]?.string == "page-2")
        #expect(filtered["id"] == .number("7") && filtered["jsonrpc"]?.string == "2.0")
        #expect(filter.awaitedIDs.isEmpty)
        // What a client parses out of the rewritten text: the same descriptions, decoded alike.
        let reparsed = try #require(try JSONSerialization.jsonObject(with: Data(filtered.serialized.utf8)) as? [String: Any])
        let tools = try #require((reparsed["result"] as? [String: Any])?["tools"] as? [[String: Any]])
        #expect(tools.first?["description"] as? String == "Runs search_issues \u{2014} \"quoted\", café, a/b")
    }

    @Test("on a GET stream every response's list is filtered, whatever its id; a key named twice drops the event; what is not JSON passes")
    func replayedResponses() throws {
        var filter = ToolListFilter.replayedResponses(policy: Self.policy)
        for id in ["3", #""x""#, "null"] {
            let response = try #require(JSONNode.parse(Array(TestUpstream.toolListResponse(id: id).utf8)))
            #expect(filter.filter(response).map(Self.names) == ["search_issues", "get_issue"])
        }
        let notification = try #require(JSONNode.parse(Array(#"{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}"#.utf8)))
        #expect(filter.filter(notification) == nil && filter.awaitsAnyResponse)

        var stream = EventStreamToolListFilter(filter: filter, limit: 1 << 20, profile: "p")
        let twice = #"{"jsonrpc":"2.0","id":3,"result":{"tools":[]},"result":{"tools":[{"name":"delete_repo"}]}}"#
        let events = "data: not json\n\n" + "data: " + twice + "\n\n" + "data: {\"jsonrpc\":\"2.0\",\"method\":\"ping\"}\n\n"
        guard case .relay(let relayed?) = stream.feed(ByteBuffer(string: events)) else { Issue.record("nothing relayed"); return }
        #expect(String(buffer: relayed) == "data: not json\n\n" + "data: {\"jsonrpc\":\"2.0\",\"method\":\"ping\"}\n\n")
        var small = EventStreamToolListFilter(filter: filter, limit: 8, profile: "p")
        guard case .failed(.tooLarge, let answer) = small.feed(ByteBuffer(string: "data: {\"jsonrpc\"")) else { Issue.record("not failed"); return }
        #expect(answer.readableBytes == 0, "no id to answer: the stream just ends")
    }

    @Test("an id a client would take for the request's is filtered too: 7.0, \"7\", \" 7 \", \"0x7\", 7e0; 8, \"seven\" and null are not",
          arguments: [("7.0", true), (#""7""#, true), (#"" 7\n""#, true), (#""0x7""#, true), ("7e0", true), ("8", false), (#""seven""#, false), ("null", false)])
    func clientMatchedIDs(id: String, filtered: Bool) throws {
        var filter = try #require(Self.filter(Self.listRequest))
        let response = try #require(JSONNode.parse(Array(TestUpstream.toolListResponse(id: id).utf8)))
        #expect((filter.filter(response) != nil) == filtered)
        #expect(filter.awaitedIDs.isEmpty == filtered, "a client takes it as the answer, so nothing more is awaited")
    }

    @Test("responses to other ids, notifications, errors and lists with nothing refused are left alone")
    func leavesOthers() throws {
        var filter = try #require(Self.filter(Self.listRequest))
        let other = try #require(JSONNode.parse(Array(TestUpstream.toolListResponse(id: "8").utf8)))
        let forOther = filter.filter(other)
        #expect(forOther == nil, "another id is not this request's response")
        let notification = try #require(JSONNode.parse(Array(#"{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}"#.utf8)))
        let forNotification = filter.filter(notification)
        #expect(forNotification == nil && !filter.awaitedIDs.isEmpty)
        let allowed = try #require(JSONNode.parse(Array(#"{"jsonrpc":"2.0","id":7,"result":{"tools":[{"name":"search"}]}}"#.utf8)))
        let forAllowed = filter.filter(allowed)
        #expect(forAllowed == nil && filter.awaitedIDs.isEmpty)
        var erroring = try #require(Self.filter(Self.listRequest))
        let forError = erroring.filter(JSONNode.parse(Array(#"{"jsonrpc":"2.0","id":7,"error":{"code":-1,"message":"no"}}"#.utf8))!)
        #expect(forError == nil && erroring.awaitedIDs.isEmpty)
    }

    @Test("a batch response has each awaited member filtered; a failure answers every awaited id")
    func batch() throws {
        var filter = try #require(Self.filter(#"[{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"jsonrpc":"2.0","id":2,"method":"ping"}]"#))
        let failure = filter.failureResponse(.tooLarge, profile: "prod")
        let errors = try #require(try JSONSerialization.jsonObject(with: Data(failure.utf8)) as? [[String: Any]])
        #expect(errors.count == 1 && errors[0]["id"] as? Int == 1)
        #expect(((errors[0]["error"] as? [String: Any])?["message"] as? String)?.contains("exceeds max_request_body") == true)
        let response = try #require(JSONNode.parse(Array(("[" + TestUpstream.toolListResponse(id: "1") + #",{"jsonrpc":"2.0","id":2,"result":{}}]"#).utf8)))
        guard case .array(let items)? = filter.filter(response) else { Issue.record("expected a filtered batch"); return }
        #expect(Self.names(items[0]) == ["search_issues", "get_issue"] && items[1] == JSONNode.parse(Array(#"{"jsonrpc":"2.0","id":2,"result":{}}"#.utf8)))
    }

    static let stream = "id: prime-1\r\ndata:\r\n\r\n: comment\r\n"
        + "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{}}\n\n"
        + "event: message\r\nid: ev-2\r\ndata: {\"jsonrpc\":\"2.0\",\r\ndata: " + TestUpstream.toolListResponse(id: "7").dropFirst(17) + "\r\n\r\n"
        + "data: {\"jsonrpc\":\"2.0\",\"method\":\"after\",\"params\":{\"name\":\"delete_repo\"}}\n\n"

    /// Feeds `text` to a fresh event-stream filter in pieces cut at `cuts`, and returns what it relays.
    static func run(_ text: String, cuts: [Int], limit: Int = 1 << 20) -> (out: String, failure: ToolListFilter.Failure?) {
        var filter = EventStreamToolListFilter(filter: Self.filter(listRequest)!, limit: limit, profile: "prod")
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        for (start, end) in zip([0] + cuts, cuts + [bytes.count]) {
            switch filter.feed(ByteBuffer(bytes: bytes[start..<end])) {
            case .relay(let buffer): out += buffer.map { Array($0.readableBytesView) } ?? []
            case .failed(let failure, let answer): return (String(decoding: out + Array(answer.readableBytesView), as: UTF8.self), failure)
            }
        }
        if case .relay(let last) = filter.finish() { out += last.map { Array($0.readableBytesView) } ?? [] }
        return (String(decoding: out, as: UTF8.self), nil)
    }

    /// The `data` of each event in an SSE text, as a client would assemble it.
    static func eventData(_ text: String) -> [String] {
        text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n").components(separatedBy: "\n\n").compactMap { event in
            let data = event.split(separator: "\n").filter { $0.hasPrefix("data") }.map { $0.dropFirst(5).drop(while: { $0 == " " }) }
            return data.isEmpty ? nil : data.joined(separator: "\n")
        }
    }

    @Test("an event stream cut at every byte: the same output, the response event rewritten, all else as sent")
    func eventStreamAtEveryCut() throws {
        let whole = Self.run(Self.stream, cuts: [])
        #expect(whole.failure == nil)
        for cut in 1..<Self.stream.utf8.count {
            let split = Self.run(Self.stream, cuts: [cut])
            #expect(split.out == whole.out, "cut at \(cut)")
            if split.out != whole.out { break }
        }
        let everyByte = Self.run(Self.stream, cuts: Array(1..<Self.stream.utf8.count))
        #expect(everyByte.out == whole.out)
        let data = Self.eventData(whole.out)
        #expect(data.count == 3 + 1, "priming (empty), progress, response, the event after")
        let response = try #require(JSONNode.parse(Array(data[2].utf8)))
        #expect(Self.names(response) == ["search_issues", "get_issue"])
        #expect(whole.out.hasPrefix("id: prime-1\r\ndata:\r\n\r\n: comment\r\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\""))
        #expect(whole.out.contains("{}}\n\nevent: message\nid: ev-2\ndata: {"), "the response event keeps its other fields")
        #expect(whole.out.hasSuffix("data: {\"jsonrpc\":\"2.0\",\"method\":\"after\",\"params\":{\"name\":\"delete_repo\"}}\n\n"), "after the response, bytes pass as sent")
    }

    @Test("lone CR line ends, cut at every byte: the same output, filtered, the events before the response as sent")
    func loneCarriageReturns() throws {
        let stream = Self.stream.replacingOccurrences(of: "\r\n", with: "\r").replacingOccurrences(of: "\n", with: "\r")
        let whole = Self.run(stream, cuts: [])
        for cut in 1..<stream.utf8.count where Self.run(stream, cuts: [cut]).out != whole.out {
            Issue.record("cut at \(cut) changes the output")
            break
        }
        let responseEvent = try #require(stream.range(of: "event: message\rid: ev-2"))
        #expect(whole.out.hasPrefix(String(stream[..<responseEvent.lowerBound])))
        let response = try #require(JSONNode.parse(Array(Self.eventData(whole.out)[2].utf8)))
        #expect(Self.names(response) == ["search_issues", "get_issue"])
    }

    @Test("an event over the limit, or a response event that is not JSON, ends the stream with an error event for the id")
    func eventStreamFailures() throws {
        let tooLarge = Self.run(Self.stream, cuts: Array(stride(from: 50, to: Self.stream.utf8.count, by: 50)), limit: 200)
        #expect(tooLarge.failure == .tooLarge)
        #expect(!tooLarge.out.contains("delete_repo"))
        let error = try #require(Self.eventData(tooLarge.out).last.flatMap { JSONNode.parse(Array($0.utf8)) })
        #expect(error["id"] == .number("7") && error["error"]?["code"] == .number("-32603"))
        let broken = Self.run("data: {\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"tools\":[],\"tools\":[{\"name\":\"delete_repo\"}]}}\n\n", cuts: [])
        #expect(broken.failure == .unreadable(.duplicateKey("tools")) && !broken.out.contains("\"name\":\"delete_repo\""))
    }

    @Test("an unterminated last event is filtered too")
    func unterminatedLastEvent() {
        let result = Self.run("data: " + TestUpstream.toolListResponse(id: "7"), cuts: [40])
        #expect(result.failure == nil && result.out.contains("get_issue") && !result.out.contains("delete_repo"))
    }
}
