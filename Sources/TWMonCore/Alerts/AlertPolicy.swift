/// Decides, scan after scan, which alerts to raise, remind of and clear — every kind the same way.
///
/// A value-type state machine: `evaluate` takes what a scan found and the time, observes one
/// figure per (kind, subject), feeds it to that subject's `HysteresisTracker` and returns the
/// transitions; it performs no I/O, so it is tested with a manual clock. The kinds differ only
/// in what they observe (`observations`) and the limits they are judged by (`limits`).
///
/// - `time_wait`: TIME_WAIT sockets per port; only listening (server) ports raise it — a
///   client's TIME_WAIT is normal.
/// - `close_wait`: CLOSE_WAIT sockets older than `close_wait.min_age` per port (any port).
/// - `ephemeral_ports`: sockets per client destination against the usable ephemeral range.
/// - `tw_buckets`: the namespace's TIME_WAIT total against `tcp_max_tw_buckets`.
/// - `tw_overflow`: TIME_WAIT sockets the kernel destroyed since the last scan; one increase
///   raises it, `sustain` scans without one clear it.
public struct AlertPolicy: Sendable {
    /// The configuration the policy judges by; replaced on reload.
    public var configuration: Configuration
    private var tracked: [Key: Tracked] = [:]
    /// The TIME_WAIT event counters at the previous scan and at the first one.
    private var lastEvents: TimeWaitEventCounters?
    private var firstEvents: TimeWaitEventCounters?

    struct Key: Hashable, Sendable {
        var kind: AlertKind
        var subject: AlertSubject
    }

    /// A subject's tracker and its latest observation.
    struct Tracked: Sendable {
        var tracker = HysteresisTracker()
        var count = 0
        var limits: AlertLimits
        var figures = AlertFigures()
    }

    /// One figure observed in a scan.
    struct Observation {
        var subject: AlertSubject
        var count: Int
        var mayRaise = true
        var figures = AlertFigures()
    }

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// The alerts active now, by kind and subject, with the figures of the latest scan.
    public var activeAlerts: [Alert] {
        tracked.filter { $0.value.tracker.isActive }
            .map { alert($0.key, $0.value) }
            .sorted { ($0.kind, $0.subject) < ($1.kind, $1.subject) }
    }

    /// Ports whose TIME_WAIT peers are worth tallying in the next scan: active TIME_WAIT
    /// alerts and ports on their way to one.
    public var portsNearAlert: [UInt16] {
        tracked.compactMap { $0.key.kind == .timeWait && !$0.value.tracker.isIdle ? $0.key.subject.port : nil }.sorted()
    }

    /// The fewest sockets on one client destination that can matter to `ephemeral_ports`
    /// (its clear level), or nil when the alert is off; a scan need not report fewer. While
    /// a destination is tracked, every destination is reported, so that its figures stay
    /// true however far it falls.
    public func clientTupleFloor(_ range: EphemeralPortRange?) -> Int? {
        guard let limits = ephemeralLimits(range) else { return tracked.keys.contains { $0.kind == .ephemeralPorts } ? 1 : nil }
        if tracked.keys.contains(where: { $0.kind == .ephemeralPorts }) { return 1 }
        return max(1, min(limits.threshold, limits.clearBelow))
    }

    /// Judges one scan.
    public mutating func evaluate(_ scan: ScanFindings, now: Moment) -> [AlertAction] {
        var actions: [AlertAction] = []
        for kind in AlertKind.allCases {
            guard let observed = observations(of: kind, in: scan) else { continue }
            judge(kind, observed, counters: scan.counters, now: now, into: &actions)
        }
        if let events = scan.counters?.timeWaitEvents {
            if firstEvents == nil || events.overflow < (lastEvents?.overflow ?? 0) { firstEvents = events }
            lastEvents = events
        }
        return actions
    }

