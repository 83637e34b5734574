import Foundation

/// This process's open TCP socket descriptors with an end on one of `ports`: an exact count for
/// one proxy and its upstream, where a count of every descriptor would include whatever the
/// tests running beside it open and close meanwhile.
///
/// Reads `/proc/self/net/tcp{,6}` for the sockets' inodes and `/proc/self/fd` for the
/// descriptors that refer to them (Linux only).
public enum OpenSockets {
    public static func count(touching ports: Set<Int>) -> Int {
        var inodes = Set<String>()
        for table in ["/proc/self/net/tcp", "/proc/self/net/tcp6"] {
            guard let text = readWhole(table) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let columns = line.split(separator: " ")
                guard columns.count > 9 else { continue }
                let endpoints = [columns[1], columns[2]].compactMap { $0.split(separator: ":").last.flatMap { Int($0, radix: 16) } }
                if endpoints.contains(where: ports.contains) { inodes.insert(String(columns[9])) }
            }
        }
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return descriptors.filter { descriptor in
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(descriptor)"),
                  target.hasPrefix("socket:[") else { return false }
            return inodes.contains(String(target.dropFirst(8).dropLast()))
        }.count
    }

    /// A `/proc` file's whole text. Such files report a size of 0, and a read sized by the
    /// reported size can stop after the first page, where a busy test process's socket table
    /// runs on for many more.
    private static func readWhole(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var data = Data()
        while let chunk = try? handle.read(upToCount: 1 << 16), !chunk.isEmpty { data.append(chunk) }
        return String(decoding: data, as: UTF8.self)
    }
}
