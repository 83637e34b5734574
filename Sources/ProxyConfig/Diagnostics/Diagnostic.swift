/// Where a config value came from; every diagnostic and every line of `check` names one.
package enum ConfigOrigin: Sendable, Hashable, CustomStringConvertible {
    case file(path: String, mark: SourceMark)
    case environment(variable: String)
    case commandLine(option: String)
    case builtInDefault

    package var description: String {
        switch self {
        case .file(let path, let mark): return "\(path):\(mark.line)"
        case .environment(let variable): return "env \(variable)"
        case .commandLine(let option): return "command line \(option)"
        case .builtInDefault: return "default"
        }
    }

    /// The compiler-style prefix of a message: `file:line:column` or `env NAME`.
    package var messagePrefix: String? {
        switch self {
        case .file(let path, let mark): return "\(path):\(mark.line):\(mark.column)"
        case .environment(let variable): return "env \(variable)"
        case .commandLine(let option): return "command line \(option)"
        case .builtInDefault: return nil
        }
    }
}

/// One problem found in the configuration, with enough context to print a message a user can act on.
/// Diagnostics are collected, never thrown one by one: a run reports every problem at once.
package struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    package enum Severity: String, Sendable, Hashable {
        case error
        case warning
    }

    package var severity: Severity
    package var origin: ConfigOrigin
    /// Dotted path of the offending key, e.g. `profiles.prod.upstream_url`.
    package var keyPath: String?
    package var message: String
    /// What to change; printed on its own line under the message.
    package var fixIt: String?

    package init(_ severity: Severity, at origin: ConfigOrigin, keyPath: String? = nil, _ message: String, fixIt: String? = nil) {
        self.severity = severity
        self.origin = origin
        self.keyPath = keyPath
        self.message = message
        self.fixIt = fixIt
    }

    /// `path:line:col: error: key.path: message` — the first line, without the fix-it.
    package var headline: String {
        var parts: [String] = []
        if let prefix = origin.messagePrefix { parts.append(prefix) }
        parts.append(severity.rawValue)
        var text = parts.joined(separator: ": ") + ": "
        if let keyPath { text += "\(keyPath): " }
        return text + Self.printable(message)
    }

    package var description: String {
        guard let fixIt else { return headline }
        return headline + "\n    fix: " + Self.printable(fixIt)
    }

    /// A message as one terminal line: a value quoted into it (a URL, a path, stderr of a
    /// command) may hold CR, LF or escape sequences, which are shown escaped, never acted on.
    static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return text }
        return text.unicodeScalars.map { scalar in
            scalar.value < 0x20 || scalar.value == 0x7F ? "\\u{\(String(scalar.value, radix: 16))}" : String(scalar)
        }.joined()
    }
}

extension Array where Element == Diagnostic {
    package var errors: [Diagnostic] { filter { $0.severity == .error } }
    package var warnings: [Diagnostic] { filter { $0.severity == .warning } }

    /// Most precise location first: file diagnostics by path, line, column, then environment ones.
    package func sortedForDisplay() -> [Diagnostic] {
        enumerated().sorted { lhs, rhs in
            let l = lhs.element.sortKey, r = rhs.element.sortKey
            if l != r { return l.lexicographicallyPrecedes(r) }
            return lhs.offset < rhs.offset
        }.map(\.element)
    }
}

extension Diagnostic {
    fileprivate var sortKey: [String] {
        switch origin {
        case .file(let path, let mark):
            return ["0", path, String(zeroPadded(mark.line)), String(zeroPadded(mark.column))]
        case .environment(let variable): return ["1", variable, "", ""]
        case .commandLine(let option): return ["2", option, "", ""]
        case .builtInDefault: return ["3", "", "", ""]
        }
    }
}

private func zeroPadded(_ number: Int) -> String {
    let digits = String(number)
    return String(repeating: "0", count: max(0, 9 - digits.count)) + digits
}
