import CPosixSpawn
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A program a test starts (the real binary, wrk, Prometheus, promtool), spawned with
/// `posix_spawn` rather than Foundation's `Process`. `Process.run()` in this toolchain's
/// Foundation can crash the whole test process (swift-corelibs-foundation#5472: it reads past a
/// `/proc/self/fd` entry while listing descriptors to close). swift-subprocess scopes a child to
/// one closure, which does not fit a proxy that a test holds across many awaits and signals.
///
/// The child gets the descriptors asked for as 0, 1 and 2 and nothing else: the test process
/// holds many sockets and pipes of tests running beside it, and a child holding a copy of
/// another test's pipe would keep that test from ever reading its end of file.
public final class ChildProcess: Sendable {
    /// Where one of the child's standard descriptors goes.
    public enum Stream {
        /// A new pipe, whose other end the test holds (`input`, `output`, `errors`).
        case pipe
        /// `/dev/null`.
        case null
        /// A file the test opened; the child writes or reads it directly.
        case file(FileHandle)
        /// The same pipe as stdout (stderr only).
        case stdout
    }

    public let processIdentifier: pid_t
    /// The write end of the child's stdin, when it is a pipe.
    public let input: FileHandle?
    /// The read end of the child's stdout, when it is a pipe.
    public let output: FileHandle?
    /// The read end of the child's stderr, when it is a pipe of its own.
    public let errors: FileHandle?
    /// The wait status once reaped; reaping happens only under this lock, so that concurrent
    /// `isRunning` and `waitUntilExit()` never race for the child.
    private let reaped = Mutex<Int32?>(nil)

    public struct SpawnFailure: Error, CustomStringConvertible {
        public let executable: String
        public let errno: Int32
        public var description: String { "cannot start \(executable): \(String(cString: strerror(errno)))" }
    }

    /// - Parameter environment: the child's whole environment; nil passes this process's own.
    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, directory: String? = nil,
                stdin: Stream = .null, stdout: Stream = .pipe, stderr: Stream = .pipe) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var childEnds: [Int32] = []
        defer { childEnds.forEach { close($0) } }

        func connect(_ stream: Stream, to target: Int32, readable: Bool) throws -> FileHandle? {
            switch stream {
            case .null:
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", readable ? O_RDONLY : O_WRONLY, 0)
                return nil
            case .file(let handle):
                posix_spawn_file_actions_adddup2(&actions, handle.fileDescriptor, target)
                return nil
            case .stdout:
                posix_spawn_file_actions_adddup2(&actions, 1, target)
                return nil
            case .pipe:
                var ends: [Int32] = [0, 0]
                guard pipe(&ends) == 0 else { throw SpawnFailure(executable: executable, errno: errno) }
                let (childEnd, parentEnd) = readable ? (ends[0], ends[1]) : (ends[1], ends[0])
                childEnds.append(childEnd)
                posix_spawn_file_actions_adddup2(&actions, childEnd, target)
                return FileHandle(fileDescriptor: parentEnd, closeOnDealloc: true)
            }
        }
        input = try connect(stdin, to: 0, readable: true)
        output = try connect(stdout, to: 1, readable: false)
        errors = try connect(stderr, to: 2, readable: false)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        c_posix_spawn_close_inherited(&actions, &attributes)
        if let directory { posix_spawn_file_actions_addchdir_np(&actions, directory) }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let variables = environment.map { $0.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer {
            argv.forEach { free($0) }
            variables?.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = variables.map { posix_spawn(&pid, executable, &actions, &attributes, argv, $0) }
            ?? posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard spawned == 0 else { throw SpawnFailure(executable: executable, errno: spawned) }
        processIdentifier = pid
    }

    /// Reaps the child if it has exited; its wait status, nil while it runs.
    private func poll() -> Int32? {
        reaped.withLock { status in
            if let status { return status }
            var raw: Int32 = 0
            let result = waitpid(processIdentifier, &raw, WNOHANG)
            if result == processIdentifier { status = raw }
            return status
        }
    }

    public var isRunning: Bool { poll() == nil }

    /// A child a test left behind (an expectation threw before it was stopped) is killed and
    /// reaped here: an unreaped zombie makes Swift Testing's exit-test monitor, which waits for
    /// any child, spin on it, and the whole test run then never ends.
    deinit {
        guard poll() == nil else { return }
        kill(processIdentifier, SIGKILL)
        reaped.withLock { status in
            var raw: Int32 = 0
            while waitpid(processIdentifier, &raw, 0) < 0, errno == EINTR {}
            status = raw
        }
    }

    /// The exit code, or 128 plus the signal that ended it (as a shell reports it); -1 while it runs.
    public var terminationStatus: Int32 {
        poll().map(c_posix_spawn_exit_code) ?? -1
    }

    public func signal(_ signal: Int32) {
        if isRunning { kill(processIdentifier, signal) }
    }

    public func terminate() { signal(SIGTERM) }

    /// Blocks until the child exits; its `terminationStatus`.
    @discardableResult
    public func waitUntilExit() -> Int32 {
        while isRunning { usleep(5_000) }
        return terminationStatus
    }

    /// Waits without holding a thread of the test pool; nil if it still runs after `timeout`.
    public func exitStatus(timeout: Double) async -> Int32? {
        await eventually(within: timeout, polling: .milliseconds(20)) { !isRunning }
        return isRunning ? nil : terminationStatus
    }
}
