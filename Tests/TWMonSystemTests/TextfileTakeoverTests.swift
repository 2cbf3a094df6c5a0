import Foundation
import Glibc
import Testing
import TWMonCore
import TWMonTestSupport

/// Issue 20: the metrics textfile in a directory every user may write to (mode 1777). Another
/// user pre-creates every temporary name the old writer used (`.twmond.prom.PID.tmp`, twmond
/// being PID 1 of its own PID namespace here) and a symlink among them, with
/// `fs.protected_regular` off (restored afterwards) so that only twmond's own care protects it:
/// the textfile ends up twmond's, with twmond's exposition, and no file of the other user's is
/// ever written.
@Suite(.enabled(if: TestEnvironment.runsRootTests, TestEnvironment.rootSkipReason), .serialized)
struct TextfileTakeoverTests {
    static let protectedRegular = "/proc/sys/fs/protected_regular"

    @Test func anotherUsersFilesInASharedDirectoryAreNeverWritten() async throws {
        try await OwnThread.run {
            let saved = try String(contentsOfFile: Self.protectedRegular, encoding: .utf8)
            try "0\n".write(toFile: Self.protectedRegular, atomically: false, encoding: .utf8)
            defer { try? saved.write(toFile: Self.protectedRegular, atomically: false, encoding: .utf8) }

            let directory = try TemporaryDirectory()
            chmod(directory.path, 0o711)
            let shared = directory.file("textfiles")
            try #require(mkdir(shared, 0o777) == 0 && chmod(shared, 0o1777) == 0)
            let victim = directory.file("victim")
            try "untouched\n".write(toFile: victim, atomically: false, encoding: .utf8)
            let attack = try ChildProcess.run([
                "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sh", "-c",
                #"for n in $(seq 1 400); do : >"$1/.twmond.prom.$n.tmp"; done; rm "$1/.twmond.prom.2.tmp"; ln -s "$2" "$1/.twmond.prom.2.tmp""#,
                "sh", shared, victim,
            ])
            try #require(attack.status == 0, "the other user's files: \(attack.standardError)")
            let planted = try FileManager.default.contentsOfDirectory(atPath: shared).sorted()
            #expect(planted.count == 400)

            let textfile = shared + "/twmond.prom"
            let configuration = directory.file("twmond.toml")
            try "[scan]\nnamespaces = \"own\"\ninterval = 0.2\n[metrics]\ntextfile = \"\(textfile)\"\n".write(toFile: configuration, atomically: true, encoding: .utf8)
            let daemon = Process()
            daemon.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
            daemon.arguments = [
                "--pid", "--fork", "--kill-child", TestEnvironment.executable("twmond"), "--config", configuration,
                "--proc-root", try TwmondControlSocketTests.procRoot(in: directory), "--socket", directory.file("control.sock"),
            ]
            daemon.environment = ProcessInfo.processInfo.environment.filter { !["NOTIFY_SOCKET", "JOURNAL_STREAM", "LISTEN_FDS"].contains($0.key) }
            daemon.standardError = FileHandle.nullDevice
            try daemon.run()
            // unshare ignores SIGTERM while it waits; SIGKILL reaches twmond through --kill-child.
            defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
            // Several scans, each rewriting the textfile.
            try ControlServerHarness.waitUntil { FileManager.default.fileExists(atPath: textfile) }
            usleep(1_500_000)
            // twmond itself stops on SIGTERM, between writes.
            let children = try String(contentsOfFile: "/proc/\(daemon.processIdentifier)/task/\(daemon.processIdentifier)/children", encoding: .utf8)
            let twmond = try #require(pid_t(children.split(separator: " ").first ?? ""), "no child of unshare: \(children)")
            kill(twmond, SIGTERM)
            daemon.waitUntilExit()
            #expect(daemon.terminationStatus == 0)

            var status = stat()
            try #require(lstat(textfile, &status) == 0)
            #expect(status.st_mode & S_IFMT == S_IFREG)
            #expect(status.st_uid == getuid(), "the textfile belongs to uid \(status.st_uid)")
            #expect(status.st_mode & 0o7777 == 0o644)
            let exposition = try String(contentsOfFile: textfile, encoding: .utf8)
            #expect(exposition.contains("# TYPE twmon_"), "\(exposition.prefix(200))")
            // The other user's files: all there, all empty, all still theirs; the symlink's
            // target untouched. Nothing else is left behind.
            #expect(try FileManager.default.contentsOfDirectory(atPath: shared).sorted() == (planted + ["twmond.prom"]).sorted())
            for name in planted where name != ".twmond.prom.2.tmp" {
                try #require(lstat(shared + "/" + name, &status) == 0)
                #expect(status.st_uid == 65534 && status.st_size == 0 && status.st_mode & S_IFMT == S_IFREG, "\(name)")
            }
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: shared + "/.twmond.prom.2.tmp") == victim)
            #expect(try String(contentsOfFile: victim, encoding: .utf8) == "untouched\n")
        }
    }
}
