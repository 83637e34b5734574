/// One line of a `text/event-stream` event split into field name and value, by the WHATWG rules
/// that MCP's transport uses: the name runs to the first colon, the value follows it with one
/// leading space dropped; a line without a colon is a name with an empty value; a line starting
/// with a colon is a comment (`name` empty). The listener's tool-list filter and the stdio
/// bridge's decoder both read lines through this, so that they cannot disagree on a field.
package struct EventStreamField<Line: Collection<UInt8>> {
    package let name: Line.SubSequence
    package let value: Line.SubSequence

    package init(_ line: Line) {
        let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.endIndex
        name = line[..<colon]
        var valueStart = colon == line.endIndex ? colon : line.index(after: colon)
        if valueStart != line.endIndex, line[valueStart] == UInt8(ascii: " ") { valueStart = line.index(after: valueStart) }
        value = line[valueStart...]
    }

    package var isComment: Bool { name.isEmpty }

    package func named(_ text: StaticString) -> Bool {
        name.elementsEqual(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}
