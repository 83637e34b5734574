import Foundation

/// A command-line tool the tests run to completion (promtool, openssl): its exit status and
/// everything it printed on stdout and stderr together.
public enum ToolProcess {
    public struct Output: Sendable {
        public var status: Int32
        public var text: String
    }

    /// The first executable `name` in the usual system directories, nil when it is not installed.
    public static func find(_ name: String) -> String? {
        ["/usr/bin/", "/usr/sbin/", "/usr/local/bin/"].map { $0 + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public static func run(_ path: String, _ arguments: [String], input: [UInt8]? = nil, directory: URL? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        let stdin = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        try process.run()
        if let input {
            stdin.fileHandleForWriting.write(Data(input))
            try stdin.fileHandleForWriting.close()
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return Output(status: process.terminationStatus, text: text)
    }
}
