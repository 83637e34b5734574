/// A position in a source file, 1-based like every editor and compiler message.
package struct SourceMark: Sendable, Hashable {
    package var line: Int
    package var column: Int

    package init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
}

/// The loader's own YAML tree: only what the config schema needs, with a source mark on every node
/// so that every diagnostic can point at the exact spot.
///
/// Scalars keep their text and whether they were plain: the schema, not YAML 1.1 implicit typing,
/// decides what a scalar means (`"8080"` is a fine port, `yes` is not a boolean).
package struct YAMLNode: Sendable {
    package enum Content: Sendable {
        case scalar(String, isPlain: Bool)
        case sequence([YAMLNode])
        case mapping([YAMLEntry])
    }

    package var content: Content
    package var mark: SourceMark

    package init(_ content: Content, mark: SourceMark) {
        self.content = content
        self.mark = mark
    }

    /// Scalar text, or nil for collections.
    package var scalar: String? {
        if case .scalar(let text, _) = content { return text }
        return nil
    }

    /// True for an empty value (`key:`), `~` or `null` written plainly.
    package var isNull: Bool {
        if case .scalar(let text, true) = content {
            return text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
        }
        return false
    }

    /// What a user would call this kind of node, for "expected X, found Y" messages.
    package var kindDescription: String {
        switch content {
        case .scalar: return isNull ? "an empty value" : "a scalar"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}

/// One `key: value` pair. `isMerged` marks entries that came in through a `<<` merge key;
/// they never count as duplicates and always lose to keys written explicitly.
package struct YAMLEntry: Sendable {
    package var key: YAMLNode
    package var value: YAMLNode
    package var isMerged: Bool

    package init(key: YAMLNode, value: YAMLNode, isMerged: Bool = false) {
        self.key = key
        self.value = value
        self.isMerged = isMerged
    }
}
