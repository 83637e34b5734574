import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A client the way Python's `http.client` sends a request: one blocking `send` of the whole
/// request, and only then `recv` of the answer. Unlike `RawHTTPClient`, which reads while
/// it writes, it sees what a reset does to an answer that arrived while it was still sending.
public enum WriteThenReadClient {
    public struct Outcome: Sendable {
        /// `errno` of the send, when it failed (EPIPE or ECONNRESET: the peer reset the connection).
        public var sendError: Int32?
        /// `errno` of the first failed receive (ECONNRESET when a reset destroyed the answer).
        public var receiveError: Int32?
        public var received: [UInt8]
        public var text: String { String(decoding: received, as: UTF8.self) }
    }

    /// Sends `request` in one call, then reads until the peer closes, an error, or `timeout`
    /// seconds without data. Runs on its own thread, so it blocks no task.
    public static func exchange(port: Int, request: [UInt8], timeout: Int = 10) async -> Outcome {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: run(port: port, request: request, timeout: timeout))
            }
        }
    }

    private static func run(port: Int, request: [UInt8], timeout: Int) -> Outcome {
        var outcome = Outcome(received: [])
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { return Outcome(sendError: errno, received: []) }
        defer { close(descriptor) }
        var noSignal: Int32 = 1
        #if canImport(Darwin)
        setsockopt(descriptor, SOL_SOCKET, SO_NOSIGPIPE, &noSignal, socklen_t(MemoryLayout<Int32>.size))
        #endif
        var wait = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { return Outcome(sendError: errno, received: []) }
        _ = noSignal
        var sent = 0
        request.withUnsafeBytes { bytes in
            while sent < bytes.count {
                #if canImport(Glibc)
                let count = send(descriptor, bytes.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
                #else
                let count = send(descriptor, bytes.baseAddress! + sent, bytes.count - sent, 0)
                #endif
                if count < 0 {
                    if errno == EINTR { continue }
                    outcome.sendError = errno
                    return
                }
                sent += count
            }
        }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count > 0 {
                outcome.received += buffer[..<count]
            } else {
                if count < 0 { outcome.receiveError = errno }
                return outcome
            }
        }
    }
}
