import Foundation
import Glibc
import Testing
import TWMonCore
import TWMonTestSupport

/// Issue 20: a cgroup named to attack the operator's terminal (any user with a delegated
/// subtree can make one) owns a listener that piles TIME_WAIT. twmonctl's human output, twmond's
/// stderr and the journal MESSAGE show the name escaped; `--json` and the journal's TWMON_*
/// fields keep it exact. Real parts: a cgroup2 directory, twmon-loadgen, twmond, a private
/// systemd-journald.
@Suite(.enabled(if: TestEnvironment.runsRootTests, TestEnvironment.rootSkipReason))
struct HostileOwnerNameTests {
    /// Sets the terminal title, rings, clears the screen, returns the cursor. (The kernel refuses
    /// a newline in a cgroup name.)
    static let unit = "twmon-test-\(getpid())-x\u{1b}]0;pwned\u{7}\u{1b}[2J\r.service"

    /// No byte or scalar a terminal acts on, line feeds aside.
    static func isInert(_ bytes: [UInt8]) -> Bool {
        !String(decoding: bytes, as: UTF8.self).unicodeScalars.contains { TerminalText.isEscaped($0) && $0 != "\n" }
    }

    /// A journalctl JSON value: a string, or the bytes of a value that is not printable text.
    static func bytes(_ value: Any?) -> [UInt8]? {
        if let text = value as? String { return Array(text.utf8) }
        return (value as? [Int])?.map { UInt8($0) }
    }

    @Test func aHostileCgroupNameReachesPeopleEscaped() async throws {
        try await OwnThread.run {
            let tree = CgroupTree.shared()
            defer { tree.release() }
            let mount = try #require(try ListenerOwnerTests.cgroup2Mount(), "no cgroup2 mount in /proc/self/mountinfo")
            let group = try ListenerOwnerTests.CgroupDirectory(mount: mount, name: Self.unit)
            defer { group.remove() }
            let directory = try TemporaryDirectory()
            let config = directory.file("twmond.toml")
            try "[scan]\nnamespaces = \"own\"\ninterval = 0.5\n[alert]\ntime_wait_threshold = 100\nsustain = 1\n"
                .write(toFile: config, atomically: true, encoding: .utf8)
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("scripts/journald-hostile-owner.sh").path
            let run = try ChildProcess.run([
                "unshare", "-m", "-n", "--propagation", "private", "bash", script,
                TestEnvironment.binDirectory.path, config, group.path, directory.path,
            ])
            try #require(run.status == 0, "journald-hostile-owner.sh failed: \(run.standardError)")
            let shown = TerminalText.name(Self.unit)
            #expect(shown.contains(#"x\u{1b}]0;pwned\u{7}\u{1b}[2J\u{d}.service"#))

            for name in ["ports.txt", "alerts.txt", "status.txt", "check.txt", "scan.txt", "twmond.stderr"] {
                let output = Array(try Data(contentsOf: URL(fileURLWithPath: directory.file(name))))
                #expect(Self.isInert(output), "\(name): \(String(decoding: output, as: UTF8.self).debugDescription)")
                #expect(String(decoding: output, as: UTF8.self).contains(shown), "\(name): \(String(decoding: output, as: UTF8.self))")
            }
            // The JSON has the exact name.
            for name in ["ports.json", "scan.json"] {
                let ports = try ListenerOwnerTests.ports(try String(contentsOfFile: directory.file(name), encoding: .utf8))
                #expect(ports[8080]?["unit"] == .string(Self.unit), "\(name)")
                #expect(ports[8080]?["cgroup"] == .string(group.cgroup), "\(name)")
            }
            let alerts = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: directory.file("alerts.json")))))
            #expect(try alerts.array("alerts").first?["unit"] == .string(Self.unit))

            // The journal: MESSAGE is printable text, the TWMON_* fields the exact bytes.
            let entries = try String(contentsOfFile: directory.file("journal.json"), encoding: .utf8).split(separator: "\n").compactMap {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            let raised = try #require(entries.first, "no raised entry")
            let message = try #require(raised["MESSAGE"] as? String, "MESSAGE is not text: \(raised["MESSAGE"] ?? "none")")
            #expect(message.hasPrefix("port 8080 (\(shown)): 300 sockets in TIME_WAIT"), "\(message)")
            #expect(Self.isInert(Array(message.utf8)))
            #expect(Self.bytes(raised["TWMON_UNIT"]) == Array(Self.unit.utf8))
            #expect(Self.bytes(raised["TWMON_CGROUP"]) == Array(group.cgroup.utf8))
            #expect(Self.bytes(raised["TWMON_OWNER"]) == Array(Self.unit.utf8))
        }
    }
}
