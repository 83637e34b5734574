/// libFuzzer entry point for the request checks: the JSON-RPC body check, the target router and
/// the Host/Origin policy. Invariants: no crash, and a forwarded target never leaves the upstream path.
@_cdecl("LLVMFuzzerTestOneInput")
public func requestChecksFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    _ = JSONRPCBodyCheck.check(bytes)
    let text = String(decoding: bytes, as: UTF8.self)
    let router = RequestRouter(mcpPath: "/mcp", upstreamBasePath: "/base")
    if case .forward(let target) = router.route(method: "POST", target: text) {
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
        guard path.hasPrefix("/base"), !path.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }), !path.contains("//") else {
            fatalError("escaped the upstream path: \(target)")
        }
    }
    let policy = OriginPolicy(listenHost: "127.0.0.1", allowRemote: false, allowedOrigins: [])
    _ = policy.acceptsHost(text)
    if policy.acceptsOrigin(text), !text.isEmpty {
        let lower = text.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else { fatalError("accepted origin \(text)") }
    }
    return 0
}
