import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// Ports for tests that must name a port before the process that binds it starts.
public enum TestPorts {
    /// A port nobody uses right now (bound and released here), chosen below the kernel's ephemeral
    /// range. A port from that range (what binding port 0 returns) can be handed, between its
    /// release here and the test's own bind, to any client socket's source port or any port-0
    /// listener of the tests running in parallel; below the range only another call of this
    /// function could pick it, at random among thousands — so no port is handed out twice in one
    /// test process: two tests whose proxies start slowly could otherwise both be given a port
    /// that neither has bound yet (seen once in CI as a reload test's `bind_failed`).
    public static func free() throws -> Int {
        let ceiling = ephemeralRangeStart()
        for _ in 0..<200 {
            let port = Int.random(in: 20_000..<ceiling)
            guard handedOut.withLock({ $0.insert(port).inserted }) else { continue }
            guard let channel = try? ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(host: "127.0.0.1", port: port).wait() else { continue }
            try channel.close().wait()
            return port
        }
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).wait()
        let port = channel.localAddress!.port!
        try channel.close().wait()
        return port
    }

    /// Every port `free()` has returned in this process.
    private static let handedOut = Mutex(Set<Int>())

    /// The first port of Linux's ephemeral range (`ip_local_port_range`); 32768 where it cannot be
    /// read, which is below macOS's range too.
    static func ephemeralRangeStart() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8),
              let first = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first,
              let start = Int(first), start > 21_000 else { return 32_768 }
        return start
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A port that refuses every connection for as long as it is held: bound but never listening, so
/// no other test running in parallel can be handed the same port by the kernel (a stopped server's
/// port can be, and then "unreachable" reaches someone else).
public final class RefusingPort: Sendable {
    public let port: Int
    private let descriptor: Int32

    public init() throws {
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard bound else {
            close(descriptor)
            throw IOError(errnoCode: errno, reason: "bind")
        }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit {
        close(descriptor)
    }
}
