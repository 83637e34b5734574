// swift-tools-version:6.0
import PackageDescription

/// One library target per concern, a thin executable on top.
/// The request path's own targets (`ProxyDataPlane`, `MCPMessages`, `ProxySigning`,
/// `ProxyLogging`, `ProxyMetrics`, `ProxyResourceServer`) are built with exclusivity checks off in
/// release: their state is confined to event loops or behind locks by construction, and debug
/// builds, where the tests run, keep every check (docs/performance.md, "Exclusivity checks").
let requestPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "mcp-auth-proxy",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "mcp-auth-proxy", targets: ["mcp-auth-proxy"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]
        ),
        // glibc's posix_spawn_file_actions_addclosefrom_np, for programs the proxy (secret_command)
        // and the tests start without handing them every open descriptor.
        .systemLibrary(name: "CPosixSpawn"),
        .target(name: "ProxyConfig", dependencies: [
            "CYAML", "CPosixSpawn", "ProxyLogging",
            // Client certificates are checked (readable, matching, in date) at the key that names them.
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            // `auth_scheme: jwt` private keys are parsed where they are read, so a bad one is a config error.
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ]),
        .target(name: "ProxySigning", dependencies: [
            "ProxyConfig", "ProxyLogging",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ], swiftSettings: requestPath),
        .target(name: "ProxyLogging", dependencies: [
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ], swiftSettings: requestPath),
        .target(name: "ProxyMetrics", dependencies: [
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Atomics", package: "swift-atomics"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ], swiftSettings: requestPath),
        // The MCP message layer both transports share: JSON reading, message classification,
        // SEP-2243 header values, event-stream fields, the tool policy's body checks.
        .target(name: "MCPMessages", dependencies: [
            "ProxyConfig", "ProxyLogging",
            .product(name: "NIOCore", package: "swift-nio"),
        ], swiftSettings: requestPath),
        // The audit trail: what a call's line says (arguments canonical, redacted, hashed; the
        // response's outcome), and where lines go.
        .target(name: "ProxyAudit", dependencies: [
            "MCPMessages", "ProxyConfig", "ProxyLogging",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
        ], swiftSettings: requestPath),
        // OpenTelemetry traces: W3C trace context, span records, their OTLP protobuf encoding, and
        // the bounded sink the data plane records into (the exporter is the supervisor's).
        .target(name: "ProxyTracing", dependencies: [
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ], swiftSettings: requestPath),
        .target(
            name: "ProxyDataPlane",
            dependencies: [
                "MCPMessages", "ProxyAudit", "ProxyTracing", "ProxyConfig", "ProxySigning", "ProxyLogging", "ProxyMetrics", "ProxyResourceServer",
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
            ],
            swiftSettings: requestPath
        ),
        // OAuth 2.1 toward the upstream, on the control plane: discovery, registration, login,
        // the token file, and the sessions that keep each profile's token fresh.
        .target(name: "ProxyOAuth", dependencies: [
            "MCPMessages", "ProxyConfig", "ProxySigning", "ProxyLogging", "ProxyResourceServer",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // The listener as an OAuth resource server (`client_auth: oauth`): JWKS keys, access-token
        // verification and the protected-resource answers. Synchronous and pure: the data plane
        // verifies a token it has not seen on its loop; the control plane fetches the keys.
        .target(name: "ProxyResourceServer", dependencies: [
            "MCPMessages", "ProxyConfig", "ProxyLogging",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
            .product(name: "Atomics", package: "swift-atomics"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ], swiftSettings: requestPath),
        // AWS credentials for `auth_scheme: aws-sigv4`, on the control plane: environment, the
        // shared files, credential_process, the container endpoint, web identity through STS.
        .target(name: "ProxyAWS", dependencies: [
            "ProxyConfig", "ProxySigning", "ProxyLogging", "ProxyOAuth",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .target(name: "ProxyAdmin", dependencies: [
            "ProxyMetrics", "ProxyLogging", "ProxyDataPlane",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]),
        .target(name: "ProxySupervisor", dependencies: [
            "ProxyConfig", "ProxySigning", "ProxyOAuth", "ProxyAWS", "ProxyLogging", "ProxyDataPlane", "ProxyMetrics", "ProxyAdmin", "ProxyAudit", "ProxyTracing",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]),
        .target(name: "ProxyStdio", dependencies: [
            "MCPMessages", "ProxyDataPlane", "ProxyConfig", "ProxyLogging", "ProxyAudit", "ProxyTracing",
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .executableTarget(name: "mcp-auth-proxy", dependencies: [
            "ProxyConfig", "ProxySupervisor", "ProxyLogging", "ProxyStdio", "ProxyDataPlane", "ProxySigning", "ProxyOAuth", "ProxyAWS",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]),
        // The event-stream tool-list filter under libFuzzer (scripts/fuzz); built plainly, it
        // replays saved inputs.
        .executableTarget(
            name: "event-stream-filter-fuzz",
            dependencies: ["MCPMessages", "ProxyConfig", "ProxyTestSupport", .product(name: "NIOCore", package: "swift-nio")],
            path: "Fuzz/EventStreamFilter"
        ),
        .testTarget(name: "ProxyConfigTests", dependencies: ["ProxyConfig", "ProxyTestSupport"]),
        .testTarget(name: "ProxySigningTests", dependencies: [
            "ProxySigning", "ProxyConfig", "ProxyResourceServer", "ProxyTestSupport",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ]),
        .testTarget(name: "ProxyLoggingTests", dependencies: ["ProxyLogging"]),
        .testTarget(name: "ProxyTracingTests", dependencies: ["ProxyTracing"]),
        .testTarget(name: "ProxyAuditTests", dependencies: ["ProxyAudit", "MCPMessages", "ProxyConfig", "ProxyLogging",
                                                            .product(name: "NIOCore", package: "swift-nio")]),
        .target(
            name: "ProxyTestSupport",
            dependencies: [
                "CPosixSpawn", "ProxyConfig",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/ProxyTestSupport"
        ),
        .testTarget(name: "MCPMessagesTests", dependencies: [
            "MCPMessages", "ProxyConfig", "ProxyTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .testTarget(name: "ProxyStdioTests", dependencies: [
            "ProxyStdio", "ProxyDataPlane", "MCPMessages", "ProxyConfig", "ProxyLogging",
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .testTarget(name: "ProxyOAuthTests", dependencies: ["ProxyOAuth", "MCPMessages"]),
        .testTarget(name: "ProxyAWSTests", dependencies: [
            "ProxyAWS", "ProxyConfig", "ProxySigning", "ProxyLogging", "ProxyOAuth", "ProxyTestSupport",
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]),
        .testTarget(name: "ProxyResourceServerTests", dependencies: [
            "ProxyResourceServer", "ProxyConfig", "ProxyTestSupport",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ]),
        .testTarget(name: "ProxyMetricsTests", dependencies: ["ProxyMetrics", "ProxyTestSupport"]),
        .testTarget(name: "ProxyAdminTests", dependencies: [
            "ProxyAdmin", "ProxyDataPlane", "ProxyMetrics", "ProxyTestSupport",
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .testTarget(name: "ProxyDataPlaneTests", dependencies: [
            "MCPMessages", "ProxyDataPlane", "ProxyConfig", "ProxySigning", "ProxyLogging", "ProxyMetrics", "ProxyTestSupport",
            "ProxyResourceServer", "ProxyAudit", "ProxyTracing",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "ProxySupervisorTests", dependencies: [
            "ProxySupervisor", "ProxyConfig", "ProxyLogging", "ProxyMetrics", "ProxyAdmin", "ProxyTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .testTarget(name: "CLITests", dependencies: [
            "ProxyTestSupport",
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
