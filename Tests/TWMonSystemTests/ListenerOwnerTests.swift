import Foundation
import Glibc
import Testing
import TWMonCore
import TWMonTestSupport

/// Owners and close rates as an operator sees them, from real listeners in real cgroups and a
/// real paced load: `twmonctl scan --json`, `twmonctl ports --json` and the alert, for both
/// sources. Commands enter the test's network namespace with `nsenter --net`, which keeps the
/// host's cgroup2 mount in view (`ip netns exec` mounts a fresh /sys without it).
@Suite(.enabled(if: TestEnvironment.runsRootTests, TestEnvironment.rootSkipReason), .serialized)
struct ListenerOwnerTests {
    /// A fresh directory in the cgroup2 hierarchy, removed (once empty) by `remove()`.
    final class CgroupDirectory {
        let path: String
        /// Its path below the mount, as twmon reports it.
        let cgroup: String

        init(mount: String, name: String) throws {
            path = mount + "/" + name
            cgroup = "/" + name
            rmdir(path)
            guard mkdir(path, 0o755) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        }

        /// Removes it, waiting until the kernel has let its last process go.
        func remove() {
            let deadline = ContinuousClock.now + .seconds(10)
            while rmdir(path) != 0 && errno == EBUSY && ContinuousClock.now < deadline { usleep(20_000) }
        }
    }

    /// A process started inside the namespace, its stdout read line by line.
    final class Started {
        let process = Process()
        private let output = Pipe()
        private var text = ""

        /// Runs `command` in `namespace`, first moving the shell into `cgroup` (before the
        /// command makes any socket): `sh` writes its own PID to `cgroup.procs` and execs.
        init(_ command: [String], in namespace: ScratchNamespace, cgroup: CgroupDirectory?) throws {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            let move = cgroup.map { "echo $$ > '\($0.path)/cgroup.procs' && " } ?? ""
            process.arguments = ["-c", move + "exec nsenter --net=/run/netns/\(namespace.name) \"$@\"", "sh"] + command
            process.standardOutput = output
            try process.run()
        }

        /// Waits for a line; false when the process ends or `timeout` passes first.
        func waitForLine(_ line: String, timeout: Duration) -> Bool {
            let deadline = ContinuousClock.now + timeout
            let handle = output.fileHandleForReading
            while !text.split(separator: "\n").contains(Substring(line)) {
                guard ContinuousClock.now < deadline, process.isRunning || !text.isEmpty else { return false }
                var poller = pollfd(fd: handle.fileDescriptor, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, 200) >= 0 else { return false }
                if poller.revents != 0 {
                    let chunk = handle.availableData
                    if chunk.isEmpty { return text.split(separator: "\n").contains(Substring(line)) }
                    text += String(decoding: chunk, as: UTF8.self)
                }
            }
            return true
        }

        func stop() {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
    }

    static func cgroup2Mount() throws -> String? {
        MountInfoParser.cgroup2MountPoint(in: try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8))
    }

    /// `twmonctl ARGUMENTS` inside the namespace.
    static func twmonctl(_ arguments: [String], in namespace: ScratchNamespace) throws -> ChildProcess.CommandResult {
        try ChildProcess.run(["nsenter", "--net=/run/netns/\(namespace.name)", TestEnvironment.executable("twmonctl")] + arguments)
    }

    /// The port objects of a `scan --json` or `ports --json` output, by port.
    static func ports(_ output: String) throws -> [Int: JSONValue] {
        let json = try JSONValue.parse(Array(output.utf8))
        var ports: [Int: JSONValue] = [:]
        for port in try json.array("ports") { ports[try port.int("port")] = port }
        return ports
    }

