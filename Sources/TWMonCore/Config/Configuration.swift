/// twmond's configuration: what `/etc/twmond/twmond.toml` says, with built-in defaults for
/// every key it leaves out.
public struct Configuration: Sendable, Equatable {
    /// How and how often the socket table is read.
    public struct Scan: Sendable, Equatable {
        /// Seconds between scans (0.1 ... 3600).
        public var interval: Double = 5
        /// Where sockets are read from.
        public var source: ScanSourceKind = .auto
        /// The directory standing for /proc.
        public var procRoot = "/proc"
        /// Which network namespaces are watched; with a `procRoot` other than `/proc` only
        /// the one it shows.
        public var namespaces: NamespaceMode = .all
        public init() {}
    }

    /// When a port's TIME_WAIT count raises and clears an alert.
    public struct Alert: Sendable, Equatable {
        /// TIME_WAIT sockets on one server port that raise an alert (≥ 1).
        public var timeWaitThreshold = 5_000
        /// The alert clears below `timeWaitThreshold × clearRatio` (0 < r ≤ 1).
        public var clearRatio = 0.8
        /// Consecutive scans above the threshold (below the clear level) to raise (clear).
        public var sustain = 3
        /// Seconds between reminders while an alert is active; 0 means none.
        public var repeatInterval: Double = 3_600
        /// Remote addresses listed in `TWMON_TOP_PEERS` (0 ... 100).
        public var topPeers = 5
        /// Share of `net.ipv4.tcp_max_tw_buckets` that raises the namespace alert; 0 disables it.
        public var twBucketsRatio = 0.8
        public init() {}
    }

    /// When old CLOSE_WAIT sockets on a port raise the `close_wait` alert.
    public struct CloseWait: Sendable, Equatable {
        /// CLOSE_WAIT sockets older than `minAge` on one port that raise the alert; 0 disables it.
        public var threshold = 100
        /// Seconds a socket must have been in CLOSE_WAIT to count (0 ... 86400).
        public var minAge: Double = 60
        public init() {}
    }

    /// When one client destination holding the ephemeral range raises `ephemeral_ports`.
    public struct EphemeralPorts: Sendable, Equatable {
        /// Share of the usable ephemeral range that raises the alert; 0 disables it.
        public var ratio = 0.8
        public init() {}
    }

    /// The `tw_overflow` alert (TcpExt TCPTimeWaitOverflow increasing).
    public struct TimeWaitOverflow: Sendable, Equatable {
        public var enabled = true
        public init() {}
    }

    /// Settings of one port that differ from `[alert]`.
    public struct PortOverride: Sendable, Equatable {
        /// This port's threshold.
        public var timeWaitThreshold: Int?
        /// This port's hysteresis.
        public var clearRatio: Double?
        /// This port's number of consecutive scans.
        public var sustain: Int?
        /// Never alert on this port.
        public var ignore = false
        /// This port's `close_wait.threshold` (0: no CLOSE_WAIT alert on the port).
        public var closeWaitThreshold: Int?
        public init(timeWaitThreshold: Int? = nil, clearRatio: Double? = nil, sustain: Int? = nil, ignore: Bool = false, closeWaitThreshold: Int? = nil) {
            self.closeWaitThreshold = closeWaitThreshold
            self.timeWaitThreshold = timeWaitThreshold
            self.clearRatio = clearRatio
            self.sustain = sustain
            self.ignore = ignore
        }
    }

    /// The control socket.
    public struct Control: Sendable, Equatable {
        /// Path of the Varlink socket bound when the daemon is not socket-activated.
        public var socket = "/run/twmond.sock"
        public init() {}

        /// What is wrong with `path` as the control socket, or nil. It must be an absolute
        /// path that fits `sun_path`. Abstract sockets (`@name`) are refused: they have no file
        /// mode or directory to restrict who connects, and the socket unit, the stale-file
        /// clean-up and `twmonctl --socket` all work with a path.
        public static func problem(withSocketPath path: String) -> String? {
            if path.hasPrefix("@") { return "abstract sockets (@name) are not supported; give an absolute path" }
            guard path.hasPrefix("/") else { return "must be an absolute path" }
            guard path.utf8.count < 108 else { return "is longer than a Unix socket path may be (107 bytes)" }
            guard !path.utf8.contains(0) else { return "must not contain a NUL byte" }
            return nil
        }
    }

    /// The Prometheus metrics: a textfile for node_exporter and an HTTP endpoint.
    public struct Metrics: Sendable, Equatable {
        /// Absolute path of the file written (atomically) after every scan; "" writes none.
        public var textfile = ""
        /// `ADDRESS:PORT` (`127.0.0.1:19632`, `[::1]:19632`) where `GET /metrics` is served
        /// when not socket-activated; "" serves none.
        public var listen = ""
        /// How many of the busiest client ports `twmon_port_sockets` shows (0 ... 1000).
        public var clientPorts = 10
        /// How many idle server ports (no TIME_WAIT, no CLOSE_WAIT, no alert) get per-port
        /// series, the lowest port numbers first (0 ... 65535).
        public var maxIdleServerPorts = 1_000
        public init() {}
    }

    /// Exact close events (`[events]`).
    public struct Events: Sendable, Equatable {
        /// Where they come from: none (the table walk's timer estimate) or the eBPF program.
        public var source: EventSourceKind = .none
        public init() {}
    }

