import Foundation

/// The Swift SDK peer, one mode per run:
/// - `swift-sdk-peer stdio BINARY CONFIG PROFILE`: the SDK's stdio client launches the bridge.
/// - `swift-sdk-peer http URL`: the SDK's HTTP client (plain JSON responses) talks to `URL`.
/// - `swift-sdk-peer server PORT KEY_ID`: the SDK's stateless HTTP server transport on
///   127.0.0.1:PORT, refusing any request whose auth-gateway signature (secret in `PEER_SECRET`)
///   does not check out. Runs until killed.
/// A client mode exits 0 when every answer is right, 1 with the reason otherwise.
let arguments = CommandLine.arguments
switch (arguments.count > 1 ? arguments[1] : "", arguments.count) {
case ("stdio", 5):
    try await StdioPeer.run(binary: arguments[2], config: arguments[3], profile: arguments[4])
case ("http", 3):
    try await HTTPClientPeer.run(url: arguments[2])
case ("server", 4):
    guard let port = Int(arguments[2]), let secret = ProcessInfo.processInfo.environment["PEER_SECRET"] else {
        Peer.fail("server needs a port and PEER_SECRET")
    }
    try await SignedServer(port: port, keyID: arguments[3], secret: secret).run()
default:
    FileHandle.standardError.write(Data("usage: swift-sdk-peer stdio BINARY CONFIG PROFILE | http URL | server PORT KEY_ID\n".utf8))
    exit(64)
}
