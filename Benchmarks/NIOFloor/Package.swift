// swift-tools-version:6.0
// The NIO floor of issue 30: a byte relay with nothing of the proxy in it, built like the proxy
// (scripts/build-release's flags), counted by `Benchmarks/instructions --nginx` beside nginx.
import PackageDescription

let package = Package(
    name: "nio-floor",
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
    ],
    targets: [
        .executableTarget(name: "nio-relay", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
    ]
)
