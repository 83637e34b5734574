/// Severity of a log line; `fatal` is used only for start-up failures that end the process.
package enum LogLevel: String, Sendable, Comparable, CaseIterable {
    case trace, debug, info, warning, error, fatal

    private var rank: Int {
        switch self {
        case .trace: 0
        case .debug: 1
        case .info: 2
        case .warning: 3
        case .error: 4
        case .fatal: 5
        }
    }

    package static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rank < rhs.rank }
}
