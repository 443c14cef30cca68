// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "LocalRouter",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "localrouter", targets: ["localrouter"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.34.1"),
    ],
    targets: [
        // C libraries from Debian packages; nothing of their C types leaks past RouterSecrets.
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CCrypt", pkgConfig: "libcrypt", providers: [.apt(["libcrypt-dev"])]),
        .target(name: "CConcurrencyHook"),

        // Pure logic: config model and validation, routing, breakers, wire formats. No I/O beyond reading a file.
        .target(
            name: "RouterCore",
            dependencies: [.product(name: "Yams", package: "Yams")]
        ),
        // Master key, encrypted stores, bcrypt, key format.
        .target(
            name: "RouterSecrets",
            dependencies: ["CSodium", "CCrypt"]
        ),
        // The daemon: Hummingbird app, auth, proxying, upstream transport, background services.
        .target(
            name: "RouterServer",
            dependencies: [
                "RouterCore",
                "RouterSecrets",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .executableTarget(
            name: "localrouter",
            dependencies: [
                "CConcurrencyHook",
                "RouterCore",
                "RouterSecrets",
                "RouterServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            // Idle RSS (docs/benchmarks.md): lld packs the binary's ~125,000 relative relocations
            // (RELR: 24 KB instead of a 2.9 MB table read at every start), and no symbols are
            // exported (--static-swift-stdlib adds -export-dynamic: 3 MB of symbol tables).
            linkerSettings: [
                .unsafeFlags(
                    ["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--no-export-dynamic"],
                    .when(platforms: [.linux], configuration: .release))
            ]
        ),

        // A fake OpenAI-compatible upstream: used by the tests, scripts/bench and scripts/e2e.
        .target(
            name: "FakeUpstream",
            dependencies: [
                "RouterCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "lr-fake-upstream",
            dependencies: ["FakeUpstream", .product(name: "Hummingbird", package: "hummingbird")]
        ),

        // libFuzzer targets for the parsers that read untrusted bytes (scripts/fuzz builds them with
        // --sanitize fuzzer -D FUZZING; a plain build replays input files through the same checks).
        .target(name: "FuzzSupport"),
        .executableTarget(name: "FuzzJSON", dependencies: ["FuzzSupport", "RouterCore"]),
        .executableTarget(name: "FuzzSSE", dependencies: ["FuzzSupport", "RouterCore"]),
        .executableTarget(name: "FuzzConfig", dependencies: ["FuzzSupport", "RouterCore"]),

        .testTarget(name: "RouterCoreTests", dependencies: ["RouterCore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "RouterSecretsTests", dependencies: ["RouterSecrets"]),
        .testTarget(
            name: "RouterServerTests",
            dependencies: [
                "RouterServer",
                "RouterCore",
                "RouterSecrets",
                "FakeUpstream",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Runs the built `localrouter` binary in a temporary HOME (build first: swift build --build-tests).
        .testTarget(
            name: "CLITests",
            dependencies: [
                "RouterSecrets",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
    ]
)
