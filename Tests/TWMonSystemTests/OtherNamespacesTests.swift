import Foundation
import Glibc
import Testing
import TWMonCore
import TWMonSystem
import TWMonTestSupport

/// `OtherNamespaces` against real namespaces: two private namespaces with servers, one in a
/// cgroup named like a Docker container's scope and one like a Kubernetes pod's, each holding
/// TIME_WAIT on its server port. Checked against the namespaces' own /proc/PID/net tables, in
/// process and as the unprivileged user 65534 (`twmon-bench namespaces --json`).
@Suite(.enabled(if: TestEnvironment.runsRootTests, TestEnvironment.rootSkipReason), .serialized)
struct OtherNamespacesTests {
    typealias Started = ListenerOwnerTests.Started
    typealias CgroupDirectory = ListenerOwnerTests.CgroupDirectory

    /// `count` random lowercase hex digits.
    static func hex(_ count: Int) -> String {
        String((0..<count).map { _ in "0123456789abcdef".randomElement()! })
    }

    /// TIME_WAIT sockets per local port of the namespace of `pid`, read from its
    /// /proc/PID/net/tcp and tcp6 (state 06), independently of twmon's parser.
    static func timeWaitByPort(pid: Int32) throws -> [UInt16: Int] {
        var counts: [UInt16: Int] = [:]
        let reader = ProcFileReader()
        for table in ["tcp", "tcp6"] {
            // Foundation reads a file by its size, which is 0 for /proc files.
            guard try reader.read(path: "/proc/\(pid)/net/\(table)", limit: 1 << 26) else { continue }
            let text = reader.withBytes { String(decoding: $0, as: UTF8.self) }
            for line in text.split(separator: "\n").dropFirst() {
                let columns = line.split(separator: " ")
                guard columns.count > 3, columns[3] == "06", let colon = columns[1].lastIndex(of: ":"),
                      let port = UInt16(columns[1][columns[1].index(after: colon)...], radix: 16) else { continue }
                counts[port, default: 0] += 1
            }
        }
        return counts
    }

    /// The namespace key of `pid`, as `OtherNamespaces` derives it.
    static func key(of pid: Int32) throws -> UInt64 {
        var status = stat()
        try #require(stat("/proc/\(pid)/net/tcp", &status) == 0)
        return UInt64(status.st_ino)
    }

    /// TIME_WAIT per port of a read, ports without any left out.
    static func timeWait(_ read: OtherNamespaceRead) -> [UInt16: Int] {
        var counts: [UInt16: Int] = [:]
        for port in read.result.table.ports where port.timeWait > 0 { counts[port.port] = port.timeWait }
        return counts
    }

    /// A Docker-like and a pod-like namespace, each with a server holding TIME_WAIT; `body`
    /// gets both, and everything is stopped and removed afterwards.
    struct Fixture {
        var docker: ScratchNamespace
        var pod: ScratchNamespace
        var dockerServer: Started
        var podServer: Started
        var dockerID: String
        var podUID: String
    }

    static func withFixture(_ body: (Fixture) throws -> Void) throws {
        let hold = CgroupTree.shared()
        defer { hold.release() }
        let mount = try #require(try ListenerOwnerTests.cgroup2Mount())
        let dockerID = hex(64), containerID = hex(64)
        let podUID = "\(hex(8))-\(hex(4))-\(hex(4))-\(hex(4))-\(hex(12))"
        var made: [CgroupDirectory] = []
        defer { for directory in made.reversed() { directory.remove() } }
        let dockerScope = try CgroupDirectory(mount: mount, name: "docker-\(dockerID).scope")
        made.append(dockerScope)
        let top = "twmon-test-\(getpid())"
        var path = top
        for part in ["kubepods.slice", "kubepods-besteffort.slice",
                     "kubepods-besteffort-pod\(podUID.replacingOccurrences(of: "-", with: "_")).slice",
                     "cri-containerd-\(containerID).scope"] {
            made.append(try CgroupDirectory(mount: mount, name: path))
            path += "/" + part
        }
        let podScope = try CgroupDirectory(mount: mount, name: path)
        made.append(podScope)

        let docker = try ScratchNamespace(), pod = try ScratchNamespace()
        defer { docker.close(); pod.close() }
        let loadgen = TestEnvironment.executable("twmon-loadgen")
        let dockerServer = try Started([loadgen, "--listen", "127.0.0.1", "--port", "8080", "--time-wait", "40", "--hold"], in: docker, cgroup: dockerScope)
        defer { dockerServer.stop() }
        let podServer = try Started([loadgen, "--listen", "::", "--port", "9090", "--connect", "::1", "--time-wait", "25", "--established", "2", "--hold"], in: pod, cgroup: podScope)
        defer { podServer.stop() }
        try #require(dockerServer.waitForLine("ready", timeout: .seconds(30)))
        try #require(podServer.waitForLine("ready", timeout: .seconds(30)))
        try body(Fixture(docker: docker, pod: pod, dockerServer: dockerServer, podServer: podServer, dockerID: dockerID, podUID: podUID))
    }