    /// What a scan shows of `kind`, or nil when it shows nothing about it (unreadable
    /// counters): its trackers then stay as they are.
    private func observations(of kind: AlertKind, in scan: ScanFindings) -> [Observation]? {
        switch kind {
        case .timeWait:
            var observed: [Observation] = []
            for stats in scan.table.ports where (stats.listening && stats.timeWait > 0) || isTracked(kind, .port(stats.port)) {
                observed.append(Observation(subject: .port(stats.port), count: stats.timeWait, mayRaise: stats.listening,
                                            figures: AlertFigures(established: stats.states[.established], owner: stats.owner,
                                                                  recentCloses: stats.recentCloses)))
            }
            return observed
        case .closeWait:
            return scan.closeWait.compactMap { port, figures in
                guard figures.old > 0 || isTracked(kind, .port(port)) else { return nil }
                return Observation(subject: .port(port), count: figures.old, figures: AlertFigures(
                    oldestAgeSeconds: figures.oldestAgeSeconds, minAgeSeconds: configuration.closeWait.minAge,
                    owner: scan.table[port: port]?.owner))
            }
        case .ephemeralPorts:
            guard let range = scan.counters?.ephemeralPorts else { return nil }
            return scan.clientTuples.map { tally in
                Observation(subject: .clientTuple(tally.tuple), count: tally.sockets, figures: AlertFigures(
                    ratio: configuration.ephemeralPorts.ratio, timeWait: tally.timeWait, usablePorts: range.usable,
                    portRange: range.text, twReuse: scan.counters?.twReuse))
            }
        case .twBuckets:
            guard let namespace = scan.counters?.timeWait else { return nil }
            return [Observation(subject: .namespace, count: namespace.timeWait, figures: AlertFigures(
                maxBuckets: namespace.maxBuckets, ratio: configuration.alert.twBucketsRatio))]
        case .twOverflow:
            guard let events = scan.counters?.timeWaitEvents else { return nil }
            // The first scan sets the baseline; a counter that went down (a new namespace
            // behind the proc root) starts a new one.
            let previous = lastEvents.flatMap { $0.overflow <= events.overflow ? $0 : nil } ?? events
            let first = firstEvents.flatMap { $0.overflow <= events.overflow ? $0 : nil } ?? events
            return [Observation(subject: .namespace, count: events.overflow - previous.overflow, figures: AlertFigures(
                overflowSinceStart: events.overflow - first.overflow,
                twRecycledSinceStart: max(0, events.recycled - first.recycled)))]
        }
    }

    /// The limits `subject` is judged by now, or nil when it must not alert (an ignored
    /// port, a kind switched off, a limit that cannot be read).
    private func limits(_ kind: AlertKind, _ subject: AlertSubject, counters: NamespaceCounters?) -> AlertLimits? {
        switch (kind, subject) {
        case (.timeWait, .port(let port)):
            return configuration.limits(for: port)
        case (.closeWait, .port(let port)):
            return configuration.closeWaitLimits(for: port)
        case (.ephemeralPorts, .clientTuple):
            return ephemeralLimits(counters?.ephemeralPorts)
        case (.twBuckets, .namespace):
            let ratio = configuration.alert.twBucketsRatio
            guard ratio > 0, let namespace = counters?.timeWait, namespace.maxBuckets > 0 else { return nil }
            return AlertLimits(threshold: max(1, wholeCeiling(namespace.maxBuckets, times: ratio)),
                               clearRatio: configuration.alert.clearRatio, sustain: configuration.alert.sustain)
        case (.twOverflow, .namespace):
            guard configuration.twOverflow.enabled else { return nil }
            return AlertLimits(threshold: 1, clearRatio: 1, sustain: 1, clearSustain: configuration.alert.sustain)
        default:
            return nil
        }
    }

    private func ephemeralLimits(_ range: EphemeralPortRange?) -> AlertLimits? {
        let ratio = configuration.ephemeralPorts.ratio
        guard ratio > 0, let range, range.usable > 0 else { return nil }
        return AlertLimits(threshold: max(1, wholeCeiling(range.usable, times: ratio)),
                           clearRatio: configuration.alert.clearRatio, sustain: configuration.alert.sustain)
    }

