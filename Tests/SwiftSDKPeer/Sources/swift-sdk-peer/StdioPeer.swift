import Foundation
import MCP
import SystemPackage

/// The SDK's stdio client launches the bridge as an MCP host launches a server, and drives it:
/// initialize, tools/list, `echo`, a 400 KiB result; then stdin's end, and the bridge exits 0.
enum StdioPeer {
    static func run(binary: String, config: String, profile: String) async throws {
        let bridge = Process()
        bridge.executableURL = URL(fileURLWithPath: binary)
        bridge.arguments = ["stdio", "--config", config, "--profile", profile]
        let toBridge = Pipe()
        let fromBridge = Pipe()
        bridge.standardInput = toBridge
        bridge.standardOutput = fromBridge
        // A bridge that ends before the client is done (a bad config, a crash) fails the run at
        // once, instead of leaving the client waiting for an answer.
        let clientDone = Flag()
        bridge.terminationHandler = { process in
            guard !clientDone.isSet else { return }
            Peer.fail("the bridge exited \(process.terminationStatus) early")
        }
        try bridge.run()
        let transport = StdioTransport(
            input: FileDescriptor(rawValue: fromBridge.fileHandleForReading.fileDescriptor),
            output: FileDescriptor(rawValue: toBridge.fileHandleForWriting.fileDescriptor))
        let client = Client(name: "swift-sdk-peer", version: "1.0.0")
        let initialized = try await client.connect(transport: transport)
        Peer.check(!initialized.serverInfo.name.isEmpty, "initialize answered without a server name")
        try await Peer.exercise(client)
        await client.disconnect()
        clientDone.set()
        try toBridge.fileHandleForWriting.close()
        bridge.waitUntilExit()
        Peer.check(bridge.terminationStatus == 0, "the bridge exited \(bridge.terminationStatus)")
        print("swift-sdk-peer: stdio client, initialize, tools/list, echo and a 400 KiB result through the bridge (server \(initialized.serverInfo.name)): ok")
    }
}

/// Set once, read from the process's termination handler thread.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
