import Testing
@testable import ProxyConfig

@Suite("libyaml tree builder")
struct YAMLParserTests {
    @Test("scalars keep their text, style and 1-based position")
    func scalars() throws {
        let root = try #require(try YAMLParser().parse("a: 1\nb: \"two\"\n"))
        guard case .mapping(let entries) = root.content else { Issue.record("not a mapping"); return }
        #expect(entries.count == 2)
        #expect(entries[1].key.mark == SourceMark(line: 2, column: 1))
        #expect(entries[1].value.mark == SourceMark(line: 2, column: 4))
        if case .scalar(let text, let plain) = entries[1].value.content {
            #expect(text == "two")
            #expect(!plain)
        }
    }

    @Test("syntax errors carry libyaml's line and column")
    func syntaxError() {
        #expect(throws: YAMLParseError.self) { try YAMLParser().parse("a: [1, 2\nb: 3\n") }
        do {
            _ = try YAMLParser().parse("a: b\n  c: d\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.mark.line == 2)
            #expect(error.message.contains("YAML syntax"))
        }
    }

    @Test("merge keys bring in entries, explicit keys win")
    func mergeKeys() throws {
        let root = try #require(try YAMLParser().parse("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n"))
        guard case .mapping(let entries) = root.content, case .mapping(let use) = entries[1].value.content else {
            Issue.record("shape"); return
        }
        let values = Dictionary(uniqueKeysWithValues: use.map { ($0.key.scalar!, $0.value.scalar!) })
        #expect(values == ["x": "1", "y": "3"])
    }

    @Test("a billion-laughs document is refused, quickly")
    func aliasBomb() {
        var yaml = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        var previous = "a"
        for name in ["b", "c", "d", "e", "f", "g", "h", "i"] {
            yaml += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ",") + "]\n"
            previous = name
        }
        do {
            _ = try YAMLParser().parse(yaml)
            Issue.record("expected the alias bound to trip")
        } catch {
            #expect(error.message.contains("aliases expand"))
        }
    }

    @Test("several documents in one file are an error at the second one")
    func severalDocuments() {
        do {
            _ = try YAMLParser().parse("a: 1\n---\nb: 2\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.mark.line == 2)
            #expect(error.message.contains("several YAML documents"))
        }
    }

    @Test("an undefined alias is an error")
    func undefinedAlias() {
        #expect(throws: YAMLParseError.self) { try YAMLParser().parse("a: *nope\n") }
    }
}
