import ProxyTestSupport
import Testing
@testable import ProxyDataPlane

@Suite("JSON-RPC body check")
struct JSONRPCBodyCheckTests {
    func check(_ text: String) -> JSONRPCBodyVerdict {
        Array(text.utf8).withUnsafeBytes { JSONRPCBodyCheck.check($0) }
    }

    @Test("valid messages and batches", arguments: [
        (#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"a":[1,2.5e3,-0.1,true,null,"\u00e9\n"]}}"#, "tools/call"),
        (#" {"method":"initialize","jsonrpc":"2.0","id":"x"} "#, "initialize"),
        (#"{"jsonrpc":"2.0","id":1,"result":{}}"#, nil),
    ] as [(String, String?)])
    func valid(text: String, method: String?) {
        #expect(check(text) == .valid(method: method))
    }

    @Test("a batch is valid when every element is a JSON-RPC object")
    func batch() {
        #expect(check(#"[{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","method":"b"}]"#) == .valid(method: nil))
        #expect(check(#"[{"jsonrpc":"2.0","method":"a"},1]"#) == .invalidRequest)
    }

    @Test("malformed JSON is a parse error", arguments: [
        "", "{", #"{"a":}"#, #"{"a":1,}"#, "[1,]", #"{"a":01}"#, #"{"a":"\x"}"#, "{\"a\":\"\u{01}\"}", "nul", #"{"a":1} x"#,
        String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
    ])
    func parseErrors(text: String) {
        #expect(check(text) == .parseError)
    }

    @Test("well-formed JSON that is not JSON-RPC is an invalid request", arguments: [
        "[]", "42", #""s""#, #"{"jsonrpc":"1.0","method":"a"}"#, #"{"method":"a"}"#,
    ])
    func invalid(text: String) {
        #expect(check(text) == .invalidRequest)
    }
}

@Suite("routing")
struct RequestRouterTests {
    let router = RequestRouter(mcpPath: "/mcp", upstreamBasePath: "/v1/mcp")

    @Test("MCP paths map below the upstream path, queries kept")
    func mapping() {
        #expect(router.route(method: "POST", target: "/mcp") == .forward(upstreamTarget: "/v1/mcp"))
        #expect(router.route(method: "GET", target: "/mcp/x?tenant=a%20b") == .forward(upstreamTarget: "/v1/mcp/x?tenant=a%20b"))
        #expect(router.route(method: "POST", target: "/mcpx") == .notFound)
        #expect(RequestRouter(mcpPath: "/mcp", upstreamBasePath: "").route(method: "POST", target: "/mcp") == .forward(upstreamTarget: "/"))
    }

    @Test("targets that could escape the endpoint are refused", arguments: [
        "http://other.host/mcp", "//other.host/mcp", "/mcp/../x", "/mcp/./x", "/mcp/%2E%2E/x", "/mcp/a%2Fb", "/mcp/a%5cb",
        "/mcp/a%00", "/mcp/a\\b", "/mcp//x", "/mcp#frag",
    ])
    func unsafe(target: String) {
        if case .badTarget = router.route(method: "POST", target: target) {} else {
            Issue.record("\(target) was not refused")
        }
    }

    @Test("discovery probes are recognised on every path form")
    func discovery() {
        for target in ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp", "/register", "/token", "/authorize"] {
            #expect(router.route(method: "GET", target: target) == .discoveryProbe)
        }
    }
}

@Suite("Host and Origin policy")
struct OriginPolicyTests {
    let policy = OriginPolicy(listenHost: "127.0.0.1", allowRemote: false, allowedOrigins: ["https://app.example.com"])

    @Test("Host must name the listener or a loopback name, any port")
    func hosts() {
        for host in ["127.0.0.1:8931", "localhost", "LOCALHOST:1", "127.1.2.3", "[::1]:8931"] {
            #expect(policy.acceptsHost(host), "\(host)")
        }
        for host in ["evil.example:8931", "127.0.0.1.evil.example", "127.300.0.1", "127.0.0", "localhost:80a", "", "[::2]"] {
            #expect(!policy.acceptsHost(host), "\(host)")
        }
        #expect(!policy.acceptsHost(nil))
    }

    @Test("Origin is loopback (same rule as Host) or listed; none at all is fine")
    func origins() {
        for origin in ["http://localhost:6274", "https://127.0.0.1", "http://[::1]:3000", "https://APP.example.com", nil] as [String?] {
            #expect(policy.acceptsOrigin(origin), "\(origin ?? "none")")
        }
        for origin in ["http://evil.example", "null", "http://127.300.0.1", "file://localhost", "http://localhost/path", "http://localhost.evil.example"] {
            #expect(!policy.acceptsOrigin(origin), "\(origin)")
        }
    }
}
