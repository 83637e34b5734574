import CYAML

/// Builds a `YAMLNode` tree from libyaml's event stream.
///
/// The event API (not libyaml's document loader) is used so that the loader owns every decision
/// the schema cares about: one document per file, merge keys, and a hard bound on alias expansion
/// so that a "billion laughs" file is reported as an error instead of exhausting memory or time.
package struct YAMLParser: Sendable {
    /// Upper bound on the nodes that aliases may pull in, summed over the whole document.
    package var aliasExpansionLimit: Int

    package init(aliasExpansionLimit: Int = 10_000) {
        self.aliasExpansionLimit = aliasExpansionLimit
    }

    /// Parses one YAML document. Returns nil for a stream with no document (an empty file).
    package func parse(_ text: String) throws(YAMLParseError) -> YAMLNode? {
        var bytes = Array(text.utf8)
        if bytes.isEmpty { bytes = [0x0A] }
        let result: Result<YAMLNode?, YAMLParseError> = bytes.withUnsafeBufferPointer { buffer in
            var builder = TreeBuilder(aliasExpansionLimit: aliasExpansionLimit)
            return builder.run(buffer)
        }
        return try result.get()
    }
}

/// A node under construction, with the anchor it will be registered under once complete.
private struct OpenCollection {
    var isMapping: Bool
    var mark: SourceMark
    var anchor: String?
    var children: [YAMLNode] = []
    /// Nodes in this subtree so far, aliases counted at their expanded size.
    var size = 1
}

private struct TreeBuilder {
    let aliasExpansionLimit: Int
    var stack: [OpenCollection] = []
    var anchors: [String: (node: YAMLNode, size: Int)] = [:]
    var expanded = 0
    var documents = 0
    var root: YAMLNode?

    init(aliasExpansionLimit: Int) {
        self.aliasExpansionLimit = aliasExpansionLimit
    }

    mutating func run(_ buffer: UnsafeBufferPointer<UInt8>) -> Result<YAMLNode?, YAMLParseError> {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            return .failure(YAMLParseError(message: "libyaml could not start (out of memory)", mark: SourceMark(line: 1, column: 1)))
        }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(&parser, &event) == 1 else {
                return .failure(Self.libyamlError(parser))
            }
            defer { yaml_event_delete(&event) }
            if event.type == YAML_STREAM_END_EVENT { return .success(root) }
            if let failure = handle(event) { return .failure(failure) }
        }
    }

    private static func libyamlError(_ parser: yaml_parser_t) -> YAMLParseError {
        let problem = parser.problem.map { String(cString: $0) } ?? "malformed YAML"
        var message = problem
        if let context = parser.context {
            message = "\(problem) \(String(cString: context))"
        }
        let mark = parser.problem_mark
        return YAMLParseError(
            message: "YAML syntax: \(message)",
            mark: SourceMark(line: Int(mark.line) + 1, column: Int(mark.column) + 1),
            fixIt: "check indentation, quoting and `key: value` spacing at this spot"
        )
    }

    private static func mark(_ event: yaml_event_t) -> SourceMark {
        SourceMark(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, length: Int? = nil) -> String? {
        guard let pointer else { return nil }
        let count = length ?? strlen(UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    private mutating func handle(_ event: yaml_event_t) -> YAMLParseError? {
        let mark = Self.mark(event)
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents > 1 {
                return YAMLParseError(
                    message: "several YAML documents in one file",
                    mark: mark,
                    fixIt: "keep one document per file; put further profiles in their own file in the same directory"
                )
            }
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let text = Self.string(scalar.value, length: Int(scalar.length)) ?? ""
            let isPlain = scalar.style == YAML_PLAIN_SCALAR_STYLE
            return complete(YAMLNode(.scalar(text, isPlain: isPlain), mark: mark), anchor: Self.string(scalar.anchor), size: 1)
        case YAML_ALIAS_EVENT:
            let name = Self.string(event.data.alias.anchor) ?? ""
            guard let target = anchors[name] else {
                return YAMLParseError(message: "alias *\(name) refers to no anchor defined before it", mark: mark,
                                      fixIt: "define `&\(name)` on a node above this alias")
            }
            expanded += target.size
            if expanded > aliasExpansionLimit {
                return YAMLParseError(
                    message: "aliases expand to more than \(aliasExpansionLimit) nodes",
                    mark: mark,
                    fixIt: "a config never needs this much repetition; this looks like an alias bomb"
                )
            }
            var node = target.node
            node.mark = mark
            return complete(node, anchor: nil, size: target.size)
        case YAML_SEQUENCE_START_EVENT:
            stack.append(OpenCollection(isMapping: false, mark: mark, anchor: Self.string(event.data.sequence_start.anchor)))
        case YAML_MAPPING_START_EVENT:
            stack.append(OpenCollection(isMapping: true, mark: mark, anchor: Self.string(event.data.mapping_start.anchor)))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let open = stack.popLast() else { return nil }
            let size = open.size
            if open.isMapping {
                switch Self.mapping(from: open) {
                case .success(let node): return complete(node, anchor: open.anchor, size: size)
                case .failure(let error): return error
                }
            }
            return complete(YAMLNode(.sequence(open.children), mark: open.mark), anchor: open.anchor, size: size)
        default:
            break
        }
        return nil
    }

    /// Hands a finished node to its parent (or makes it the root) and registers its anchor.
    private mutating func complete(_ node: YAMLNode, anchor: String?, size: Int) -> YAMLParseError? {
        if !stack.isEmpty {
            stack[stack.count - 1].children.append(node)
            stack[stack.count - 1].size += size
        } else {
            root = node
        }
        if let anchor {
            anchors[anchor] = (node, size)
        }
        return nil
    }

    /// Pairs up a mapping's children and applies `<<` merge keys: explicit keys win over merged
    /// ones, and earlier merge sources win over later ones (YAML merge key semantics).
    private static func mapping(from open: OpenCollection) -> Result<YAMLNode, YAMLParseError> {
        var explicit: [YAMLEntry] = []
        var mergeSources: [YAMLNode] = []
        var index = 0
        while index + 1 < open.children.count {
            let key = open.children[index]
            let value = open.children[index + 1]
            index += 2
            if case .scalar("<<", true) = key.content {
                switch value.content {
                case .mapping:
                    mergeSources.append(value)
                case .sequence(let items) where items.allSatisfy({ if case .mapping = $0.content { true } else { false } }):
                    mergeSources.append(contentsOf: items)
                default:
                    return .failure(YAMLParseError(message: "merge key `<<` takes a mapping or a list of mappings", mark: value.mark,
                                                   fixIt: "write `<<: *anchor` where `&anchor` names a mapping"))
                }
                continue
            }
            explicit.append(YAMLEntry(key: key, value: value))
        }
        var entries = explicit
        var seen = Set(explicit.compactMap(\.key.scalar))
        for source in mergeSources {
            guard case .mapping(let merged) = source.content else { continue }
            for entry in merged {
                guard let name = entry.key.scalar, !seen.contains(name) else { continue }
                seen.insert(name)
                entries.append(YAMLEntry(key: entry.key, value: entry.value, isMerged: true))
            }
        }
        return .success(YAMLNode(.mapping(entries), mark: open.mark))
    }
}
