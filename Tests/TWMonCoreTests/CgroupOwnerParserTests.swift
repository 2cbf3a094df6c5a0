import Testing
@testable import TWMonCore

@Suite("Owners from cgroup paths")
struct CgroupOwnerParserTests {
    @Test(arguments: [
        ("/system.slice/nginx.service", "nginx.service"),
        ("/user.slice/user-1000.slice/session-3.scope", "session-3.scope"),
        ("/user.slice/user-1000.slice/user@1000.service/app.slice/gunicorn.service", "user@1000.service"),
        ("/system.slice/system-getty.slice/getty@tty1.service", "getty@tty1.service"),
        ("/demo-api.service", "demo-api.service"),
        ("/system.slice/nginx.service/worker", "nginx.service"),
    ])
    func systemdUnits(path: String, unit: String) {
        let owner = CgroupOwnerParser.owner(cgroupPath: path)
        #expect(owner == PortOwner(cgroup: path, unit: unit))
        #expect(owner.displayName == unit)
    }

    @Test(arguments: ["/", "/twmon-plain", "/system.slice", "/user.slice/user-1000.slice", "/.service", "/docker/0123abcd"])
    func pathsThatNameNoUnitInventNone(path: String) {
        let owner = CgroupOwnerParser.owner(cgroupPath: path)
        #expect(owner == PortOwner(cgroup: path))
        #expect(owner.displayName == path)
    }

    static let id = "3f2a9c1b7d0e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c"

    @Test func dockerScope() {
        let path = "/system.slice/docker-\(Self.id).scope"
        let owner = CgroupOwnerParser.owner(cgroupPath: path)
        #expect(owner.unit == "docker-\(Self.id).scope")
        #expect(owner.container == PortOwner.Container(runtime: "docker", id: Self.id))
        #expect(owner.displayName == "docker 3f2a9c1b7d0e")
    }

    @Test func podmanScopeOfAUser() {
        let path = "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-\(Self.id).scope/container"
        let owner = CgroupOwnerParser.owner(cgroupPath: path)
        #expect(owner.unit == "user@1000.service")
        #expect(owner.container == PortOwner.Container(runtime: "podman", id: Self.id))
    }

    @Test func containerdUnderKubepods() {
        let pod = "5d1e7c3a-9b2f-4e6d-8a1c-0f2e3d4c5b6a"
        let path = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod\(pod.replacingAll("-", "_")).slice/cri-containerd-\(Self.id).scope"
        let owner = CgroupOwnerParser.owner(cgroupPath: path)
        #expect(owner.unit == "cri-containerd-\(Self.id).scope")
        #expect(owner.container == PortOwner.Container(runtime: "containerd", id: Self.id, podUID: pod))
        #expect(owner.displayName == "containerd 3f2a9c1b7d0e in pod \(pod)")
    }

    @Test func guaranteedPodAndCRIO() {
        let pod = "0a1b2c3d-0000-4000-8000-123456789abc"
        let path = "/kubepods.slice/kubepods-pod\(pod.replacingAll("-", "_")).slice/crio-\(Self.id).scope"
        #expect(CgroupOwnerParser.owner(cgroupPath: path).container == PortOwner.Container(runtime: "cri-o", id: Self.id, podUID: pod))
    }

    @Test func aContainerWithItsOwnSystemdKeepsTheContainer() {
        let path = "/system.slice/docker-\(Self.id).scope/system.slice/nginx.service"
        let owner = CgroupOwnerParser.owner(cgroupPath: path)
        #expect(owner.unit == "docker-\(Self.id).scope")
        #expect(owner.container?.id == Self.id)
    }

    @Test func scopesThatAreNoContainers() {
        // Not hex, too short: a scope, not a container.
        for path in ["/system.slice/docker-compose.scope", "/system.slice/docker-12ab.scope"] {
            let owner = CgroupOwnerParser.owner(cgroupPath: path)
            #expect(owner.container == nil)
            #expect(owner.unit == String(path.split(separator: "/").last!))
        }
    }

    @Test func mountInfoOfAHybridHost() {
        let text = """
            25 1 259:1 / / rw,relatime shared:1 - ext4 /dev/root rw
            31 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
            41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:10 - cgroup2 cgroup2 rw
            42 31 0:39 / /sys/fs/cgroup/memory rw,relatime shared:11 - cgroup cgroup rw,memory
            """
        #expect(MountInfoParser.cgroup2MountPoint(in: text) == "/sys/fs/cgroup/unified")
    }

    @Test func mountInfoEdgeCases() {
        #expect(MountInfoParser.cgroup2MountPoint(in: "") == nil)
        #expect(MountInfoParser.cgroup2MountPoint(in: "31 25 0:26 / /sys/fs/cgroup rw - cgroup cgroup rw,memory\ngarbage line\n") == nil)
        // Escaped blanks; no optional fields.
        #expect(MountInfoParser.cgroup2MountPoint(in: "50 1 0:40 / /run/my\\040cg rw - cgroup2 none rw") == "/run/my cg")
        // A mount of a sub-hierarchy is taken only when no root mount exists.
        let both = "50 1 0:40 /payload /mnt/sub rw - cgroup2 none rw\n51 1 0:40 / /sys/fs/cgroup rw shared:3 - cgroup2 cgroup2 rw"
        #expect(MountInfoParser.cgroup2MountPoint(in: both) == "/sys/fs/cgroup")
        #expect(MountInfoParser.cgroup2MountPoint(in: "50 1 0:40 /payload /mnt/sub rw - cgroup2 none rw") == "/mnt/sub")
    }
}

extension String {
    func replacingAll(_ old: Character, _ new: Character) -> String { String(map { $0 == old ? new : $0 }) }
}