    /// Logging.
    public struct Log: Sendable, Equatable {
        /// Lowest level logged: trace, debug, info, notice, warning, error, critical.
        public var level = "info"
        public init() {}
    }

    public var scan = Scan()
    public var alert = Alert()
    public var closeWait = CloseWait()
    public var ephemeralPorts = EphemeralPorts()
    public var twOverflow = TimeWaitOverflow()
    public var events = Events()
    /// Per-port overrides, keyed by port; they apply in every namespace.
    public var ports: [UInt16: PortOverride] = [:]
    /// Overrides for the ports of the namespaces whose name matches a pattern
    /// (`[namespaces."docker-*"]`), longest pattern first; a `[ports.N]` setting wins over them.
    public var namespaces: [NamespaceOverride] = []
    public var control = Control()
    public var metrics = Metrics()
    public var log = Log()

    public init() {}

    /// The settings of one namespace pattern: those of a port override, for every port of the
    /// namespaces it matches.
    public struct NamespaceOverride: Sendable, Equatable {
        /// A namespace name where `*` stands for any run of characters and `?` for one.
        public var pattern: String
        public var settings: PortOverride

        public init(pattern: String, settings: PortOverride) {
            self.pattern = pattern
            self.settings = settings
        }
    }

    /// The settings of `port` in the namespace named `netns`: the port's own, and for what it
    /// leaves unset, those of the longest namespace pattern matching `netns`.
    public func override(for port: UInt16, in netns: String?) -> PortOverride? {
        let own = ports[port]
        guard let netns, let pattern = namespaces.first(where: { NamePattern.matches($0.pattern, netns) })?.settings else { return own }
        guard let own else { return pattern }
        return PortOverride(
            timeWaitThreshold: own.timeWaitThreshold ?? pattern.timeWaitThreshold, clearRatio: own.clearRatio ?? pattern.clearRatio,
            sustain: own.sustain ?? pattern.sustain, ignore: own.ignore || pattern.ignore,
            closeWaitThreshold: own.closeWaitThreshold ?? pattern.closeWaitThreshold)
    }

    /// The alert limits that apply to `port` (in the namespace named `netns`), or nil when the
    /// port is ignored.
    public func limits(for port: UInt16, in netns: String? = nil) -> AlertLimits? {
        override(for: port, in: netns)?.ignore == true ? nil : configuredLimits(for: port, in: netns)
    }

    /// The limits set for `port`, even when it is ignored (they name an alert cleared by `ignore`).
    func configuredLimits(for port: UInt16, in netns: String? = nil) -> AlertLimits {
        let override = override(for: port, in: netns)
        return AlertLimits(
            threshold: override?.timeWaitThreshold ?? alert.timeWaitThreshold,
            clearRatio: override?.clearRatio ?? alert.clearRatio,
            sustain: override?.sustain ?? alert.sustain
        )
    }

    /// The CLOSE_WAIT limits of `port`, or nil when the port is ignored or has no CLOSE_WAIT alert.
    public func closeWaitLimits(for port: UInt16, in netns: String? = nil) -> AlertLimits? {
        let override = override(for: port, in: netns)
        if override?.ignore == true { return nil }
        let threshold = override?.closeWaitThreshold ?? closeWait.threshold
        guard threshold > 0 else { return nil }
        return AlertLimits(threshold: threshold, clearRatio: override?.clearRatio ?? alert.clearRatio, sustain: override?.sustain ?? alert.sustain)
    }

    /// The lowest threshold of any port: with fewer TIME_WAIT sockets in the whole namespace
    /// no port can reach its threshold.
    public var lowestThreshold: Int {
        (ports.values.lazy + namespaces.lazy.map(\.settings)).compactMap { $0.ignore ? nil : $0.timeWaitThreshold }.reduce(alert.timeWaitThreshold, min)
    }
}

/// The thresholds one port is judged by.
public struct AlertLimits: Sendable, Equatable {
    /// TIME_WAIT count that raises the alert.
    public var threshold: Int
    /// Share of the threshold below which the alert clears.
    public var clearRatio: Double
    /// Consecutive scans needed to raise or clear.
    public var sustain: Int

    /// Consecutive scans below the clear level that clear the alert, when not `sustain`
    /// (`tw_overflow` is raised by one increase and cleared by `sustain` scans without one).
    public var clearSustain: Int?

    public init(threshold: Int, clearRatio: Double, sustain: Int, clearSustain: Int? = nil) {
        self.threshold = threshold
        self.clearRatio = clearRatio
        self.sustain = sustain
        self.clearSustain = clearSustain
    }

    /// Consecutive scans that clear the alert.
    public var scansToClear: Int { clearSustain ?? sustain }

    /// The alert clears when the count is below this.
    public var clearBelow: Int { wholeCeiling(threshold, times: clearRatio) }
}

/// `count × share` rounded up to a whole count, where a product within a few ulps of a whole
/// number is that number: 5000 × 0.81 is 4050.000000000001 in binary floating point, but the
/// 0.81 in the file means 4050. A product beyond `Int`'s range is `Int.max` (never a trap).
func wholeCeiling(_ count: Int, times share: Double) -> Int {
    let product = Double(count) * share
    let nearest = product.rounded()
    let whole = abs(product - nearest) <= 4 * nearest.ulp ? nearest : product.rounded(.up)
    guard whole.isFinite, whole < Double(Int.max) else { return whole < 0 ? 0 : Int.max }
    return max(0, Int(whole))
}
