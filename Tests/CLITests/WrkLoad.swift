import Foundation
import ProxyTestSupport

/// wrk sending JSON-RPC `ping` POSTs, started in the background so a test can act while it runs.
/// Waiting for it never blocks a thread of the test pool, which the whole suite shares.
final class WrkLoad {
    private let process: ChildProcess
    private let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("wrk-\(UUID().uuidString)")

    /// - Parameter arguments: wrk options besides the script and URL, e.g. `["-t1", "-c8", "-d4s"]`.
    /// - Parameter headers: request header fields besides Content-Type, e.g. a client token.
    init(wrk: String, url: String, arguments: [String], headers: [String: String] = [:]) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let script = directory.appendingPathComponent("post.lua")
        try """
        wrk.method = "POST"
        wrk.body = '{"jsonrpc":"2.0","id":1,"method":"ping"}'
        wrk.headers["Content-Type"] = "application/json"
        \(headers.map { "wrk.headers[\"\($0.key)\"] = \"\($0.value)\"" }.joined(separator: "\n"))
        """.write(to: script, atomically: true, encoding: .utf8)
        process = try ChildProcess(wrk, arguments + ["-s", script.path, url], stderr: .null)
    }

    deinit {
        process.terminate()
        try? FileManager.default.removeItem(at: directory)
    }

    var isRunning: Bool { process.isRunning }

    /// wrk's report once it has finished.
    func report() async throws -> String {
        while process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        return String(decoding: process.output!.readDataToEndOfFile(), as: UTF8.self)
    }

    /// The requests wrk saw completed, from its "N requests in" line (-1 when absent).
    static func completed(_ report: String) -> Int {
        report.split(separator: "\n").first { $0.contains("requests in") }
            .flatMap { Int($0.split(separator: " ").first ?? "") } ?? -1
    }
}