    private func isTracked(_ kind: AlertKind, _ subject: AlertSubject) -> Bool {
        tracked[Key(kind: kind, subject: subject)] != nil
    }

    /// Feeds the observations of one kind to their trackers; a tracked subject the scan did
    /// not show (its sockets are gone) counts as zero.
    private mutating func judge(_ kind: AlertKind, _ observed: [Observation], counters: NamespaceCounters?, now: Moment, into actions: inout [AlertAction]) {
        var bySubject: [AlertSubject: Observation] = [:]
        for observation in observed { bySubject[observation.subject] = observation }
        for (key, entry) in tracked where key.kind == kind && bySubject[key.subject] == nil {
            bySubject[key.subject] = Observation(subject: key.subject, count: 0, mayRaise: false, figures: entry.figures.gone)
        }
        let repeatInterval = configuration.alert.repeatInterval
        for subject in bySubject.keys.sorted() {
            let observation = bySubject[subject]!
            let key = Key(kind: kind, subject: subject)
            guard let limits = limits(kind, subject, counters: counters) else {
                // Ignored or switched off (by a reload): an active alert ends at once.
                if var entry = tracked.removeValue(forKey: key), entry.tracker.isActive {
                    let before = entry
                    entry.count = observation.count
                    if entry.tracker.reset() == .cleared {
                        actions.append(AlertAction(.cleared, alert(key, Tracked(tracker: before.tracker, count: observation.count, limits: before.limits, figures: observation.figures))))
                    }
                }
                continue
            }
            guard observation.count > 0 || tracked[key] != nil else { continue }
            var entry = tracked[key] ?? Tracked(limits: limits)
            let before = entry.tracker
            entry.count = observation.count
            entry.limits = limits
            entry.figures = observation.figures
            // A listener that went away while its TIME_WAIT stays: the alert keeps naming it.
            if entry.figures.owner == nil { entry.figures.owner = tracked[key]?.figures.owner }
            let transition = entry.tracker.observe(observation.count, limits: limits, mayRaise: observation.mayRaise, repeatInterval: repeatInterval, now: now)
            switch transition {
            case .raised: actions.append(AlertAction(.raised, alert(key, entry)))
            case .reminder: actions.append(AlertAction(.reminder, alert(key, entry)))
            case .cleared:
                var ended = entry
                ended.tracker = before
                actions.append(AlertAction(.cleared, alert(key, ended)))
            case nil: break
            }
            tracked[key] = entry.tracker.isIdle ? nil : entry
        }
    }

    private func alert(_ key: Key, _ entry: Tracked) -> Alert {
        Alert(kind: key.kind, subject: key.subject, count: entry.count, limits: entry.limits,
              since: entry.tracker.since?.wallClock ?? 0, peak: max(entry.tracker.peak, entry.tracker.isActive ? entry.count : 0),
              figures: entry.figures)
    }
}

/// What one scan found, as the alert policy reads it.
public struct ScanFindings: Sendable {
    /// The per-port table.
    public var table: PortTable
    /// The namespace's counters, when readable.
    public var counters: NamespaceCounters?
    /// CLOSE_WAIT figures per port.
    public var closeWait: [UInt16: CloseWaitFigures]
    /// Client destinations holding ephemeral ports (`ScanByproducts.clientTuples`).
    public var clientTuples: [ClientTupleCount]
    /// The top TIME_WAIT peers of the watched ports (`ScanByproducts.topPeers`).
    public var peers: [UInt16: [PeerCount]]

    public init(
        table: PortTable, counters: NamespaceCounters? = nil, closeWait: [UInt16: CloseWaitFigures] = [:],
        clientTuples: [ClientTupleCount] = [], peers: [UInt16: [PeerCount]] = [:]
    ) {
        self.table = table
        self.counters = counters
        self.closeWait = closeWait
        self.clientTuples = clientTuples
        self.peers = peers
    }
}