    @Test func listenersAreReportedWithTheUnitOfTheirCgroupBothSources() async throws {
        try await OwnThread.run {
            let tree = CgroupTree.shared()
            defer { tree.release() }
            let mount = try #require(try Self.cgroup2Mount(), "no cgroup2 mount in /proc/self/mountinfo")
            let namespace = try ScratchNamespace()
            defer { namespace.close() }
            let unit = "twmon-test-\(getpid())-demo-api.service"
            let unitGroup = try CgroupDirectory(mount: mount, name: unit)
            let plainGroup = try CgroupDirectory(mount: mount, name: "twmon-test-\(getpid())-plain")
            let loadgen = TestEnvironment.executable("twmon-loadgen")
            let server = try Started([loadgen, "--port", "8080", "--time-wait", "300", "--hold"], in: namespace, cgroup: unitGroup)
            let other = try Started([loadgen, "--port", "9090", "--time-wait", "5", "--hold"], in: namespace, cgroup: plainGroup)
            defer {
                server.stop()
                other.stop()
                unitGroup.remove()
                plainGroup.remove()
            }
            try #require(server.waitForLine("ready", timeout: .seconds(30)) && other.waitForLine("ready", timeout: .seconds(30)))

            for source in ["proc", "netlink"] {
                let scan = try Self.twmonctl(["scan", "--json", "--source", source], in: namespace)
                #expect(scan.status == 0 && scan.standardError.isEmpty, "\(source): \(scan.standardError)")
                let scanned = try Self.ports(scan.standardOutput)
                #expect(scanned[8080]?["unit"] == .string(unit), "\(source): \(scan.standardOutput)")
                #expect(scanned[8080]?["cgroup"] == .string(unitGroup.cgroup))
                // A cgroup that is no unit's: its path, and no unit made up.
                #expect(scanned[9090]?["cgroup"] == .string(plainGroup.cgroup), "\(source): \(scan.standardOutput)")
                #expect(scanned[9090]?["unit"] == nil)
                let table = try Self.twmonctl(["scan", "--source", source, "--listening"], in: namespace)
                #expect(table.standardOutput.split(separator: "\n").contains { $0.hasPrefix("8080 ") && $0.contains(" server  \(unit) ") },
                        "\(table.standardOutput)")

                let directory = try TemporaryDirectory()
                let socket = directory.file("control.sock")
                let configuration = directory.file("twmond.toml")
                try "[scan]\nnamespaces = \"own\"\ninterval = 0.5\nsource = \"\(source)\"\n[alert]\ntime_wait_threshold = 100\nsustain = 1\n"
                    .write(toFile: configuration, atomically: true, encoding: .utf8)
                let daemon = try RunningDaemon(["--config", configuration, "--socket", socket], socket: socket, in: directory,
                                               namespace: namespace.name, keepingMounts: true)
                defer { daemon.stop() }
                try daemon.waitUntilServing()
                let ports = try TwmondControlSocketTests.twmonctl(["ports", "--json", "--socket", socket])
                let listed = try Self.ports(ports.standardOutput)
                #expect(listed[8080]?["unit"] == .string(unit), "\(source): \(ports.standardOutput)")
                #expect(listed[8080]?["cgroup"] == .string(unitGroup.cgroup))
                #expect(listed[9090]?["cgroup"] == .string(plainGroup.cgroup))
                #expect(listed[9090]?["unit"] == nil)

                // The alert names the owner; 300 closes within the last minute: 5.0 per second.
                let deadline = ContinuousClock.now + .seconds(30)
                while !daemon.log.contains("TWMON_EVENT=raised") && ContinuousClock.now < deadline { usleep(100_000) }
                let alert = daemon.log.split(separator: "\n").first { $0.contains("TWMON_EVENT=raised") }.map(String.init) ?? ""
                #expect(alert.contains("port 8080 (\(unit)): 300 sockets in TIME_WAIT"), "\(source): \(daemon.log.suffix(2_000))")
                #expect(alert.contains("TWMON_UNIT=\(unit) "), "\(alert)")
                #expect(alert.contains("TWMON_CGROUP=\(unitGroup.cgroup) "), "\(alert)")
                #expect(alert.contains("TWMON_CLOSE_RATE=5.0"), "\(alert)")
                let alerts = try TwmondControlSocketTests.twmonctl(["alerts", "--json", "--socket", socket])
                let listing = try JSONValue.parse(Array(alerts.standardOutput.utf8))
                #expect(try listing.array("alerts").first?["unit"] == .string(unit), "\(alerts.standardOutput)")
                #expect(try TwmondControlSocketTests.twmonctl(["status", "--socket", socket]).standardOutput.contains(unit))
                #expect(daemon.stop() < .seconds(40))
            }
        }
    }

    /// One paced load (100 closes per second for 70 s) read by both sources: both windows at
    /// the rate while it runs; after it stops, the 10 s window at 0 within 10 s while the 60 s
    /// window decays with the age of the last minute's sockets.
    @Test func closeRateFromTheTimersBothSources() async throws {
        try await OwnThread.run {
            let tree = CgroupTree.shared()
            defer { tree.release() }
            let namespace = try ScratchNamespace()
            defer { namespace.close() }
            // Eight source addresses: no client 4-tuple repeats, so no TIME_WAIT socket is taken
            // over by a new connection before its time.
            let load = try Started([
                TestEnvironment.executable("twmon-loadgen"), "--port", "8080", "--close-rate", "100", "--duration", "70",
                "--source-addresses", "8", "--hold",
            ], in: namespace, cgroup: nil)
            defer { load.stop() }
            try #require(load.waitForLine("ready", timeout: .seconds(30)))
            let started = ContinuousClock.now

            func rates(_ source: String) throws -> (tenSeconds: Double, sixtySeconds: Double) {
                let scan = try Self.twmonctl(["scan", "--json", "--source", source, "--listening"], in: namespace)
                let port = try #require(try Self.ports(scan.standardOutput)[8080], "\(scan.standardOutput)")
                let closes = try port.field("closes_per_second")
                return (try closes.double("10s"), try closes.double("60s"))
            }

            // The 60 s window is full once the load has run 60 s.
            while ContinuousClock.now < started + .seconds(63) { usleep(200_000) }
            var during: [String: Double] = [:]
            for source in ["proc", "netlink"] {
                let (ten, sixty) = try rates(source)
                #expect((90...110).contains(ten), "\(source): 10 s window \(ten)/s during 100/s")
                #expect((90...110).contains(sixty), "\(source): 60 s window \(sixty)/s during 100/s")
                during[source] = sixty
                print("close rate during 100/s, \(source): 10 s window \(ten)/s, 60 s window \(sixty)/s")
            }

            try #require(load.waitForLine("done", timeout: .seconds(60)), "the load did not finish")
            let stopped = ContinuousClock.now
            for source in ["proc", "netlink"] {
                // The last 10 s were all load.
                let (ten, _) = try rates(source)
                #expect(ten >= 80, "\(source): 10 s window \(ten)/s right after the load")
            }
            var zeroAfter: [String: Duration] = [:]
            while zeroAfter.count < 2 && ContinuousClock.now < stopped + .seconds(25) {
                for source in ["proc", "netlink"] where zeroAfter[source] == nil {
                    let (ten, sixty) = try rates(source)
                    if ten == 0 {
                        let after = ContinuousClock.now - stopped
                        zeroAfter[source] = after
                        // The sockets of the last minute's 50-odd seconds of load are left.
                        let seconds = after.inSeconds
                        let expected = 100 * (60 - seconds) / 60
                        print("close rate after the load, \(source): 10 s window 0 after \(seconds) s, 60 s window \(sixty)/s (\(expected) expected)")
                        #expect(sixty > 0 && sixty < during[source]!, "\(source): 60 s window \(sixty)/s after the load")
                        #expect(abs(sixty - expected) <= expected * 0.12, "\(source): 60 s window \(sixty)/s, \(expected)/s expected \(seconds) s after")
                    }
                }
                usleep(250_000)
            }
            for source in ["proc", "netlink"] {
                // 10 s, and two seconds for reading "done", the scans and the polling.
                let after = try #require(zeroAfter[source], "\(source): the 10 s window never fell to 0")
                #expect(after <= .seconds(12), "\(source): 10 s window at 0 only \(after) after the load stopped")
            }
        }
    }
}
