#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The standard `process_*` series of Prometheus client libraries, read from `/proc/self` at
/// scrape time (Linux; elsewhere only what `getrusage` and `getrlimit` give).
struct ProcessMetrics {
    var cpuSeconds: Double?
    var residentBytes: Int?
    var virtualBytes: Int?
    var openFDs: Int?
    var maxFDs: Int?
    var startTimeSeconds: Double?

    static func read() -> ProcessMetrics {
        var metrics = ProcessMetrics()
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        if let stat = file("/proc/self/stat"), let close = stat.lastIndex(of: ")") {
            // Fields after the command name, which may itself contain spaces and parentheses.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 21, let user = Double(fields[11]), let system = Double(fields[12]), let start = Double(fields[19]),
               let virtual = Int(fields[20]), let resident = Int(fields[21]) {
                metrics.cpuSeconds = (user + system) / ticks
                metrics.virtualBytes = virtual
                metrics.residentBytes = resident * Int(sysconf(Int32(_SC_PAGESIZE)))
                if let boot = bootTime() { metrics.startTimeSeconds = boot + start / ticks }
            }
        }
        metrics.openFDs = countEntries("/proc/self/fd")
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 { metrics.maxFDs = Int(limit.rlim_cur) }
        return metrics
    }

    func emit(into buffer: inout [UInt8]) {
        func line(_ name: String, _ type: String, _ help: String, _ value: String?) {
            guard let value else { return }
            buffer += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n".utf8
        }
        line("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", cpuSeconds.map { "\($0)" })
        line("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", residentBytes.map { "\($0)" })
        line("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", virtualBytes.map { "\($0)" })
        line("process_open_fds", "gauge", "Number of open file descriptors.", openFDs.map { "\($0)" })
        line("process_max_fds", "gauge", "Maximum number of open file descriptors.", maxFDs.map { "\($0)" })
        line("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", startTimeSeconds.map { "\($0)" })
    }

    private static func bootTime() -> Double? {
        guard let stat = file("/proc/stat") else { return nil }
        for line in stat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6))
        }
        return nil
    }

    private static func file(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func countEntries(_ path: String) -> Int? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix(2)) }
            if name[0] == UInt8(ascii: ".") && (name[1] == 0 || name[1] == UInt8(ascii: ".")) { continue }
            count += 1
        }
        // The descriptor opendir itself holds.
        return count - 1
    }
}
