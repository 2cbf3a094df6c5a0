/// What an alert is about. Everything that differs between kinds — the figure counted, the
/// journal's MESSAGE_IDs and priority, the monitoring verdict — is a property here, so the
/// policy, journal, listings and the check treat every kind alike.
public enum AlertKind: String, Sendable, Equatable, Hashable, CaseIterable, Comparable {
    /// A server port piles up TIME_WAIT: the server closes its connections first.
    case timeWait = "time_wait"
    /// CLOSE_WAIT sockets older than `close_wait.min_age` pile up on a port: the application
    /// never closes connections its peers closed.
    case closeWait = "close_wait"
    /// One (local address, remote address, remote port) holds most of the ephemeral range.
    case ephemeralPorts = "ephemeral_ports"
    /// The namespace's TIME_WAIT total approaches `net.ipv4.tcp_max_tw_buckets`.
    case twBuckets = "tw_buckets"
    /// The kernel destroyed TIME_WAIT sockets past `tcp_max_tw_buckets` (TcpExt TCPTimeWaitOverflow).
    case twOverflow = "tw_overflow"

    /// The JSON member (and, upper-cased after `TWMON_`, the journal field) of the counted figure.
    public var countName: String {
        switch self {
        case .timeWait, .twBuckets: "time_wait"
        case .closeWait: "close_wait"
        case .ephemeralPorts: "sockets"
        case .twOverflow: "overflow"
        }
    }

    /// The figure as people read it in tables: `TIME_WAIT`, `CLOSE_WAIT`, `sockets`, `overflow`.
    public var countLabel: String {
        switch self {
        case .timeWait, .twBuckets: "TIME_WAIT"
        case .closeWait: "CLOSE_WAIT"
        case .ephemeralPorts: "sockets"
        case .twOverflow: "overflow"
        }
    }

    /// The journal field of the counted figure: `TWMON_TIME_WAIT`, `TWMON_CLOSE_WAIT`, …
    public var countField: String { "TWMON_" + countName.uppercased() }

    /// MESSAGE_ID of a raised alert and its reminders (explained in `systemd/twmond.catalog`).
    public var raisedMessageID: String {
        switch self {
        case .timeWait: "b409c94814fd48d4b7a71e21b7432752"
        case .closeWait: "bf85ef4af5964014aa8d9ddc8f43ea03"
        case .ephemeralPorts: "31a2334cf9a444ceaf7c6cb4bc0919b6"
        case .twBuckets: "a2133443ca6847e79cbed5ba978024de"
        case .twOverflow: "4407f9bba2bf452092f5791b8eea272a"
        }
    }

    /// MESSAGE_ID of the alert's clearing.
    public var clearedMessageID: String {
        switch self {
        case .timeWait: "a779194c3e234e67b1716dd035ad43b6"
        case .closeWait: "d8771f3ca1614d318362a1e6e93d4b7e"
        case .ephemeralPorts: "dae1633df57b4a83be163f59e0c1f315"
        case .twBuckets: "d1a7d0d631ac4d0fa87cb3dac8b3892b"
        case .twOverflow: "a96f1a891d95426282d8711988025ccb"
        }
    }

    /// The priority of raised and reminder entries: connections losing TIME_WAIT's protection
    /// is an error (3), the rest warnings (4). Cleared entries are notices (5).
    public var raisedPriority: JournalEntry.Priority {
        self == .twOverflow ? .error : .warning
    }

    /// Kinds about one local port.
    public var isPerPort: Bool { self == .timeWait || self == .closeWait }

    /// Order in listings: namespace-wide first, then per port, then per destination.
    private var rank: Int {
        switch self {
        case .twOverflow: 0
        case .twBuckets: 1
        case .timeWait: 2
        case .closeWait: 3
        case .ephemeralPorts: 4
        }
    }

    public static func < (lhs: AlertKind, rhs: AlertKind) -> Bool { lhs.rank < rhs.rank }
}
