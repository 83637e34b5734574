/// A document the loader cannot turn into a tree: libyaml's own complaint with its position,
/// or one of the loader's limits (several documents, runaway alias expansion, undefined alias).
public struct YAMLParseError: Error, Sendable, Equatable {
    public var message: String
    public var mark: SourceMark
    public var fixIt: String?

    public init(message: String, mark: SourceMark, fixIt: String? = nil) {
        self.message = message
        self.mark = mark
        self.fixIt = fixIt
    }
}
