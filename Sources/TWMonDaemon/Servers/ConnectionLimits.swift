import TWMonCore

/// Limits of a `ConnectionServer` (the control socket, the metrics endpoint) that keep
/// misbehaving clients from costing more than bounded memory and time, and one peer — a UID
/// on the control socket, a remote address on the metrics endpoint — from taking the server
/// away from another.
public struct ConnectionLimits: Sendable {
    /// Connections served at once, all peers together. A quarter of systemd's Varlink
    /// servers' 4096, so that with its other descriptors twmond stays under the soft
    /// `RLIMIT_NOFILE` of 1024 a service gets by default. When all are taken, a new
    /// connection replaces an idle one of the peer holding the most; it is refused
    /// only while all of them are busy writing replies.
    public var maximumConnections = 512
    /// Connections served at once per peer, a quarter of the total as in systemd (1024 of
    /// 4096). A peer at its limit that connects again loses its own least recently active
    /// idle connection; it is refused only while all of them are busy writing replies.
    public var maximumConnectionsPerPeer = 128
    /// A connection that completes no request for this long is closed.
    public var idleTimeout: Duration = .seconds(10)
    /// A connection is closed this long after it was accepted, whatever it does (its
    /// replies are written first): the idle timer cannot be renewed forever.
    public var maximumLifetime: Duration = .seconds(60)
    /// The largest request accepted, in bytes; a longer one closes the connection.
    public var maximumMessageSize = VarlinkFramer.defaultMaximumMessageSize
    /// Bytes of replies queued and not yet written, all connections together, counted as
    /// if no reply were shared; a reply that would pass it closes the slowest readers.
    public var maximumQueuedOutput = 16 << 20
    /// Connections refused or evicted per second before accepting slows down to this
    /// rate: a reconnect loop then costs at most this many accepts a second (measured at
    /// ≈ 0.3 ms of CPU each in a debug build: ≈ 12 % of a core), and a client queued
    /// behind a flood of 300 reconnecting connections waits ≈ 172 ÷ 400 = 0.43 s.
    public var churnPerSecond = 400.0
    /// Seconds between two log lines about one peer's refused (or evicted) connections.
    public var refusalLogInterval = 60.0

    /// The defaults above.
    public init() {}

    /// The fairness limits `ConnectionLedger` enforces.
    var ledgerLimits: ConnectionLedger.Limits {
        ConnectionLedger.Limits(totalLimit: maximumConnections, perPeerLimit: maximumConnectionsPerPeer, outputLimit: maximumQueuedOutput)
    }
}
