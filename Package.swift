// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "twmon",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "twmond", targets: ["twmond"]),
        .executable(name: "twmonctl", targets: ["twmonctl"]),
        .executable(name: "twmon-loadgen", targets: ["twmon-loadgen"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // libsystemd (sd-daemon, sd-journal), found through pkg-config.
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        // The kernel's sock_diag netlink headers and a walker over received dump buffers.
        .target(name: "CTWMonNetlink"),
        // The close-event BPF program (bpf/, compiled by the TWMonBPFObject plugin, not by this
        // target) and its libbpf loader. libbpf is Debian's shared libbpf1 (README, "Close events").
        .target(
            name: "CTWMonCloseEvents",
            exclude: ["bpf"],
            linkerSettings: [.linkedLibrary("bpf")]
        ),
        // Builds the BPF object from source during `swift build` and embeds it in TWMonSystem.
        .plugin(name: "TWMonBPFObject", capability: .buildTool()),
        // The pure core: parsing, aggregation, alert policy, configuration, encoding. No I/O.
        .target(
            name: "TWMonCore",
            dependencies: [
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        // Thin I/O around the core: /proc and netlink readers, libsystemd wrappers, control socket.
        .target(
            name: "TWMonSystem",
            dependencies: [
                "TWMonCore",
                "CSystemd",
                "CTWMonNetlink",
                "CTWMonCloseEvents",
                .product(name: "Logging", package: "swift-log"),
            ],
            plugins: ["TWMonBPFObject"]
        ),
        // The daemon's services: poll loop, reload, control socket, shared snapshot.
        .target(
            name: "TWMonDaemon",
            dependencies: [
                "TWMonCore",
                "TWMonSystem",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "twmond",
            dependencies: [
                "TWMonCore",
                "TWMonSystem",
                "TWMonDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "twmonctl",
            dependencies: [
                "TWMonCore",
                "TWMonSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Creates real TCP sockets in known states (TIME_WAIT on a server port, ESTABLISHED,
        // CLOSE_WAIT) for the tests and the benchmark.
        .executableTarget(
            name: "twmon-loadgen",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The scan benchmark (`make bench`): the /proc floor, the /proc and netlink scans and the
        // daemon's memory and CPU, in private network namespaces.
        .executableTarget(
            name: "twmon-bench",
            dependencies: [
                "TWMonCore",
                "TWMonSystem",
                "TWMonTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // What the system tests and the benchmark share: a child-process runner, a private
        // network namespace, a NOTIFY_SOCKET listener and an exposition parser. Not a product:
        // nothing installed links it.
        .target(name: "TWMonTestSupport", dependencies: ["TWMonSystem"]),
        .testTarget(
            name: "TWMonCoreTests",
            dependencies: [
                "TWMonCore",
                // Only for TOMLSyntaxGuardTests, which checks the upstream bugs are still there.
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "TWMonSystemTests",
            dependencies: [
                "TWMonCore",
                "TWMonSystem",
                "TWMonDaemon",
                "TWMonTestSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// Each file imports what it uses: a module's members are visible only where it is imported.
for target in package.targets where target.type != .system && target.type != .plugin {
    target.swiftSettings = (target.swiftSettings ?? []) + [.enableUpcomingFeature("MemberImportVisibility")]
}

// The libFuzzer executable (Tests/Fuzz, `make fuzz`): only with TWMON_FUZZ=1, as Tests/Fuzz/run.sh
// builds it with -sanitize=fuzzer,address into .build-fuzz; an ordinary build never sees it.
if Context.environment["TWMON_FUZZ"] == "1" {
    package.targets.append(.executableTarget(name: "twmon-fuzz", dependencies: ["TWMonCore"], path: "Tests/Fuzz/twmon-fuzz"))
}
