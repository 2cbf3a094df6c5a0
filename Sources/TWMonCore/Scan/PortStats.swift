/// The sockets bound to one local port, per state and per address family.
public struct PortStats: Sendable, Hashable {
    /// The local port.
    public var port: UInt16
    /// Sockets from `/proc/net/tcp` (IPv4).
    public var ipv4: StateCounts
    /// Sockets from `/proc/net/tcp6` (IPv6, including IPv4 clients of dual-stack listeners).
    public var ipv6: StateCounts
    /// Active closes on this port in the last 10 and 60 s, from its TIME_WAIT sockets' timers.
    public var recentCloses = RecentCloses()
    /// Who listens on this port (the cgroup of its LISTEN socket), when it is a server port and
    /// the owner could be found.
    public var owner: PortOwner?
    /// The processes that closed connections on this port first, most closes first, when the
    /// close-event source counts them (`[events] source = "ebpf"`); empty otherwise.
    public var closers: [Closer] = []

    public init(port: UInt16, ipv4: StateCounts = StateCounts(), ipv6: StateCounts = StateCounts()) {
        self.port = port
        self.ipv4 = ipv4
        self.ipv6 = ipv6
    }

    /// Both families together.
    public var states: StateCounts { ipv4 + ipv6 }

    /// A LISTEN socket exists on this port in either family: it is a *server* port.
    public var listening: Bool { ipv4[.listen] > 0 || ipv6[.listen] > 0 }

    /// TIME_WAIT sockets on this port, both families.
    public var timeWait: Int { ipv4[.timeWait] + ipv6[.timeWait] }

    /// Every socket on this port.
    public var total: Int { ipv4.total + ipv6.total }
}

/// How many TIME_WAIT sockets on a port one remote address holds.
public struct PeerCount: Sendable, Hashable {
    /// The remote address (IPv4-mapped IPv6 shown as IPv4).
    public var address: IPAddress
    /// Its sockets.
    public var count: Int

    public init(address: IPAddress, count: Int) {
        self.address = address
        self.count = count
    }
}
