/// A network namespace as twmond names it: every port, alert and figure belongs to one.
///
/// twmond reads its own namespace as it always has, and with `scan.namespaces = "all"` every
/// other namespace a process of the host lives in, through `/proc/PID/net/…` (which any user
/// may read). A namespace is known by `key`, the inode of its `/proc/PID/net/tcp` entry (one per
/// namespace, readable without privilege, reused after the namespace dies), and named after the
/// cgroup of its processes.
public struct NetworkNamespace: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// How people, labels and patterns name it, unique among the namespaces of one scan:
    /// `host` for the namespace of PID 1, else the pod (`pod-<uid>`), the container
    /// (`docker-3f2a9c1b7d0e`), the systemd unit (`demo-private.service`) or the cgroup path
    /// of its processes. Two namespaces that would share a name get `#<key>` appended.
    public var name: String
    /// True for twmond's own namespace.
    public var own: Bool
    /// The cgroup of its processes read as an owner (unit, container, pod); nil for the host's
    /// namespace and when unknown.
    public var owner: PortOwner?
    /// `stat("/proc/PID/net/tcp").st_ino` for a process in it; 0 when unknown (a captured
    /// proc root).
    public var key: UInt64

    public init(name: String, own: Bool, owner: PortOwner? = nil, key: UInt64 = 0) {
        self.name = name
        self.own = own
        self.owner = owner
        self.key = key
    }

    /// The name of the namespace of PID 1.
    public static let hostName = "host"

    /// twmond's own namespace when nothing else is known of it: the host's.
    public static let ownHost = NetworkNamespace(name: hostName, own: true)

    public var description: String { name }

    /// How a MESSAGE says where something is, after a port or before a figure: `pod
    /// 5d1e7c3a-…` (every container of a pod shares its namespace), `docker 3f2a9c1b7d0e`,
    /// `demo-private.service`, the name for anything else (escaped for people).
    public var shownName: String {
        if let pod = owner?.container?.podUID { return "pod " + TerminalText.name(pod, limit: 36) }
        if let owner, owner.alertName != nil { return owner.shownName }
        return TerminalText.name(name)
    }

    /// Own namespace first, then by name.
    public static func < (lhs: NetworkNamespace, rhs: NetworkNamespace) -> Bool {
        if lhs.own != rhs.own { return lhs.own }
        return lhs.name < rhs.name
    }
}

extension NetworkNamespace {
    /// Writes the Varlink `Netns` object: `{"own":…,"name":"…"}` and the owner's members
    /// (`unit`, `cgroup`, `container` with `runtime`, `id`, `pod_uid`) when known.
    public func write(into json: inout JSONWriter) {
        json.beginObject()
        json.member("own", own)
        json.member("name", name)
        if let owner { ScanReport.writeOwner(owner, into: &json) }
        json.endObject()
    }
}
