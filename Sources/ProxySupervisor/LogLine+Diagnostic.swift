import ProxyConfig
import ProxyLogging

extension LogLine {
    /// A config diagnostic as a log line, with the fields `check` prints: location, key, message
    /// and fix. Start-up and reload write the same shape, so one reader handles both.
    package init(_ diagnostic: Diagnostic, level: LogLevel, event: String) {
        self.init(level: level, event: event)
        if let location = diagnostic.origin.messagePrefix { field("location", location) }
        if let keyPath = diagnostic.keyPath { field("key", keyPath) }
        field("message", diagnostic.message)
        if let fix = diagnostic.fixIt { field("fix", fix) }
    }
}
