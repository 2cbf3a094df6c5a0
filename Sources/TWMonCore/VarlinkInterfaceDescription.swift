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
        # local port and per state, and the TIME_WAIT alerts it raised.
        # Every answer comes from the latest finished scan; no call waits for a new one.
        # Times are given twice: ISO 8601 UTC text and seconds since the Unix epoch.
        # Maps of sockets per state are keyed by the kernel's state names (TIME_WAIT,
        # ESTABLISHED, ...) and leave out states without sockets.
        interface io.twmon.Monitor

        # The namespace's TIME_WAIT total and the kernel's limit for it.
        type NamespaceTimeWait (
          # TIME_WAIT sockets in the namespace ("tw" in /proc/net/sockstat).
          time_wait: int,
          # net.ipv4.tcp_max_tw_buckets.
          max_tw_buckets: int
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

        # An active TIME_WAIT alert on a server port.
        type PortAlert (
          port: int,
          # TIME_WAIT sockets on the port at the latest scan.
          time_wait: int,
          # ESTABLISHED sockets on the port at the latest scan.
          established: int,
          # TIME_WAIT count that raises the alert.
          threshold: int,
          # The alert clears below this count.
          clear_below: int,
          # clear_below as a share of threshold.
          clear_ratio: float,
          # Consecutive scans needed to raise or clear.
          sustain: int,
          # Highest TIME_WAIT count seen while the alert was active.
          peak: int,
          # When the alert was raised.
          since: string,
          since_unix: float,
          # Active closes per second at the latest scan, keys "10s" and "60s" (as in Port).
          closes_per_second: [string]float,
          # The owner of the port's LISTEN socket, when known (as in Port).
          unit: ?string,
          cgroup: ?string,
          container: ?Container
        )

        # The active alert on the namespace's TIME_WAIT total.
        type NamespaceAlert (
          time_wait: int,
          max_tw_buckets: int,
          # Share of max_tw_buckets that raises the alert.
          ratio: float,
          threshold: int,
          since: string,
          since_unix: float
        )

        # One raise, reminder or clear of an alert.
        type AlertEvent (
          # raised, reminder or cleared.
          event: string,
          # The port; absent for the namespace alert.
          port: ?int,
          time_wait: int,
          threshold: int,
          at: string,
          at_unix: float
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
          # remaining time of the port's TIME_WAIT sockets (60 s each).
          closes_per_second: [string]float,
          # The systemd unit of the cgroup of the port's LISTEN socket
          # (nginx.service, session-3.scope, docker-<id>.scope); absent when the
          # port has no listener, its owner is unknown or its cgroup is no unit's.
          unit: ?string,
          # That cgroup's path below the cgroup2 mount (/system.slice/nginx.service).
          cgroup: ?string,
          # The container, when the cgroup is a container's scope.
          container: ?Container
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
          namespace: ?NamespaceTimeWait,
          alerts: []PortAlert,
          namespace_alert: ?NamespaceAlert,
          # The latest problems worth showing (a failing scan, a refused reload),
          # published as soon as they happen.
          problem: ?string
        )

        # The per-port table of the latest scan, most TIME_WAIT first (then most
        # sockets, then lowest port). listeningOnly keeps server ports, state keeps
        # ports with a socket in that state (a kernel state name such as TIME_WAIT,
        # spelt exactly: time_wait is InvalidState),
        # limit keeps the first ports. totals, port_count and server_ports always
        # describe the whole namespace.
        method ListPorts(listeningOnly: ?bool, state: ?string, limit: ?int) -> (
          ports: []Port,
          totals: [string]int,
          malformed_rows: int,
          port_count: int,
          server_ports: int
        )

        # The active alerts and the recent raise, reminder and clear events, oldest first.
        method ListAlerts() -> (
          alerts: []PortAlert,
          namespace_alert: ?NamespaceAlert,
          history: []AlertEvent
        )

        # twmond has not finished its first scan yet; ask again after one scan interval.
        error NotReady ()

        # The state parameter names no TCP state; expected lists the names.
        error InvalidState (state: string, expected: []string)

        """
}
