import Testing
@testable import TWMonCore

@Suite("Names of network namespaces")
struct NamespaceNamingTests {
    static let id = "3f2a9c1b7d0e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c"
    static let uid = "5d1e2f30-4a5b-4c6d-8e7f-901a2b3c4d5e"

    typealias Candidate = NamespaceNaming.Candidate

    @Test func hostIsPIDOnesAndHasNoOwner() {
        let named = NamespaceNaming.name([Candidate(key: 10, isOwn: true, isHost: true, cgroupPath: "/init.scope")])
        #expect(named == [NetworkNamespace(name: "host", own: true, owner: nil, key: 10)])
    }

    @Test func dockerScope() {
        let path = "/system.slice/docker-\(Self.id).scope"
        let named = NamespaceNaming.name([Candidate(key: 11, isOwn: false, isHost: false, cgroupPath: path)])
        #expect(named[0].name == "docker-3f2a9c1b7d0e")
        #expect(named[0].owner == CgroupOwnerParser.owner(cgroupPath: path))
        #expect(named[0].owner?.container?.runtime == "docker")
        #expect(!named[0].own)
    }

    @Test func kubernetesPodNamesThePod() {
        let underscored = "5d1e2f30_4a5b_4c6d_8e7f_901a2b3c4d5e"
        let path = "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod\(underscored).slice/cri-containerd-\(Self.id).scope"
        let named = NamespaceNaming.name([Candidate(key: 12, isOwn: false, isHost: false, cgroupPath: path)])
        #expect(named[0].name == "pod-\(Self.uid)")
        #expect(named[0].owner?.container == PortOwner.Container(runtime: "containerd", id: Self.id, podUID: Self.uid))
    }

    @Test func unitThenCgroupPathThenKey() {
        let named = NamespaceNaming.name([
            Candidate(key: 13, isOwn: false, isHost: false, cgroupPath: "/system.slice/demo-private.service"),
            Candidate(key: 14, isOwn: false, isHost: false, cgroupPath: "/twmon-plain"),
            Candidate(key: 15, isOwn: false, isHost: false, cgroupPath: nil),
        ])
        #expect(named.map(\.name) == ["demo-private.service", "/twmon-plain", "netns-15"])
        #expect(named[0].owner?.unit == "demo-private.service")
        #expect(named[2].owner == nil)
    }

    @Test func namesSharedByNamespacesAllGetTheirKey() {
        let named = NamespaceNaming.name([
            Candidate(key: 20, isOwn: false, isHost: false, cgroupPath: "/user.slice/user-0.slice/session-3.scope"),
            Candidate(key: 21, isOwn: false, isHost: false, cgroupPath: "/user.slice/user-0.slice/session-3.scope"),
            Candidate(key: 22, isOwn: false, isHost: false, cgroupPath: "/user.slice/user-0.slice/session-4.scope"),
            Candidate(key: 1, isOwn: false, isHost: true, cgroupPath: "/init.scope"),
        ])
        #expect(named.map(\.name) == ["session-3.scope#20", "session-3.scope#21", "session-4.scope", "host"])
        #expect(Set(named.map(\.name)).count == named.count)
    }

    @Test func ownNamespaceOutsideTheHostsIsNamedLikeAnyOther() {
        let named = NamespaceNaming.name([
            Candidate(key: 1, isOwn: false, isHost: true, cgroupPath: "/init.scope"),
            Candidate(key: 30, isOwn: true, isHost: false, cgroupPath: "/system.slice/twmond.service"),
        ])
        #expect(named[1] == NetworkNamespace(name: "twmond.service", own: true, owner: PortOwner(cgroup: "/system.slice/twmond.service", unit: "twmond.service"), key: 30))
    }

    @Test(arguments: [
        ("0::/system.slice/nginx.service\n", "/system.slice/nginx.service"),
        ("12:pids:/x\n1:name=systemd:/y\n0::/user.slice/a b.scope\n", "/user.slice/a b.scope"),
        ("0::/\n", "/"),
    ])
    func cgroupLine(text: String, path: String) {
        #expect(NamespaceNaming.cgroupPath(inProcCgroup: text) == path)
    }

    @Test(arguments: ["", "1:name=systemd:/y\n", "0::relative\n", "0::\n"])
    func noCgroupLine(text: String) {
        #expect(NamespaceNaming.cgroupPath(inProcCgroup: text) == nil)
    }
}
