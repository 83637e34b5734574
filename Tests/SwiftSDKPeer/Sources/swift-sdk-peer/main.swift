import Foundation
import MCP
import SystemPackage

/// `swift-sdk-peer BINARY CONFIG PROFILE`: launches the bridge as an MCP host launches a server,
/// and drives it with the Swift SDK's client: initialize, list the tools, call `echo` and
/// `progress`. Exits 0 when every answer is right, 1 with the reason otherwise.
let arguments = CommandLine.arguments
guard arguments.count == 4 else {
    FileHandle.standardError.write(Data("usage: swift-sdk-peer BINARY CONFIG PROFILE\n".utf8))
    exit(64)
}
let bridge = Process()
bridge.executableURL = URL(fileURLWithPath: arguments[1])
bridge.arguments = ["stdio", "--config", arguments[2], "--profile", arguments[3]]
let toBridge = Pipe()
let fromBridge = Pipe()
bridge.standardInput = toBridge
bridge.standardOutput = fromBridge
// A bridge that ends before the client is done (a bad config, a crash) fails the run at once,
// instead of leaving the client waiting for an answer.
let clientDone = ManagedAtomicFlag()
bridge.terminationHandler = { process in
    guard !clientDone.isSet else { return }
    FileHandle.standardError.write(Data("swift-sdk-peer: the bridge exited \(process.terminationStatus) early\n".utf8))
    exit(1)
}
try bridge.run()

func check(_ condition: Bool, _ what: String) {
    guard !condition else { return }
    FileHandle.standardError.write(Data("swift-sdk-peer: \(what)\n".utf8))
    bridge.terminate()
    exit(1)
}

let transport = StdioTransport(
    input: FileDescriptor(rawValue: fromBridge.fileHandleForReading.fileDescriptor),
    output: FileDescriptor(rawValue: toBridge.fileHandleForWriting.fileDescriptor))
let client = Client(name: "swift-sdk-peer", version: "1.0.0")
let initialized = try await client.connect(transport: transport)
check(initialized.serverInfo.name == "interop", "initialize answered by \(initialized.serverInfo.name)")
let (tools, _) = try await client.listTools()
check(Set(tools.map(\.name)).isSuperset(of: ["echo", "progress", "big"]), "tools listed: \(tools.map(\.name))")
let (echoed, echoFailed) = try await client.callTool(name: "echo", arguments: ["text": "héllo from Swift"])
check(echoFailed != true, "echo reported an error")
if case .text(let text, _, _)? = echoed.first { check(text == "héllo from Swift", "echo returned \(text)") } else { check(false, "echo returned \(echoed)") }
let (big, _) = try await client.callTool(name: "big", arguments: ["kib": 400])
if case .text(let text, _, _)? = big.first { check(text.utf8.count == 400 * 1024, "big returned \(text.utf8.count) bytes") } else { check(false, "big returned \(big)") }
await client.disconnect()
clientDone.set()
try toBridge.fileHandleForWriting.close()
bridge.waitUntilExit()
check(bridge.terminationStatus == 0, "the bridge exited \(bridge.terminationStatus)")
print("swift-sdk-peer: initialize, tools/list, echo and a 400 KiB result through the bridge: ok")

/// Set once, read from the process's termination handler thread.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
