/// The Varlink interface definitions twmond serves through
/// `org.varlink.service.GetInterfaceDescription`.
public enum VarlinkInterfaceDescription {
    /// `org.varlink.service`, which every Varlink service implements.
    public static let serviceName = "org.varlink.service"
    /// twmon's own interface.
    public static let monitorName = "io.twmon.Monitor"

    /// The interfaces twmond implements, as `GetInfo` lists them.
    public static let names = [serviceName, monitorName]

    /// The definition of `name`, or nil when twmond does not implement it.
    public static func definition(of name: String) -> String? {
        switch name {
        case serviceName: service
        case monitorName: monitor
        default: nil
        }
    }

    /// The standard definition of `org.varlink.service` (varlink.org, "Service").
    public static let service = """
        # The Varlink Service Interface is provided by every varlink service. It
        # describes the service and the interfaces it implements.
        interface org.varlink.service

        # Get a list of all the interfaces a service provides and information
        # about the implementation.
        method GetInfo() -> (
          vendor: string,
          product: string,
          version: string,
          url: string,
          interfaces: []string
        )

        # Get the description of an interface that is implemented by this service.
        method GetInterfaceDescription(interface: string) -> (description: string)

        # The requested interface was not found.
        error InterfaceNotFound (interface: string)

        # The requested method was not found
        error MethodNotFound (method: string)

        # The interface defines the requested method, but the service does not
        # implement it.
        error MethodNotImplemented (method: string)

        # One of the passed parameters is invalid.
        error InvalidParameter (parameter: string)

        # Client is denied access
        error PermissionDenied ()

        # Method is expected to be called with 'more' set to true, but wasn't
        error ExpectedMore ()

        """

