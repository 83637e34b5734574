import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `healthcheck`: asks a running proxy's admin listener whether it is healthy, for container
/// `HEALTHCHECK`s in images that carry no curl. Exit 0 when the endpoint answers 200, else 1.
struct HealthcheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthcheck",
        abstract: "Exit 0 if the admin endpoint (default http://127.0.0.1:9464/healthz) answers 200."
    )

    @Option(name: .long, help: "The admin port.")
    var port: Int = 9464

    @Option(name: .long, help: "The path to ask: /healthz (alive) or /readyz (serving).")
    var path: String = "/healthz"

    @Option(name: .long, help: "Seconds to wait for the answer.")
    var timeout: Int = 2

    func run() throws {
        guard (1...65535).contains(port), path.hasPrefix("/"), !path.contains(where: { $0 == "\r" || $0 == "\n" || $0 == " " }) else {
            throw ValidationError("--port must be 1-65535 and --path an absolute path")
        }
        let status = Self.status(port: port, path: path, timeout: timeout)
        print(status.map { "\(path): \($0)" } ?? "\(path): no answer on 127.0.0.1:\(port)")
        if status != 200 { throw ExitCode.failure }
    }

    /// The status code of `GET path` on 127.0.0.1:port, or nil when nothing answers in time.
    static func status(port: Int, path: String, timeout: Int) -> Int? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(descriptor, $0.baseAddress, $0.count, 0) }) == request.count else { return nil }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        guard count >= 12 else { return nil }
        let line = String(decoding: buffer[0..<count], as: UTF8.self)
        guard line.hasPrefix("HTTP/1.") else { return nil }
        return Int(line.dropFirst(9).prefix(3))
    }
}
