import Foundation
import NIOConcurrencyHelpers
import ProxyTestSupport

/// The real `mcp-auth-proxy` binary, run as a child process with a chosen environment.
struct ProxyProcess {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The binary `swift build` put beside the test bundle.
    static var binary: URL {
        let testBundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [testBundleDirectory.appendingPathComponent("mcp-auth-proxy"), packageRoot.appendingPathComponent(".build/debug/mcp-auth-proxy")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[1]
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    let process: ChildProcess
    /// The proxy's stdout and stderr, read by the test.
    var stdout: FileHandle { process.output! }
    var stderr: FileHandle { process.errors! }

    init(_ arguments: [String], environment: [String: String], directory: URL? = nil) throws {
        process = try ChildProcess(Self.binary.path, arguments, environment: environment.merging(["PATH": "/usr/bin:/bin"]) { a, _ in a },
                                   directory: (directory ?? Self.packageRoot).path)
    }

    /// Runs to completion and collects everything it printed.
    static func run(_ arguments: [String], environment: [String: String] = [:], directory: URL? = nil) throws -> Output {
        let child = try ProxyProcess(arguments, environment: environment, directory: directory)
        // stderr is read on another thread, so that neither pipe can fill while the other is read.
        let err = NIOLockedValueBox(Data())
        let errorsRead = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            err.withLockedValue { $0 = child.stderr.readDataToEndOfFile() }
            errorsRead.signal()
        }
        let out = child.stdout.readDataToEndOfFile()
        errorsRead.wait()
        let status = child.process.waitUntilExit()
        return Output(status: status, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err.withLockedValue { $0 }, as: UTF8.self))
    }

    /// Reads stderr lines until `count` lines with event `listening` arrived (or the process ended).
    func waitUntilListening(count: Int, timeout: Double = 20) -> [String] {
        var lines: [String] = []
        var buffer = Data()
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, lines.filter({ $0.contains(#""event":"listening""#) }).count < count {
            let data = stderr.availableData
            if data.isEmpty { break }
            buffer += data
            while let newline = buffer.firstIndex(of: 0x0A) {
                lines.append(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                buffer = buffer[(newline + 1)...]
            }
        }
        return lines
    }

    /// Sends SIGTERM and collects the rest of stderr and the exit status.
    func terminate() -> (status: Int32, rest: String) {
        process.terminate()
        let rest = stderr.readDataToEndOfFile()
        return (process.waitUntilExit(), String(decoding: rest, as: UTF8.self))
    }
}

/// A temporary config directory for one test.
func writeConfig(_ text: String) -> URL {
    let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("cli-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try! text.write(to: directory.appendingPathComponent("proxy.yaml"), atomically: true, encoding: .utf8)
    return directory.appendingPathComponent("proxy.yaml")
}
