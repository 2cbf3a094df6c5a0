import Foundation
import Glibc
import Testing
import TWMonCore
import TWMonSystem
import TWMonTestSupport

/// twmond, running as the unprivileged user 65534 in a namespace of its own, watches servers
/// in two other network namespaces: one in a cgroup named like a Docker container's scope, one
/// like a container of a Kubernetes pod. It reports each one's TIME_WAIT as `ss` inside that
/// namespace counts it, raises the alert there under the namespace's name, keeps its own
/// namespace's figures apart, and clears the alert of a namespace whose last process ends
/// with the reason `namespace_gone`.
@Suite(.enabled(if: TestEnvironment.runsRootTests, TestEnvironment.rootSkipReason), .serialized)
struct OtherNamespacesDaemonTests {
    typealias Started = ListenerOwnerTests.Started
    typealias CgroupDirectory = ListenerOwnerTests.CgroupDirectory

    /// 64 random hex digits, as a container runtime names a container.
    static func containerID() -> String {
        (0..<4).map { _ in String(UInt64.random(in: 0...UInt64.max), radix: 16).leftPadded(16) }.joined()
    }

    /// TIME_WAIT sockets on local `port` in `namespace`, as `ss` inside it counts them.
    static func timeWaitBySS(_ namespace: ScratchNamespace, port: UInt16) throws -> Int {
        let listed = try namespace.check(["ss", "-Htan", "state", "time-wait", "( sport = :\(port) )"])
        return listed.standardOutput.split(separator: "\n").count
    }

    /// The alerts twmond lists now.
    static func alerts(_ socket: String) throws -> (active: [JSONValue], history: [JSONValue]) {
        let reply = try VarlinkClient(path: socket, timeout: .seconds(5)).call("io.twmon.Monitor.ListAlerts")
        return (try reply.array("alerts"), try reply.array("history"))
    }

    static func netnsName(_ alert: JSONValue) -> String? {
        try? alert.field("netns").string("name")
    }

    @Test func anUnprivilegedDaemonSeesServersInOtherNamespacesByName() async throws {
        try await OwnThread.run {
            let tree = CgroupTree.shared()
            defer { tree.release() }
            let mount = try #require(try ListenerOwnerTests.cgroup2Mount(), "no cgroup2 mount in /proc/self/mountinfo")
            let own = try ScratchNamespace(), docker = try ScratchNamespace(), pod = try ScratchNamespace()
            defer { own.close(); docker.close(); pod.close() }

            // The cgroups, named as dockerd and the kubelet's systemd driver name them.
            let dockerID = Self.containerID(), podContainerID = Self.containerID()
            let podUID = UUID().uuidString.lowercased()
            let dockerGroup = try CgroupDirectory(mount: mount, name: "docker-\(dockerID).scope")
            let kubepods = try CgroupDirectory(mount: mount, name: "kubepods-\(getpid()).slice")
            let besteffort = try CgroupDirectory(mount: mount, name: "kubepods-\(getpid()).slice/kubepods-besteffort.slice")
            let podSlice = try CgroupDirectory(
                mount: mount, name: "kubepods-\(getpid()).slice/kubepods-besteffort.slice/kubepods-besteffort-pod\(podUID.replacingOccurrences(of: "-", with: "_")).slice")
            let podGroup = try CgroupDirectory(mount: mount, name: String(podSlice.cgroup.dropFirst()) + "/cri-containerd-\(podContainerID).scope")
            defer { for group in [dockerGroup, podGroup, podSlice, besteffort, kubepods] { group.remove() } }

            let loadgen = TestEnvironment.executable("twmon-loadgen")
            let ownServer = try Started([loadgen, "--port", "7070", "--time-wait", "20", "--hold"], in: own, cgroup: nil)
            let dockerServer = try Started([loadgen, "--port", "8080", "--time-wait", "300", "--hold"], in: docker, cgroup: dockerGroup)
            let podServer = try Started([loadgen, "--port", "8080", "--time-wait", "150", "--established", "2", "--hold"], in: pod, cgroup: podGroup)
            defer { ownServer.stop(); dockerServer.stop(); podServer.stop() }
            for server in [ownServer, dockerServer, podServer] {
                #expect(server.waitForLine("ready", timeout: .seconds(30)))
            }

            let directory = try TemporaryDirectory()
            chmod(directory.path, 0o777)
            let config = directory.file("twmond.toml")
            try """
                [scan]
                interval = 0.5
                namespaces = "all"
                [alert]
                time_wait_threshold = 100
                sustain = 1
                """.write(toFile: config, atomically: true, encoding: .utf8)
            chmod(config, 0o644)
            let socket = directory.file("control.sock")
            let daemon = try Started([
                "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
                TestEnvironment.executable("twmond"), "--config", config, "--socket", socket,
            ], in: own, cgroup: nil)
            defer { daemon.stop() }
            _ = try TwmondControlSocketTests.waitForStatus(socket, timeout: .seconds(30))

            let dockerName = "docker-\(dockerID.prefix(12))", podName = "pod-\(podUID)"
            var active: [JSONValue] = []
            // Every namespace on the host is read in full at the first scan, each a walk of the
            // host's whole established hash: with the other suites' 100 000 sockets beside, the
            // first scans take seconds (ListAlerts answers NotReady until the first).
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                active = (try? Self.alerts(socket).active) ?? []
                let names = Set(active.compactMap(Self.netnsName))
                if names.isSuperset(of: [dockerName, podName]) { break }
                usleep(200_000)
            }
            let dockerAlert = try #require(active.first { Self.netnsName($0) == dockerName }, "no alert named \(dockerName): \(active)")
            let podAlert = try #require(active.first { Self.netnsName($0) == podName }, "no alert named \(podName): \(active)")
            #expect(try dockerAlert.string("kind") == "time_wait")
            #expect(try dockerAlert.int("port") == 8080)
            #expect(try dockerAlert.int("time_wait") == Self.timeWaitBySS(docker, port: 8080))
            #expect(try dockerAlert.field("netns").field("own") == .bool(false))
            #expect(try dockerAlert.field("netns").field("container").string("id") == dockerID)
            #expect(try podAlert.int("time_wait") == Self.timeWaitBySS(pod, port: 8080))
            #expect(try podAlert.field("netns").field("container").string("pod_uid") == podUID)
            #expect(try podAlert.field("netns").string("cgroup") == podGroup.cgroup)
            // Nothing of the others leaks into twmond's own namespace: its 7070 and nothing else.
            let status = try VarlinkClient(path: socket).call("io.twmon.Monitor.GetStatus")
            #expect(try status.field("totals").int("TIME_WAIT") == Self.timeWaitBySS(own, port: 7070))
            #expect(!active.contains { (try? $0.field("netns").field("own")) == .bool(true) })
            #expect(daemon.process.isRunning)

            // The Docker namespace's last process ends: its alert clears as gone.
            dockerServer.stop()
            var cleared: JSONValue?
            let clearDeadline = ContinuousClock.now + .seconds(60)
            while cleared == nil, ContinuousClock.now < clearDeadline {
                cleared = try? Self.alerts(socket).history.last {
                    Self.netnsName($0) == dockerName && (try? $0.string("event")) == "cleared"
                }
                if cleared == nil { usleep(200_000) }
            }
            let gone = try #require(cleared, "the alert of \(dockerName) did not clear")
            #expect(try gone.string("reason") == "namespace_gone")
            #expect(try Self.alerts(socket).active.contains { Self.netnsName($0) == podName })
        }
    }

}

private extension String {
    func leftPadded(_ width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
