/// Decides, scan after scan, which alerts to raise, remind of and clear — every kind the same way.
///
/// A value-type state machine: `evaluate` takes what a scan found and the time, asks each kind's
/// rules (`AlertKind.rules`) for its observations, one figure per (kind, subject), feeds each to
/// that subject's `HysteresisTracker` with the limits the rules give, and returns the
/// transitions; it performs no I/O, so it is tested with a manual clock.
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
        var figures: any AlertKindRules
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

    /// True while some subject of `kind` has a tracker.
    func isTracking(_ kind: AlertKind) -> Bool {
        tracked.keys.contains { $0.kind == kind }
    }

    /// The subjects of `kind` that are active or on their way to a change (a streak), in order.
    func busySubjects(of kind: AlertKind) -> [AlertSubject] {
        tracked.compactMap { $0.key.kind == kind && !$0.value.tracker.isIdle ? $0.key.subject : nil }.sorted()
    }

    /// Judges one scan.
    public mutating func evaluate(_ scan: ScanFindings, now: Moment) -> [AlertAction] {
        var actions: [AlertAction] = []
        for kind in AlertKind.allCases {
            let context = AlertObservationContext(
                configuration: configuration, tracked: Set(tracked.keys.lazy.filter { $0.kind == kind }.map(\.subject)),
                previousEvents: lastEvents, firstEvents: firstEvents)
            guard let observed = kind.rules.observations(in: scan, context) else { continue }
            judge(kind, observed, counters: scan.counters, now: now, into: &actions)
        }
        if let events = scan.counters?.timeWaitEvents {
            if firstEvents == nil || events.overflow < (lastEvents?.overflow ?? 0) { firstEvents = events }
            lastEvents = events
        }
        return actions
    }

    /// Feeds the observations of one kind to their trackers; a tracked subject the scan did
    /// not show (its sockets are gone) counts as zero.
    private mutating func judge(_ kind: AlertKind, _ observed: [AlertObservation], counters: NamespaceCounters?, now: Moment, into actions: inout [AlertAction]) {
        var bySubject: [AlertSubject: AlertObservation] = [:]
        for observation in observed { bySubject[observation.subject] = observation }
        for (key, entry) in tracked where key.kind == kind && bySubject[key.subject] == nil {
            bySubject[key.subject] = AlertObservation(subject: key.subject, count: 0, mayRaise: false, figures: entry.figures.gone)
        }
        let repeatInterval = configuration.alert.repeatInterval
        for subject in bySubject.keys.sorted() {
            let observation = bySubject[subject]!
            let key = Key(kind: kind, subject: subject)
            guard let limits = kind.rules.limits(for: subject, configuration: configuration, counters: counters) else {
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
            var entry = tracked[key] ?? Tracked(limits: limits, figures: observation.figures)
            let before = entry.tracker
            entry.count = observation.count
            entry.limits = limits
            entry.figures = observation.figures
            // A listener that went away while its TIME_WAIT stays: the alert keeps naming it.
            if entry.figures.owner == nil { entry.figures.owner = tracked[key]?.figures.owner }
            switch entry.tracker.observe(observation.count, limits: limits, mayRaise: observation.mayRaise, repeatInterval: repeatInterval, now: now) {
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
        Alert(subject: key.subject, count: entry.count, limits: entry.limits,
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
