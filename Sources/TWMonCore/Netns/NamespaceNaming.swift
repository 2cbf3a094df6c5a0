/// Names the network namespaces found in one scan after the cgroup of their processes.
///
/// `host` for the namespace of PID 1; for any other, from `CgroupOwnerParser.owner(cgroupPath:)`
/// of the cgroup of its lowest PID: a Kubernetes pod is `pod-<uid>` (all containers of a pod
/// share its namespace), a container `<runtime>-<first 12 hex digits of its id>`
/// (`docker-3f2a9c1b7d0e`), a systemd unit its name (`demo-private.service`), anything else the
/// cgroup path; a namespace whose cgroup could not be read, or is the root cgroup (which
/// names nobody), is `netns-<key>`. Namespaces that
/// would share a name all get `#<key>` appended, so names are unique within one scan (and a
/// namespace keeps its name from scan to scan while its lowest PID stays).
public enum NamespaceNaming {
    /// One namespace to name.
    public struct Candidate: Sendable, Equatable {
        /// `stat("/proc/PID/net/tcp").st_ino` of its processes.
        public var key: UInt64
        /// True for twmond's own namespace.
        public var isOwn: Bool
        /// True for the namespace of PID 1.
        public var isHost: Bool
        /// The cgroup v2 path of its lowest PID (`NamespaceNaming.cgroupPath(inProcCgroup:)`);
        /// nil when it could not be read.
        public var cgroupPath: String?

        public init(key: UInt64, isOwn: Bool, isHost: Bool, cgroupPath: String?) {
            self.key = key
            self.isOwn = isOwn
            self.isHost = isHost
            self.cgroupPath = cgroupPath
        }
    }

    /// The namespaces of `candidates`, in their order: named as the type says, `own` set for the
    /// own one, `owner` the parsed cgroup (nil for the host's and for one without a cgroup).
    public static func name(_ candidates: [Candidate]) -> [NetworkNamespace] {
        let named = candidates.map { candidate -> NetworkNamespace in
            if candidate.isHost { return NetworkNamespace(name: NetworkNamespace.hostName, own: candidate.isOwn, key: candidate.key) }
            let owner = candidate.cgroupPath.map(CgroupOwnerParser.owner(cgroupPath:))
            // The root cgroup (every process of a host without systemd) names nobody.
            guard let owner, owner.alertName != nil else {
                return NetworkNamespace(name: "netns-\(candidate.key)", own: candidate.isOwn, key: candidate.key)
            }
            return NetworkNamespace(name: baseName(of: owner), own: candidate.isOwn, owner: owner, key: candidate.key)
        }
        var uses: [String: Int] = [:]
        for namespace in named { uses[namespace.name, default: 0] += 1 }
        return named.map { namespace in
            guard uses[namespace.name, default: 0] > 1 else { return namespace }
            var unique = namespace
            unique.name += "#\(namespace.key)"
            return unique
        }
    }

    /// The name an owner gives its namespace before duplicates are told apart.
    static func baseName(of owner: PortOwner) -> String {
        if let container = owner.container {
            if let pod = container.podUID { return "pod-\(pod)" }
            return "\(container.runtime)-\(container.id.prefix(12))"
        }
        return owner.unit ?? owner.cgroup
    }

    /// The cgroup v2 path of `/proc/PID/cgroup` text: what follows `0::` on its `0::` line
    /// (`0::/system.slice/nginx.service`), or nil when there is none or it is not a path.
    public static func cgroupPath(inProcCgroup text: String) -> String? {
        for line in text.split(separator: "\n") where line.hasPrefix("0::") {
            let path = line.dropFirst(3)
            return path.hasPrefix("/") ? String(path) : nil
        }
        return nil
    }
}
