@testable import MCPMessages
import Foundation
import NIOCore
import ProxyConfig
import ProxyTestSupport
import Testing
@testable import ProxyDataPlane

/// The event-stream tool-list filter against random event sequences around a list answer: decoy
/// answers of every shape, event types a client skips, comments, byte order marks, every line
/// end, data split over lines, and the stream cut at random points. The output is read by an
/// independent event-stream parser (the WHATWG rules, leniently: an unterminated last event
/// counts, and every event type is read) and Foundation's JSON parser (`ClientReading`): no message that answers
/// the request's id may show a refused tool, whatever the filter decided. Seeded; `scripts/fuzz`
/// runs the same invariant on libFuzzer's inputs.
@Suite("event-stream tool-list filter against random streams")
struct EventStreamFilterPropertyTests {
    static let cases = 3_000

    @Test("no random stream shows a client a refused tool in an answer to the request")
    func noRefusedToolGetsThrough() throws {
        var random = SeededRandom(seed: 0x5EED_0024)
        var leakingIfUnfiltered = 0
        for index in 0..<Self.cases {
            let stream = Self.stream(&random)
            if Self.clientSeesRefusedTool(stream) { leakingIfUnfiltered += 1 }
            let output = Self.filtered(stream, cuts: Self.cuts(stream.count, &random))
            if Self.clientSeesRefusedTool(output) {
                Issue.record("case \(index) leaked: \(String(decoding: stream, as: UTF8.self).debugDescription)")
            }
        }
        #expect(leakingIfUnfiltered > Self.cases / 4, "the generator puts refused tools in front of the client often enough to mean something")
    }

    /// The filter for a `tools/list` request with id 7, fed `stream` in the pieces `cuts` makes.
    static func filtered(_ stream: [UInt8], cuts: [Int]) -> [UInt8] {
        let request = JSONNode.parse(Array(#"{"jsonrpc":"2.0","id":7,"method":"tools/list"}"#.utf8))!
        var filter = EventStreamToolListFilter(filter: ToolListFilter(request: request, policy: ToolPolicyRobustnessTests.policy)!, limit: 1 << 16, profile: "p")
        var output: [UInt8] = []
        var start = 0
        for end in cuts + [stream.count] where end > start {
            switch filter.feed(ByteBuffer(bytes: stream[start..<end])) {
            case .relay(let bytes): output += bytes.map { Array($0.readableBytesView) } ?? []
            case .failed(_, let answer): return output + Array(answer.readableBytesView)
            }
            start = end
        }
        switch filter.finish() {
        case .relay(let bytes): return output + (bytes.map { Array($0.readableBytesView) } ?? [])
        case .failed(_, let answer): return output + Array(answer.readableBytesView)
        }
    }

    static func clientSeesRefusedTool(_ stream: [UInt8]) -> Bool {
        ClientReading.streamShowsRefusedTool(stream) { !ToolPolicyRobustnessTests.policy.allows($0) }
    }

    // MARK: - Generation

    static func stream(_ random: inout SeededRandom) -> [UInt8] {
        var text = random.chance(1, in: 6) ? "\u{FEFF}" : ""
        let lineEnd = random.pick(["\n", "\r\n", "\r"])
        for _ in 0..<(1 + random.next(5)) {
            text += event(&random, lineEnd: random.chance(1, in: 8) ? random.pick(["\n", "\r\n", "\r"]) : lineEnd)
        }
        if random.chance(1, in: 5) { text.removeLast(lineEnd.count) }  // an unterminated last event
        var bytes = Array(text.utf8)
        if random.chance(1, in: 10), !bytes.isEmpty { bytes[random.next(bytes.count)] = UInt8(random.next(256)) }
        return bytes
    }

    static func event(_ random: inout SeededRandom, lineEnd: String) -> String {
        var lines: [String] = []
        if random.chance(1, in: 4) { lines.append(random.pick([": keep-alive", ":", ": comment with data: inside"])) }
        if random.chance(1, in: 2) { lines.append("event:" + random.pick(["", " ", " message", " foo", " Message", "message"])) }
        if random.chance(1, in: 4) { lines.append("id: " + random.pick(["1", "ev-2", ""])) }
        let data: String
        switch random.next(4) {
        case 0: data = #"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}"#
        case 1: data = random.pick(["not json", "", "{", "[1,2"])
        default: data = String(decoding: ToolPolicyRobustnessTests.listBody(&random), as: UTF8.self)
        }
        let wrapped = random.chance(1, in: 8) ? "[" + data + "]" : data
        // A server writes each line of the data as a `data` line (the JSON's own line breaks are
        // whitespace); now and then also at a random point, which a client joins with LF.
        var parts = wrapped.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false).map { Substring($0) }
        if random.chance(1, in: 6), let last = parts.popLast(), last.count > 2 {
            let cut = last.index(last.startIndex, offsetBy: 1 + random.next(last.count - 1))
            parts += [last[..<cut], last[cut...]]
        }
        for part in parts { lines.append("data:" + (random.chance(3, in: 4) ? " " : "") + part.replacingOccurrences(of: "\r", with: " ")) }
        return lines.joined(separator: lineEnd) + lineEnd + lineEnd
    }

    static func cuts(_ count: Int, _ random: inout SeededRandom) -> [Int] {
        guard count > 1 else { return [] }
        return (0..<random.next(6)).map { _ in 1 + random.next(count - 1) }.sorted()
    }
}
