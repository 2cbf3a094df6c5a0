/// `twmonctl check`: a Nagios/Icinga plugin verdict on a `GetStatus` reply.
///
/// The rule, by default (the daemon's own alert decisions, hysteresis and sustain included),
/// one verdict per active alert, decided by its kind (`AlertKindRules.verdict`), the worst
/// one wins; OK without active alerts.
///
/// With `warning` and/or `critical` set, `time_wait` alerts are not consulted: the highest
/// TIME_WAIT count on any server port is compared with them (`≥`); a missing `critical` is
/// twice `warning`. The other kinds count either way. UNKNOWN when the last successful
/// scan is older than `staleIntervals` scan intervals (twmond cannot scan); the other UNKNOWN
/// cases (the daemon unreachable, no scan yet, an unreadable reply) are decided by the caller,
/// with `unknown(_:)`.
public struct MonitoringCheck: Sendable, Equatable {
    /// A plugin state and its exit code.
    public enum State: Int32, Sendable, Comparable {
        case ok = 0
        case warning = 1
        case critical = 2
        case unknown = 3

        /// `OK`, `WARNING`, `CRITICAL`, `UNKNOWN`.
        public var label: String {
            switch self {
            case .ok: "OK"
            case .warning: "WARNING"
            case .critical: "CRITICAL"
            case .unknown: "UNKNOWN"
            }
        }

        public static func < (lhs: State, rhs: State) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// A last successful scan older than this many scan intervals is UNKNOWN: the figures are
    /// stale, whatever they say.
    public static let staleIntervals = 3.0

    /// A port alert at this multiple of its threshold is CRITICAL.
    public static let criticalFactor = 2

    /// Overrides the WARNING level for the busiest server port.
    public var warning: Int?
    /// Overrides the CRITICAL level for the busiest server port.
    public var critical: Int?

    public init(warning: Int? = nil, critical: Int? = nil) {
        self.warning = warning
        self.critical = critical
    }

    /// The state and the plugin's output line (text, `|`, perfdata). `busiestServerPort` is the
    /// server port with the most TIME_WAIT sockets, if any.
    public func evaluate(_ status: MonitorStatus, busiestServerPort: PortStats?) -> (state: State, output: String) {
        if Double(status.scanAgeSeconds) > Self.staleIntervals * status.scanIntervalSeconds {
            let reason = "last successful scan \(status.scanAgeSeconds) s ago, more than \(Int(Self.staleIntervals)) scan intervals of \(MonitorStatus.seconds(status.scanIntervalSeconds))"
            return (.unknown, Self.unknown(reason + (status.problem.map { ": \($0)" } ?? "")))
        }
        var state = State.ok
        var findings: [String] = []
        let levels = portLevels(status)
        let judgesPortsItself = warning != nil || critical != nil
        for alert in status.alerts {
            if alert.kind == .timeWait && judgesPortsItself { continue }
            let verdict = Self.verdict(alert)
            state = max(state, verdict.state)
            findings.append(verdict.finding)
        }
        if judgesPortsItself, let busiest = busiestServerPort {
            if let critical = levels.critical, busiest.timeWait >= critical {
                state = .critical
                findings.append(":\(busiest.port)\(PortOwner.suffix(busiest.owner)) TIME_WAIT \(busiest.timeWait) ≥ \(critical)")
            } else if let warning = levels.warning, busiest.timeWait >= warning {
                state = max(state, .warning)
                findings.append(":\(busiest.port)\(PortOwner.suffix(busiest.owner)) TIME_WAIT \(busiest.timeWait) ≥ \(warning)")
            }
        }
        var summary = findings.isEmpty ? "no alerts" : findings.joined(separator: ", ")
        summary += "; \(status.totals.total) sockets, \(status.totals[.timeWait]) TIME_WAIT, \(status.serverPorts) server ports"
        if let busiest = busiestServerPort, busiest.timeWait > 0 {
            summary += ", busiest server port :\(busiest.port)\(PortOwner.suffix(busiest.owner)) with \(busiest.timeWait) TIME_WAIT"
        }
        let perfdata = [
            "port_time_wait=\(busiestServerPort?.timeWait ?? 0);\(levels.warning.map(String.init) ?? "");\(levels.critical.map(String.init) ?? "");0",
            "time_wait=\(status.totals[.timeWait]);;;0;\(status.namespace?.timeWait?.maxBuckets.map(String.init) ?? "")",
            "established=\(status.totals[.established]);;;0",
            "sockets=\(status.totals.total);;;0",
            "ports=\(status.portCount);;;0",
            "server_ports=\(status.serverPorts);;;0",
            "alerts=\(status.alerts.count);;;0",
            "scan_duration=\(status.scanDurationMilliseconds)ms;;;0",
        ]
        return (state, "TWMON \(state.label) - \(StatusLine.oneLine(summary)) | \(perfdata.joined(separator: " "))")
    }

    /// Share of the usable ephemeral range at which `ephemeral_ports` is CRITICAL.
    public static let criticalEphemeralShare = 0.95

    /// The state one active alert calls for, and how the output names it: its kind's `verdict`.
    static func verdict(_ alert: Alert) -> (state: State, finding: String) {
        alert.figures.verdict(alert)
    }

    /// The output line for an UNKNOWN state.
    public static func unknown(_ reason: String) -> String {
        "TWMON UNKNOWN - \(StatusLine.oneLine(reason))"
    }

    /// The levels reported for the busiest server port: the overrides, or the default
    /// threshold and twice it.
    private func portLevels(_ status: MonitorStatus) -> (warning: Int?, critical: Int?) {
        if warning == nil && critical == nil {
            return (status.timeWaitThreshold, Self.criticalLevel(status.timeWaitThreshold))
        }
        return (warning, critical ?? warning.map(Self.criticalLevel))
    }

    /// `criticalFactor × level`, or `Int.max` where that does not fit: a level however large
    /// (from the command line or a reply) never traps.
    static func criticalLevel(_ level: Int) -> Int {
        let (product, overflow) = level.multipliedReportingOverflow(by: criticalFactor)
        return overflow ? Int.max : product
    }
}
