/// A document the loader cannot turn into a tree: libyaml's own complaint with its position,
/// or one of the loader's limits (several documents, runaway alias expansion, undefined alias).
package struct YAMLParseError: Error, Sendable, Equatable {
    package var message: String
    package var mark: SourceMark
    package var fixIt: String?

    package init(message: String, mark: SourceMark, fixIt: String? = nil) {
        self.message = message
        self.mark = mark
        self.fixIt = fixIt
    }
}
