import CPosixSpawn
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a `secret_command` the way a password manager's CLI expects to be run by a program:
/// no shell, stdin closed, a minimal environment, a deadline. Its stdout (minus one trailing
/// line end, LF or CRLF) is the secret; its stderr may be quoted in a diagnostic, its stdout never is.
/// Plain `posix_spawn` and `poll`, so the proxy does not link Foundation for this.
package enum SecretCommand {
    static let outputLimit = 64 * 1024
    static let stderrQuoteLimit = 512

    package enum Failure: Error, Equatable {
        case notStarted(String)
        case exited(status: Int32, stderr: String)
        case timedOut(stderr: String)
        case empty(stderr: String)
        case tooLarge

        /// What went wrong, for a diagnostic or a log line: `program` as the caller shows it,
        /// `timeout` as configured; the stderr quoted on one line, stdout never.
        package func problem(program: String, timeout: String) -> String {
            switch self {
            case .notStarted(let reason): return "cannot run \(program): \(reason)"
            case .exited(let status, let stderr): return "\(program) exited with status \(status)\(Self.quoted(stderr))"
            case .timedOut(let stderr): return "\(program) did not finish within \(timeout) and was killed\(Self.quoted(stderr))"
            case .empty(let stderr): return "\(program) printed nothing on stdout\(Self.quoted(stderr))"
            case .tooLarge: return "\(program) printed more than 64 KiB on stdout"
            }
        }

        private static func quoted(_ stderr: String) -> String {
            let trimmed = stderr.split(whereSeparator: \.isNewline).joined(separator: " ")
            return trimmed.isEmpty ? "" : "; stderr: \(trimmed)"
        }
    }

    /// A command written as a YAML list, `[program, arguments…]`: nil when it is not a non-empty
    /// list of scalars with a program first.
    static func argv(_ source: FieldSource) -> [String]? {
        guard let node = source.node, case .sequence(let items) = node.content, !items.isEmpty else { return nil }
        let argv = items.compactMap(\.scalar)
        return argv.count == items.count && !argv[0].isEmpty ? argv : nil
    }

    package static func run(_ argv: [String], environment: [String: String], timeoutMilliseconds: Int) -> Result<[UInt8], Failure> {
        guard let program = argv.first, !program.isEmpty else { return .failure(.notStarted("the command is empty")) }
        guard let path = resolve(program, path: environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin") else {
            return .failure(.notStarted("\(program) was not found on PATH"))
        }
        var stdoutPipe: [Int32] = [0, 0]
        var stderrPipe: [Int32] = [0, 0]
        guard pipe(&stdoutPipe) == 0, pipe(&stderrPipe) == 0 else { return .failure(.notStarted("cannot create pipes")) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
        for descriptor in stdoutPipe + stderrPipe { posix_spawn_file_actions_addclose(&actions, descriptor) }
        // Nothing else crosses: the command (and any agent it leaves running) would otherwise
        // hold the listeners and every connection open, and a connection the proxy closes would
        // not end while the command runs.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        c_posix_spawn_close_inherited(&actions, &attributes)
        // Its own process group: a timeout ends whatever the command started, not only the command.
        c_posix_spawn_new_process_group(&attributes)

        let arguments = argv.map { strdup($0) } + [nil]
        let variables = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in arguments { free(pointer) }
            for pointer in variables { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, &attributes, arguments, variables)
        close(stdoutPipe[1])
        close(stderrPipe[1])
        defer {
            close(stdoutPipe[0])
            close(stderrPipe[0])
        }
        guard spawned == 0 else { return .failure(.notStarted(String(cString: strerror(spawned)))) }

        var output: [UInt8] = []
        var errors: [UInt8] = []
        var open = [stdoutPipe[0], stderrPipe[0]]
        var timedOut = false
        var tooLarge = false
        let deadline = monotonicMilliseconds() + timeoutMilliseconds
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while !open.isEmpty {
            let remaining = deadline - monotonicMilliseconds()
            if remaining <= 0 { timedOut = true; break }
            var polled = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&polled, nfds_t(polled.count), Int32(min(remaining, 1000)))
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else { continue }
            for entry in polled where entry.revents != 0 {
                let count = chunk.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if count <= 0 {
                    open.removeAll { $0 == entry.fd }
                } else if entry.fd == stdoutPipe[0] {
                    output += chunk[0..<count]
                    if output.count > outputLimit + 1 { tooLarge = true }
                } else if errors.count < stderrQuoteLimit {
                    errors += chunk[0..<min(count, stderrQuoteLimit - errors.count)]
                }
            }
            if tooLarge { break }
        }
        // The whole group, before the leader is reaped (its id names the group until then): a
        // child the command started (`sleep 301 &`) would otherwise stay, adopted by init.
        if timedOut || tooLarge { kill(-pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let stderrText = String(decoding: errors, as: UTF8.self)
        if timedOut { return .failure(.timedOut(stderr: stderrText)) }
        // A trailing newline in the limit's last byte is still fine: compare after trimming.
        if output.last == 0x0A {
            output.removeLast()
            if output.last == 0x0D { output.removeLast() }
        }
        if tooLarge || output.count > outputLimit { return .failure(.tooLarge) }
        let code = c_posix_spawn_exit_code(status)
        if code != 0 { return .failure(.exited(status: code, stderr: stderrText)) }
        if output.isEmpty { return .failure(.empty(stderr: stderrText)) }
        return .success(output)
    }

    private static func resolve(_ program: String, path: String) -> String? {
        if program.contains("/") { return access(program, X_OK) == 0 ? program : nil }
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(program)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    private static func monotonicMilliseconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int(now.tv_sec) * 1000 + Int(now.tv_nsec) / 1_000_000
    }
}
