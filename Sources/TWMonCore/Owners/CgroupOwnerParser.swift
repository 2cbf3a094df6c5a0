/// Reads a cgroup v2 path as an owner: the systemd unit it belongs to and, for a container's
/// scope, the runtime, container id and Kubernetes pod. Pure; the path comes from
/// `INET_DIAG_CGROUP_ID` mapped through the cgroup2 mount.
///
/// The unit is the first `.service` or `.scope` component below the slices, as systemd's own
/// `sd_pid_get_unit` names it: `/user.slice/user-1000.slice/user@1000.service/app.slice/x.service`
/// is `user@1000.service`. Container scopes are read from the deepest component that names one,
/// so a container whose own systemd makes sub-cgroups is still found.
public enum CgroupOwnerParser {
    /// The owner of the cgroup at `path` (a path below the cgroup2 mount, starting with `/`).
    /// A path that names no unit gives an owner with only the cgroup: nothing is guessed.
    public static func owner(cgroupPath path: String) -> PortOwner {
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        let unit = components.first { isUnit($0) }.map(String.init)
        var container: PortOwner.Container?
        for (index, component) in components.enumerated().reversed() {
            if let found = containerScope(component, parents: components[..<index]) {
                container = found
                break
            }
        }
        return PortOwner(cgroup: path, unit: unit, container: container)
    }

    /// A systemd unit name of the kinds a process can run in.
    static func isUnit(_ component: Substring) -> Bool {
        (component.hasSuffix(".service") || component.hasSuffix(".scope")) && component.count > 6
            && !component.hasPrefix(".")
    }

    /// Scope prefixes of the container runtimes, as their systemd cgroup drivers name them.
    static let scopePrefixes: [(prefix: String, runtime: String)] = [
        ("docker-", "docker"),
        ("libpod-conmon-", "podman-conmon"),
        ("libpod-", "podman"),
        ("cri-containerd-", "containerd"),
        ("crio-conmon-", "cri-o-conmon"),
        ("crio-", "cri-o"),
    ]

    /// `docker-<id>.scope` and its kin; with a `…pod<uid>.slice` among the parents, the pod.
    static func containerScope(_ component: Substring, parents: ArraySlice<Substring>) -> PortOwner.Container? {
        guard component.hasSuffix(".scope") else { return nil }
        let name = component.dropLast(".scope".count)
        for (prefix, runtime) in scopePrefixes where name.hasPrefix(prefix) {
            let id = name.dropFirst(prefix.count)
            guard isContainerID(id) else { return nil }
            return PortOwner.Container(runtime: runtime, id: String(id), podUID: podUID(in: parents))
        }
        return nil
    }

    /// Container ids are hex digits (64 of them for docker, podman, containerd and CRI-O).
    static func isContainerID(_ text: Substring) -> Bool {
        text.count >= 12 && text.count <= 128 && text.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
        }
    }

    /// The pod uid of `kubepods-burstable-pod1b2c…_…_….slice` (the systemd driver writes the
    /// uid's dashes as underscores), from the deepest pod slice among `parents`.
    static func podUID(in parents: ArraySlice<Substring>) -> String? {
        for component in parents.reversed() where component.hasPrefix("kubepods") && component.hasSuffix(".slice") {
            let name = Array(component.dropLast(".slice".count).utf8)
            let marker = Array("-pod".utf8)
            guard name.count > marker.count,
                  let start = (0...(name.count - marker.count)).last(where: { name[$0..<($0 + marker.count)].elementsEqual(marker) })
            else { continue }
            let uid = name[(start + marker.count)...]
            guard !uid.isEmpty, uid.allSatisfy({ byte in
                byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
            }) else { continue }
            return String(decoding: uid.map { $0 == UInt8(ascii: "_") ? UInt8(ascii: "-") : $0 }, as: UTF8.self)
        }
        return nil
    }
}
