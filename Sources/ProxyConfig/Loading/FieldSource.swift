/// One candidate value for a schema key, before typing: a YAML node from a file or a string from
/// the environment, with the origin and key path every diagnostic about it will name.
struct FieldSource {
    enum Value {
        case node(YAMLNode)
        case text(String)
    }

    var value: Value
    var origin: ConfigOrigin
    /// `profiles.prod.listen_port`; nil for environment values (the variable name says it all).
    var keyPath: String?

    /// Scalar text and whether it was written plainly (environment strings count as quoted).
    var scalar: (text: String, isPlain: Bool)? {
        switch value {
        case .text(let text): return (text, false)
        case .node(let node):
            if case .scalar(let text, let isPlain) = node.content, !node.isNull { return (text, isPlain) }
            return nil
        }
    }

    var node: YAMLNode? {
        if case .node(let node) = value { return node }
        return nil
    }

    var foundDescription: String {
        switch value {
        case .text: return "a string"
        case .node(let node): return node.kindDescription
        }
    }
}
