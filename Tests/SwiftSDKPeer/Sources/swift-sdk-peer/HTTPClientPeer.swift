import Foundation
import MCP

/// The SDK's HTTP client transport through a listener. On Linux it is built without its
/// event-stream reader (`#if !os(Linux) import EventSource`), so only plain JSON responses can
/// be read: the upstream behind the listener must answer in JSON (a stateless server).
enum HTTPClientPeer {
    static func run(url: String) async throws {
        guard let endpoint = URL(string: url) else { Peer.fail("not a URL: \(url)") }
        let transport = HTTPClientTransport(endpoint: endpoint, streaming: false)
        let client = Client(name: "swift-sdk-peer", version: "1.0.0")
        let initialized = try await client.connect(transport: transport)
        Peer.check(!initialized.serverInfo.name.isEmpty, "initialize answered without a server name")
        try await Peer.exercise(client)
        await client.disconnect()
        print("swift-sdk-peer: HTTP client, initialize, tools/list, echo and a 400 KiB result through \(url) (server \(initialized.serverInfo.name)): ok")
    }
}
