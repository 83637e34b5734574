// swift-tools-version:6.1
import PackageDescription

/// The official MCP Swift SDK (0.12.1) as a peer of the proxy: its stdio client launches
/// `mcp-auth-proxy stdio`. A package of its own, so the proxy's build never depends on the SDK.
let package = Package(
    name: "swift-sdk-peer",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk.git", exact: "0.12.1"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.0.0"),
    ],
    targets: [
        .executableTarget(name: "swift-sdk-peer", dependencies: [
            .product(name: "MCP", package: "swift-sdk"),
            .product(name: "SystemPackage", package: "swift-system"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
