@testable import MCPMessages
import Testing


/// The one reading of an event-stream line that the tool-list filter and the stdio bridge share.
@Suite("event-stream field lines")
struct EventStreamFieldTests {
    @Test("name to the first colon; one leading space dropped from the value; comments and bare names", arguments: [
        ("data: {\"a\":1}", "data", "{\"a\":1}", false),
        ("data:x", "data", "x", false),
        ("data:  two spaces", "data", " two spaces", false),
        ("data", "data", "", false),
        ("id: 7:8", "id", "7:8", false),
        (": keep-alive", "", "keep-alive", true),
        ("", "", "", true),
    ])
    func reading(line: String, name: String, value: String, isComment: Bool) {
        let field = EventStreamField(Array(line.utf8))
        #expect(String(decoding: field.name, as: UTF8.self) == name)
        #expect(String(decoding: field.value, as: UTF8.self) == value)
        #expect(field.isComment == isComment)
        #expect(field.named("data") == (name == "data"))
    }
}
