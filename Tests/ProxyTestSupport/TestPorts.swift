import NIOCore
import NIOPosix

/// Ephemeral ports for tests that must name a port before the process that binds it starts.
public enum TestPorts {
    /// A port nobody listens on right now (bound and released here).
    public static func free() throws -> Int {
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).wait()
        let port = channel.localAddress!.port!
        try channel.close().wait()
        return port
    }
}
