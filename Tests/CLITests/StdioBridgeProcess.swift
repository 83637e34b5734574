import Foundation
import ProxyTestSupport

/// `mcp-auth-proxy stdio` as an MCP client launches it: messages written to its stdin, stdout
/// read line by line as messages, stderr kept as log lines.
final class StdioBridgeProcess {
    let process: ChildProcess
    let stdout: LogLines
    let log: LogLines

    convenience init(config: URL, profile: String? = nil, environment: [String: String]) throws {
        try self.init(arguments: ["stdio", "--config", config.path] + (profile.map { ["--profile", $0] } ?? []), environment: environment)
    }

    init(arguments: [String], environment: [String: String]) throws {
        process = try ChildProcess(ProxyProcess.binary.path, arguments, environment: environment.merging(["PATH": "/usr/bin:/bin"]) { a, _ in a },
                                   stdin: .pipe)
        stdout = LogLines(process.output!)
        log = LogLines(process.errors!)
    }

    func send(_ line: String) {
        process.input!.write(Data((line + "\n").utf8))
    }

    func closeInput() {
        try? process.input!.close()
    }

    /// The messages written to stdout so far, parsed (a line that is not JSON fails the test).
    var messages: [[String: Any]] {
        stdout.all.map { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] ?? ["not json": $0] }
    }

    /// Waits for the message whose id is `id` (compared as text: 1 and "1" differ).
    func response(id: String, timeout: Double = 10) async -> [String: Any]? {
        await eventuallyValue(within: timeout, polling: .milliseconds(20)) { messages.first { Self.idText($0["id"]) == id } }
    }

    static func idText(_ id: Any?) -> String? {
        switch id {
        case let text as String: return "\"\(text)\""
        case let number as NSNumber: return number.stringValue
        case is NSNull: return "null"
        default: return nil
        }
    }

    /// Waits for the process to exit; nil if it is still running after `timeout`.
    func exitStatus(timeout: Double = 15) async -> Int32? {
        await process.exitStatus(timeout: timeout)
    }
}