    @Test func namesCountsSkipsAndForgets() throws {
        try Self.withFixture { fixture in
            let dockerPID = fixture.dockerServer.process.processIdentifier, podPID = fixture.podServer.process.processIdentifier
            let dockerKey = try Self.key(of: dockerPID), podKey = try Self.key(of: podPID)
            #expect(dockerKey != podKey)
            let namespaces = OtherNamespaces()

            // The same ports watched at every scan: other ports to watch are a reason to read again.
            let watching = ["docker-\(fixture.dockerID.prefix(12))": [UInt16(8080)]]
            let first = namespaces.scan(watchingPeers: watching, topPeers: 3)
            #expect(first.own.own)
            #expect(first.own.name == NetworkNamespace.hostName, "the tests run in the host's namespace")
            let docker = try #require(first.others.first { $0.netns.key == dockerKey })
            let pod = try #require(first.others.first { $0.netns.key == podKey })
            #expect(docker.netns.name == "docker-\(fixture.dockerID.prefix(12))")
            #expect(docker.netns.owner?.container == PortOwner.Container(runtime: "docker", id: fixture.dockerID))
            #expect(pod.netns.name == "pod-\(fixture.podUID)")
            #expect(pod.netns.owner?.container?.podUID == fixture.podUID)
            #expect(try Self.timeWait(docker) == Self.timeWaitByPort(pid: dockerPID))
            #expect(Self.timeWait(docker) == [8080: 40])
            #expect(try Self.timeWait(pod) == Self.timeWaitByPort(pid: podPID))
            #expect(Self.timeWait(pod)[9090] == 25)
            #expect(docker.readInFull && pod.readInFull)
            #expect(docker.counters.timeWait?.timeWait == 40)
            #expect(docker.counters.timeWait?.maxBuckets == nil)
            #expect(docker.counters.timeWaitEvents != nil)
            #expect(docker.result.table[port: 8080]?.owner == docker.netns.owner, "a listener is owned by its namespace's owner")
            #expect(docker.result.byproducts.topPeers[8080]?.first?.count == 40)
            #expect(first.figures.discovered >= 2 && first.figures.readInFull >= 2)
            #expect(!first.others.contains { $0.netns.own })

            // A namespace without any TCP socket: empty, exact, never read in full.
            let quiet = try ScratchNamespace()
            defer { quiet.close() }
            // Ended by `close()` (SIGTERM): long enough for a slow scan under load.
            let sleeper = try quiet.start(["sleep", "120"])
            var quietKey: UInt64?
            for _ in 0..<100 where quietKey == nil {
                // Until `ip netns exec` has entered the namespace and become `sleep`.
                if let key = try? Self.key(of: sleeper.pid), key != (try Self.key(of: getpid())) { quietKey = key }
                usleep(10_000)
            }
            let emptyScan = namespaces.scan(watchingPeers: watching, topPeers: 3)
            let empty = try #require(emptyScan.others.first { $0.netns.key == quietKey })
            #expect(empty.activity.isEmpty && !empty.readInFull)
            #expect(empty.result.table.ports.isEmpty)
            #expect(emptyScan.figures.empty >= 1)

            // Nothing moved: both tables kept, not read again.
            let second = namespaces.scan(watchingPeers: watching, topPeers: 3)
            let dockerKept = try #require(second.others.first { $0.netns.key == dockerKey })
            let podKept = try #require(second.others.first { $0.netns.key == podKey })
            #expect(!dockerKept.readInFull && !podKept.readInFull)
            #expect(dockerKept.result.table == docker.result.table)
            #expect(dockerKept.result.byproducts.topPeers == docker.result.byproducts.topPeers)
            #expect(dockerKept.readAt == docker.readAt)
            #expect(second.figures.unchanged >= 2)

            // New traffic in one: only that one is read again, and sees its new closes.
            try fixture.docker.check([TestEnvironment.executable("twmon-loadgen"), "--listen", "127.0.0.1", "--port", "8081", "--time-wait", "5"])
            let third = namespaces.scan(watchingPeers: watching, topPeers: 3)
            let dockerRead = try #require(third.others.first { $0.netns.key == dockerKey })
            let podStill = try #require(third.others.first { $0.netns.key == podKey })
            #expect(dockerRead.readInFull)
            #expect(!podStill.readInFull)
            #expect(try Self.timeWait(dockerRead) == Self.timeWaitByPort(pid: dockerPID))
            #expect(Self.timeWait(dockerRead)[8081] == 5)
            #expect(dockerRead.result.byproducts.newActiveCloses[8081] == 5)
            #expect(dockerRead.result.byproducts.newActiveCloses[8080] == nil)

            // The pod's last process ends: the namespace is no longer found, its state dropped.
            fixture.podServer.stop()
            let fourth = namespaces.scan()
            #expect(!fourth.others.contains { $0.netns.key == podKey })
            #expect(!namespaces.tracks(key: podKey))
            #expect(namespaces.tracks(key: dockerKey))
        }
    }

    @Test func aCapturedProcRootHasOnlyTheOwnNamespace() {
        let scan = OtherNamespaces(procRoot: "/nonexistent/proc").scan()
        #expect(scan.own == .ownHost)
        #expect(scan.others.isEmpty)
        #expect(scan.figures.discovered == 0)
    }

    @Test func anUnprivilegedUserSeesTheSame() throws {
        try Self.withFixture { fixture in
            let dockerPID = fixture.dockerServer.process.processIdentifier, podPID = fixture.podServer.process.processIdentifier
            let result = try ChildProcess.run([
                "setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                TestEnvironment.executable("twmon-bench"), "namespaces", "--json",
            ])
            try #require(result.status == 0, "\(result.standardError)")
            let json = try JSONValue.parse(Array(result.standardOutput.utf8))
            let found = try json.array("namespaces")
            for (pid, name) in [(dockerPID, "docker-\(fixture.dockerID.prefix(12))"), (podPID, "pod-\(fixture.podUID)")] {
                let key = try Self.key(of: pid)
                let entry = try #require(try found.first { try $0.int("key") == Int(key) }, "namespace \(name) not seen as user 65534")
                #expect(try entry.string("name") == name)
                var counts: [UInt16: Int] = [:]
                for port in try entry.array("ports") where try port.int("time_wait") > 0 {
                    counts[UInt16(try port.int("port"))] = try port.int("time_wait")
                }
                #expect(try counts == Self.timeWaitByPort(pid: pid))
            }
        }
    }
}