    /// The definition of `io.twmon.Monitor`.
    public static let monitor = """
        # twmond's read-only status API: the TCP sockets of its network namespace per
        # local port and per state, and the alerts it raised (TIME_WAIT and CLOSE_WAIT
        # per port, ephemeral ports per destination, TIME_WAIT limits of the namespace).
        # Every answer comes from the latest finished scan; no call waits for a new one.
        # Times are given twice: ISO 8601 UTC text and seconds since the Unix epoch.
        # Maps of sockets per state are keyed by the kernel's state names (TIME_WAIT,
        # ESTABLISHED, ...) and leave out states without sockets.
        interface io.twmon.Monitor

        # The namespace's figures; each group is absent when its files cannot be read.
        type NamespaceCounters (
          # TIME_WAIT sockets in the namespace ("tw" in /proc/net/sockstat).
          time_wait: ?int,
          # net.ipv4.tcp_max_tw_buckets.
          max_tw_buckets: ?int,
          # net.ipv4.ip_local_port_range as LOW-HIGH, and how many of its ports are
          # not in ip_local_reserved_ports.
          ip_local_port_range: ?string,
          usable_ephemeral_ports: ?int,
          # net.ipv4.tcp_tw_reuse: 0 off, 1 on, 2 loopback only.
          tcp_tw_reuse: ?int,
          # TcpExt TCPTimeWaitOverflow and TWRecycled of /proc/net/netstat.
          tw_overflow: ?int,
          tw_recycled: ?int
        )

        # A container a server port's cgroup belongs to.
        type Container (
          # docker, podman, containerd or cri-o.
          runtime: string,
          # The container id.
          id: string,
          # The Kubernetes pod's uid, for a container of a pod.
          pod_uid: ?string
        )

        # A network namespace: twmond's own, or another one it watches
        # (scan.namespaces = "all").
        type Netns (
          # True for twmond's own namespace.
          own: bool,
          # How twmon names it: host (the namespace of PID 1), pod-<uid>,
          # docker-<id>, a unit (demo-private.service) or the cgroup path of its
          # processes; unique among the namespaces of one scan.
          name: string,
          # The cgroup of its processes read as an owner, when known (not for the
          # host's): as in Port.
          unit: ?string,
          cgroup: ?string,
          container: ?Container
        )

        \(alertTypes)

        # A process that closed connections on a port first (close events).
        type Closer (
          # Its process id (in the initial PID namespace).
          pid: int,
          # Its comm (at most 15 bytes, as the kernel gave it: untrusted text).
          comm: string,
          # Active closes counted for it (an upper bound when it shared a sample
          # slot with another process).
          closes: int
        )

        # The sockets on one local port, as `twmonctl scan --json` shows them.
        type Port (
          port: int,
          # A LISTEN socket exists on the port: it is a server port.
          listening: bool,
          # Sockets per state, IPv4 and IPv6 together.
          states: [string]int,
          ipv4: [string]int,
          ipv6: [string]int,
          # Active closes (connections this side closed first) per second, keys
          # "10s" and "60s": over the last 10 and 60 seconds, counted from the
          # remaining time of the port's TIME_WAIT sockets (60 s each), or, with
          # [events] source = "ebpf", from the exact close events of the server
          # port (over the whole scan intervals covering each window).
          closes_per_second: [string]float,
          # "ebpf" when closes_per_second comes from close events; absent: from
          # the TIME_WAIT timers.
          closes_source: ?string,
          # With [events] source = "ebpf", the processes that closed connections
          # on the server port first since the source was opened, most first.
          closers: ?[]Closer,
          # The systemd unit of the cgroup of the port's LISTEN socket
          # (nginx.service, session-3.scope, docker-<id>.scope); absent when the
          # port has no listener, its owner is unknown or its cgroup is no unit's.
          unit: ?string,
          # That cgroup's path below the cgroup2 mount (/system.slice/nginx.service).
          cgroup: ?string,
          # The container, when the cgroup is a container's scope.
          container: ?Container,
          # The network namespace the port is in.
          netns: Netns
        )

        # What twmond saw at its latest scan.
        method GetStatus() -> (
          version: string,
          uptime_seconds: int,
          scan_interval_seconds: float,
          # TIME_WAIT count that raises a port alert, unless the port has its own.
          time_wait_threshold: int,
          # proc or netlink.
          source: string,
          # When the latest successful scan started (a failed scan keeps the
          # previous table and time).
          last_scan: string,
          last_scan_unix: float,
          # Whole seconds since then: more than a few scan intervals means twmond
          # cannot scan (see problem); twmonctl check says UNKNOWN past three.
          scan_age_seconds: int,
          scan_duration_ms: float,
          # Scans since twmond started.
          scan_count: int,
          # Sockets in the namespace, and per state.
          sockets: int,
          totals: [string]int,
          # Local ports with at least one socket, and how many of them listen.
          port_count: int,
          server_ports: int,
          # Rows of the kernel's table that could not be read.
          malformed_rows: int,
          namespace: ?NamespaceCounters,
          # Active alerts of every kind.
          alerts: []Alert,
          # The tw_buckets alert again, for clients older than alert kinds.
          namespace_alert: ?Alert,
          # The latest problems worth showing (a failing scan, a refused reload),
          # published as soon as they happen.
          problem: ?string
        )

        # The per-port tables of the latest scan, the ports of every namespace ranked
        # together: most TIME_WAIT first (then most sockets, then lowest port, then
        # twmond's own namespace before the others, by name). netns keeps the
        # namespace of that name (Netns.name; NamespaceNotFound when there is none),
        # listeningOnly keeps server ports, state keeps ports with a socket in that
        # state (a kernel state name such as TIME_WAIT, spelt exactly: time_wait is
        # InvalidState), limit keeps the first ports. totals, malformed_rows,
        # port_count and server_ports always describe the namespaces listed as a
        # whole: all of them, or the one netns names; a port number open in two
        # namespaces counts twice.
        method ListPorts(listeningOnly: ?bool, state: ?string, limit: ?int, netns: ?string) -> (
          ports: []Port,
          totals: [string]int,
          malformed_rows: int,
          port_count: int,
          server_ports: int
        )

        # The active alerts and the recent raise, reminder and clear events, oldest first.
        method ListAlerts() -> (
          alerts: []Alert,
          namespace_alert: ?Alert,
          history: []AlertEvent
        )

        # twmond has not finished its first scan yet; ask again after one scan interval.
        error NotReady ()

        # The state parameter names no TCP state; expected lists the names.
        error InvalidState (state: string, expected: []string)

        # The netns parameter names no namespace of the latest scan (the NAMESPACE
        # column of twmonctl ports shows the names).
        error NamespaceNotFound (netns: string)

        """
}

