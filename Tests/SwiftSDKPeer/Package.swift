// swift-tools-version:6.1
import PackageDescription

/// The official MCP Swift SDK (0.12.1) as a peer of the proxy: its stdio client launches
/// `mcp-auth-proxy stdio`, its HTTP client talks to a listener, and its HTTP server transport,
/// served over SwiftNIO behind an auth-gateway signature check, is the upstream. A package of its
/// own, so the proxy's build never depends on the SDK.
let package = Package(
    name: "swift-sdk-peer",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk.git", exact: "0.12.1"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.65.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
    ],
    targets: [
        .executableTarget(name: "swift-sdk-peer", dependencies: [
            .product(name: "MCP", package: "swift-sdk"),
            .product(name: "SystemPackage", package: "swift-system"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
