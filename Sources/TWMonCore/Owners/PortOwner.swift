/// Who owns a server port: the cgroup v2 its LISTEN socket was created in, and what that cgroup
/// says in words (a systemd unit, a container). TIME_WAIT sockets have no owner of their own;
/// on a server port they belong to the service that listens there.
public struct PortOwner: Sendable, Hashable {
    /// A container found in the cgroup path.
    public struct Container: Sendable, Hashable {
        /// `docker`, `podman`, `containerd` or `cri-o`.
        public var runtime: String
        /// The container id as the runtime names it (64 hex digits).
        public var id: String
        /// The Kubernetes pod's uid, for a container of a pod.
        public var podUID: String?

        public init(runtime: String, id: String, podUID: String? = nil) {
            self.runtime = runtime
            self.id = id
            self.podUID = podUID
        }
    }

    /// The cgroup path below the cgroup2 mount (`/system.slice/nginx.service`).
    public var cgroup: String
    /// The systemd unit the cgroup belongs to (`nginx.service`, `session-3.scope`,
    /// `user@1000.service`, `docker-<id>.scope`); nil when the path names none.
    public var unit: String?
    /// The container, when the path is a container's.
    public var container: Container?

    public init(cgroup: String, unit: String? = nil, container: Container? = nil) {
        self.cgroup = cgroup
        self.unit = unit
        self.container = container
    }

    /// How an operator reads the owner in one word: the container (`containerd 3f2a9c1b7d0e in
    /// pod 5d1e…`), else the unit, else the cgroup path.
    public var displayName: String {
        describe { text, _ in text }
    }

    /// `displayName` for people (tables, messages, STATUS): escaped and cut by
    /// `TerminalText.name`, a unit or cgroup path to `TerminalText.nameLimit`, a pod uid to
    /// the 36 characters of a UUID (the runtime and id are known words and hex already).
    public var shownName: String {
        describe(TerminalText.name)
    }

    /// The one wording of `displayName`, with `part` applied to the text that came from the
    /// cgroup path and the longest it should be.
    private func describe(_ part: (String, Int) -> String) -> String {
        if let container {
            var text = "\(container.runtime) \(container.id.prefix(12))"
            if let pod = container.podUID { text += " in pod \(part(pod, 36))" }
            return text
        }
        return part(unit ?? cgroup, TerminalText.nameLimit)
    }

    /// `displayName`, or nil when it says nothing: the root cgroup, where every process of a
    /// host without systemd is. What alerts and `twmonctl status`/`alerts`/`check` show.
    public var alertName: String? {
        unit == nil && container == nil && cgroup == "/" ? nil : displayName
    }

    /// ` (nginx.service)` after a port, or nothing when the owner is unknown or says nothing:
    /// the `shownName`, for people.
    public static func suffix(_ owner: PortOwner?) -> String {
        guard let owner, owner.alertName != nil else { return "" }
        return " (\(owner.shownName))"
    }
}
