import Foundation
import MCP

/// What the client modes share: the checks on the answers, and how a failure ends the run.
enum Peer {
    static func fail(_ what: String) -> Never {
        FileHandle.standardError.write(Data("swift-sdk-peer: \(what)\n".utf8))
        exit(1)
    }

    static func check(_ condition: Bool, _ what: @autoclosure () -> String) {
        if !condition { fail(what()) }
    }

    /// tools/list, `echo` with non-ASCII text and a 400 KiB result, through whatever `client` is on.
    static func exercise(_ client: Client) async throws {
        let (tools, _) = try await client.listTools()
        check(Set(tools.map(\.name)).isSuperset(of: ["echo", "big"]), "tools listed: \(tools.map(\.name))")
        let (echoed, echoFailed) = try await client.callTool(name: "echo", arguments: ["text": "héllo from Swift"])
        check(echoFailed != true, "echo reported an error")
        if case .text(let text, _, _)? = echoed.first { check(text == "héllo from Swift", "echo returned \(text)") } else { fail("echo returned \(echoed)") }
        let (big, _) = try await client.callTool(name: "big", arguments: ["kib": 400])
        if case .text(let text, _, _)? = big.first { check(text.utf8.count == 400 * 1024, "big returned \(text.utf8.count) bytes") } else { fail("big returned \(big)") }
    }
}
