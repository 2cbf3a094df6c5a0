import Foundation
import Glibc
import Testing

/// Facts about where the tests run, and how root-only tests decide to run.
enum TestEnvironment {
    /// CI sets `CI=true`; there, root-only tests must run (and fail if they cannot).
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    static let isRoot = geteuid() == 0

    /// Root-only suites run as root, and always in CI.
    static let runsRootTests = isRoot || isCI

    /// Debian's Prometheus server (package `prometheus`, which .ci/run installs).
    static let prometheus = "/usr/bin/prometheus"

    static let rootSkipReason: Comment = "needs root for a private network namespace (ip netns); runs when CI=true"

    /// The folder with the built executables (`twmonctl`, `twmond`, `twmon-loadgen`): the
    /// test bundle sits beside them, or `TWMON_BIN_DIR` names it.
    static let binDirectory: URL = {
        if let override = ProcessInfo.processInfo.environment["TWMON_BIN_DIR"] {
            return URL(fileURLWithPath: override)
        }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("twmonctl").path) { return url }
        }
        return URL(fileURLWithPath: ".build/debug")
    }()

    static func executable(_ name: String) -> String {
        binDirectory.appendingPathComponent(name).path
    }

    /// `twmon-loadgen`, for `ScratchNamespace.startLoad`.
    static let loadgen = executable("twmon-loadgen")
}