extension VarlinkInterfaceDescription {
    /// The `Alert` and `AlertEvent` types, made from the kinds' rules: their summaries, subjects,
    /// count names and figure members (each member declared once, by the first kind that has it).
    static var alertTypes: String {
        let kinds = AlertKind.allCases
        let width = kinds.map { $0.rawValue.count }.max() ?? 0
        var lines = ["# An active alert. kind is one of"]
        for (index, kind) in kinds.enumerated() {
            let rules = kind.rules
            let end = index == kinds.count - 1 ? "." : ";"
            for (line, text) in rules.interfaceSummary.enumerated() {
                let name = line == 0 ? kind.rawValue : ""
                let last = line == rules.interfaceSummary.count - 1
                lines.append("#   " + name + String(repeating: " ", count: width - name.count + 2) + text + (last ? end : ""))
            }
        }
        func kindsOf(_ shape: AlertSubject.Shape) -> String {
            kinds.filter { $0.rules.subjectShape == shape }.map { $0.rawValue }.joined(separator: ", ")
        }
        lines.append("# The subject: port (\(kindsOf(.port))), local_address, remote_address")
        lines.append("# and remote_port (\(kindsOf(.clientTuple))), none for \(kindsOf(.namespace)).")
        var countNames: [String] = []
        for kind in kinds where !countNames.contains(kind.countName) { countNames.append(kind.countName) }
        let counts = countNames.map { name in "\(name) (\(kinds.filter { $0.countName == name }.map { $0.rawValue }.joined(separator: ", ")))" }
        lines.append("# The counted figure is named after the kind: \(counts.joined(separator: ", ")).")
        lines += ["type Alert (", "  kind: string", "  port: ?int", "  local_address: ?string", "  remote_address: ?string", "  remote_port: ?int",
                  "  # The network namespace of the subject (absent: twmond's own).", "  netns: ?Netns"]
        lines += countNames.map { "  \($0): ?int" }
        lines += [
            "  # Count that raises the alert; the alert clears below clear_below.", "  threshold: int", "  clear_below: int",
            "  # clear_below as a share of threshold.", "  clear_ratio: float",
            "  # Consecutive scans needed to raise or clear; clear_sustain, when given,",
            "  # the scans needed to clear (tw_overflow: raised by one increase).", "  sustain: int", "  clear_sustain: ?int",
            "  # Highest count seen while the alert was active.", "  peak: int",
            "  # When the alert was raised.", "  since: string", "  since_unix: float",
        ]
        var declared = Set(countNames)
        for kind in kinds {
            for member in kind.rules.interfaceMembers where !declared.contains(member.name) {
                declared.insert(member.name)
                lines += member.comment.enumerated().map { "  # " + ($0.offset == 0 ? "\(kind.rawValue): " : "") + $0.element } + ["  " + member.declaration]
            }
        }
        lines.append(")")
        lines += [
            "", "# One raise, reminder or clear of an alert.", "type AlertEvent (", "  # raised, reminder or cleared.", "  event: string",
            "  kind: string", "  # The subject, as in Alert.", "  port: ?int", "  local_address: ?string", "  remote_address: ?string",
            "  remote_port: ?int", "  netns: ?Netns",
            "  # Why a cleared alert ended when its count did not fall: namespace_gone.", "  reason: ?string",
            "  # The counted figure, named as in Alert.",
        ]
        lines += countNames.map { "  \($0): ?int" } + ["  threshold: int", "  at: string", "  at_unix: float", ")"]
        return commaSeparated(lines)
    }

    /// Puts the commas between a type's members: after every member line but the type's last.
    private static func commaSeparated(_ lines: [String]) -> String {
        var result = lines
        var lastMember: Int?
        for index in result.indices {
            let line = result[index]
            if line.hasPrefix("  ") && !line.hasPrefix("  #") {
                if let previous = lastMember { result[previous] += "," }
                lastMember = index
            } else if line == ")" {
                lastMember = nil
            }
        }
        return result.joined(separator: "\n")
    }
}

/// One member a kind adds to the Varlink `Alert` type.
public struct AlertInterfaceMember: Sendable {
    /// Its comment lines, without `#`.
    public var comment: [String]
    /// `name: type`.
    public var declaration: String
    /// The member's name.
    public var name: String { String(declaration.prefix { $0 != ":" }) }

    public init(_ declaration: String, _ comment: String...) {
        self.declaration = declaration
        self.comment = comment
    }
}
