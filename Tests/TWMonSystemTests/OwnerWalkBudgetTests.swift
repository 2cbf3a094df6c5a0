import Foundation
import Glibc
import Testing
import TWMonCore
import TWMonSystem
import TWMonTestSupport

/// The owner walk under a hostile cgroup2 subtree: 20 000 directories made under the real mount
/// (as a delegated subtree could hold), a listener in a cgroup deep below them. Each scan walks
/// at most its budget of directories, the walk resumes where it stopped, and the listener's
/// owner is found by the end of the first pass. The directories are removed bottom-up.
@Suite(.enabled(if: TestEnvironment.runsRootTests, TestEnvironment.rootSkipReason), .serialized)
struct OwnerWalkBudgetTests {
    static let groups = 100
    static let perGroup = 199
    static let budget = 2_000

    @Test func aLargeSubtreeCostsAtMostTheBudgetPerScanAndTheDeepOwnerIsFound() throws {
        let mount = try #require(try ListenerOwnerTests.cgroup2Mount(), "no cgroup2 mount in /proc/self/mountinfo")
        let top = "\(mount)/twmon-test-\(getpid())-walk"
        // Released last, after the directories are gone.
        let alone = CgroupTree.exclusive()
        defer { alone.release() }
        // Made in order, removed in reverse: every directory after its children.
        var made: [String] = []
        defer {
            let started = ContinuousClock.now
            for path in made.reversed() {
                let deadline = ContinuousClock.now + .seconds(10)
                while rmdir(path) != 0 && errno == EBUSY && ContinuousClock.now < deadline { usleep(20_000) }
            }
            print("removed \(made.count) directories in \(ContinuousClock.now - started)")
            #expect(access(top, F_OK) != 0, "\(top) is left behind")
        }
        func make(_ path: String) throws {
            guard mkdir(path, 0o755) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
            made.append(path)
        }
        let started = ContinuousClock.now
        try make(top)
        for group in 0..<Self.groups {
            let parent = "\(top)/g\(group)"
            try make(parent)
            for child in 0..<Self.perGroup { try make("\(parent)/c\(child)") }
        }
        var deep = "\(top)/deep"
        try make(deep)
        for level in 1...8 {
            deep += "/l\(level)"
            try make(deep)
        }
        deep += "/deep-api.service"
        try make(deep)
        print("made \(made.count) directories in \(ContinuousClock.now - started)")

        // A listener whose socket is made in the deep cgroup, on this namespace's loopback.
        let listener = Process()
        let output = Pipe()
        listener.executableURL = URL(fileURLWithPath: "/bin/sh")
        listener.arguments = ["-c", "echo $$ > '\(deep)/cgroup.procs' && exec \"$@\"", "sh",
                              TestEnvironment.executable("twmon-loadgen"), "--listen", "127.0.0.1", "--port", "0", "--hold"]
        listener.standardOutput = output
        try listener.run()
        defer {
            listener.terminate()
            listener.waitUntilExit()
        }
        var text = ""
        while !text.contains("ready\n") {
            let chunk = output.fileHandleForReading.availableData
            try #require(!chunk.isEmpty, "the load generator ended: \(text)")
            text += String(decoding: chunk, as: UTF8.self)
        }
        let port = try UInt16(JSONValue.parse(Array(text.split(separator: "\n")[0].utf8)).int("port"))

        let resolver = CgroupOwnerResolver(budget: Self.budget)
        let owners = ListenerOwners(resolver: resolver)
        let scanner = Scanner(source: try NetlinkSource(), owners: owners)
        let cgroup = String(deep.dropFirst(mount.count))
        var foundAt: Int?
        var scans = 0
        repeat {
            let table = try scanner.scan().table
            scans += 1
            let progress = owners.walkProgress
            print("scan \(scans): visited \(progress.visitedThisScan) in \(progress.durationThisScan), pass \(progress.passVisited) over \(progress.passScans) scans, in progress \(progress.inProgress)")
            #expect(progress.visitedThisScan <= Self.budget)
            if foundAt == nil, table.ports.first(where: { $0.port == port })?.owner?.cgroup == cgroup { foundAt = scans }
            if let owner = table.ports.first(where: { $0.port == port })?.owner {
                // Never a wrong name: the right owner, or none yet.
                #expect(owner == CgroupOwnerParser.owner(cgroupPath: cgroup))
            }
        } while owners.walkProgress.inProgress && scans < 1_000
        let progress = owners.walkProgress
        // The whole pass, resumed scan after scan, never restarted.
        #expect(progress.passVisited >= made.count)
        #expect(progress.passScans == scans)
        // Full budgets, then the rest (and a step that only closes the last directories).
        #expect(scans <= progress.passVisited / Self.budget + 1)
        let found = try #require(foundAt, "port \(port) never got the owner \(cgroup)")
        print("owner of port \(port) found at scan \(found) of \(scans)")
        #expect(try scanner.scan().table.ports.first { $0.port == port }?.owner?.unit == "deep-api.service")
    }
}
