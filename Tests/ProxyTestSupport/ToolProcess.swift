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
        let process = try ChildProcess(path, arguments, directory: directory?.path, stdin: input == nil ? .null : .pipe, stderr: .stdout)
        if let input, let stdin = process.input {
            stdin.write(Data(input))
            try stdin.close()
        }
        let text = String(decoding: process.output!.readDataToEndOfFile(), as: UTF8.self)
        return Output(status: process.waitUntilExit(), text: text)
    }
}
