/// What the kernel tells about the namespace as a whole, read at every scan: each part is nil
/// when its files are missing (a captured proc root without them).
public struct NamespaceCounters: Sendable, Equatable {
    /// `tw` of /proc/net/sockstat and `net.ipv4.tcp_max_tw_buckets`.
    public var timeWait: NamespaceTimeWait?
    /// `net.ipv4.ip_local_port_range` minus `ip_local_reserved_ports`.
    public var ephemeralPorts: EphemeralPortRange?
    /// `net.ipv4.tcp_tw_reuse`: 0 off, 1 on, 2 loopback only.
    public var twReuse: Int?
    /// `TcpExt` TCPTimeWaitOverflow and TWRecycled of /proc/net/netstat, since boot.
    public var timeWaitEvents: TimeWaitEventCounters?

    public init(timeWait: NamespaceTimeWait? = nil, ephemeralPorts: EphemeralPortRange? = nil, twReuse: Int? = nil, timeWaitEvents: TimeWaitEventCounters? = nil) {
        self.timeWait = timeWait
        self.ephemeralPorts = ephemeralPorts
        self.twReuse = twReuse
        self.timeWaitEvents = timeWaitEvents
    }
}

/// The local ports the kernel hands to `connect()`: `ip_local_port_range` without the ports
/// of `ip_local_reserved_ports`.
public struct EphemeralPortRange: Sendable, Equatable {
    public var low: UInt16
    public var high: UInt16
    /// Reserved ports inside `low...high`.
    public var reserved: Int

    public init(low: UInt16, high: UInt16, reserved: Int = 0) {
        self.low = low
        self.high = min(max(high, low), UInt16.max)
        self.reserved = max(0, min(reserved, Int(self.high) - Int(low) + 1))
    }

    /// Ports a client can use towards one destination.
    public var usable: Int { Int(high) - Int(low) + 1 - reserved }

    /// `32768-60999`.
    public var text: String { "\(low)-\(high)" }

    /// True for a port the kernel may choose.
    @inlinable @inline(__always)
    public func contains(_ port: UInt16) -> Bool { port &- low <= high &- low }
}

/// The kernel's TIME_WAIT event counters (`TcpExt` of /proc/net/netstat), since boot.
public struct TimeWaitEventCounters: Sendable, Equatable {
    /// TIME_WAIT sockets not made (or destroyed at once) past `tcp_max_tw_buckets`.
    public var overflow: Int
    /// `connect()` calls that reused the 4-tuple of a TIME_WAIT socket.
    public var recycled: Int

    public init(overflow: Int, recycled: Int) {
        self.overflow = overflow
        self.recycled = recycled
    }
}
