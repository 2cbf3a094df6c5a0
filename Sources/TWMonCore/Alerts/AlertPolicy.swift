/// Decides, scan after scan, which alerts to raise, remind of and clear — every kind the same way,
/// in every network namespace watched.
///
/// A value-type state machine: `evaluate` takes what a scan found in each namespace and the
/// time, asks each kind's rules (`AlertKind.rules`) for its observations, one figure per (kind,
/// namespace, subject), feeds each to that subject's `HysteresisTracker` with the limits the
/// rules give, and returns the transitions; a namespace the scan no longer shows has gone, and
/// its alerts clear (`AlertAction.Reason.namespaceGone`) and its state is dropped. It performs
/// no I/O, so it is tested with a manual clock.
public struct AlertPolicy: Sendable {
    /// The configuration the policy judges by; replaced on reload.
    public var configuration: Configuration
    private var tracked: [Key: Tracked] = [:]
    /// Per namespace name, the TIME_WAIT event counters at the previous scan that had them and
    /// at the first one.
    private var events: [String: EventCounters] = [:]

    struct Key: Hashable, Sendable {
        var kind: AlertKind
        /// The namespace's name.
        var netns: String
        var subject: AlertSubject
    }

    /// A subject's tracker and its latest observation.
    struct Tracked: Sendable {
        var tracker = HysteresisTracker()
        var count = 0
        var limits: AlertLimits
        var figures: any AlertKindRules
        var netns: NetworkNamespace
    }

    struct EventCounters: Sendable {
        var last: TimeWaitEventCounters
        var first: TimeWaitEventCounters
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

    /// How many (kind, namespace, subject) trackers are kept: bounded by what the latest scan
    /// showed, whatever came and went before.
    var trackedCount: Int { tracked.count + events.count }

    /// True while some subject of `kind` has a tracker.
    func isTracking(_ kind: AlertKind) -> Bool {
        tracked.keys.contains { $0.kind == kind }
    }

    /// The subjects of `kind` in the namespace named `netns` that are active or on their way to
    /// a change (a streak), in order.
    func busySubjects(of kind: AlertKind, in netns: String) -> [AlertSubject] {
        tracked.compactMap { $0.key.kind == kind && $0.key.netns == netns && !$0.value.tracker.isIdle ? $0.key.subject : nil }.sorted()
    }

    /// `busySubjects(of:in:)` of every namespace that has some, by namespace name.
    func busySubjectsByNamespace(of kind: AlertKind) -> [String: [AlertSubject]] {
        var subjects: [String: [AlertSubject]] = [:]
        for (key, entry) in tracked where key.kind == kind && !entry.tracker.isIdle { subjects[key.netns, default: []].append(key.subject) }
        return subjects.mapValues { $0.sorted() }
    }

    /// Judges one scan of one namespace: the scan of twmond's own namespace alone, for a policy
    /// that watches only that one.
    public mutating func evaluate(_ scan: ScanFindings, now: Moment) -> [AlertAction] {
        evaluate([scan], now: now)
    }

    /// Judges one scan of every namespace watched; each `ScanFindings` is one namespace (their
    /// names differ). The alerts of a namespace not among them clear as gone.
    public mutating func evaluate(_ scans: [ScanFindings], now: Moment) -> [AlertAction] {
        var actions: [AlertAction] = []
        let names = Set(scans.map(\.netns.name))
        clearGoneNamespaces(keeping: names, now: now, into: &actions)
        for scan in scans {
            let name = scan.netns.name
            let previous = events[name]
            for kind in AlertKind.allCases {
                let context = AlertObservationContext(
                    configuration: configuration,
                    tracked: Set(tracked.keys.lazy.filter { $0.kind == kind && $0.netns == name }.map(\.subject)),
                    previousEvents: previous?.last, firstEvents: previous?.first)
                guard let observed = kind.rules.observations(in: scan, context) else { continue }
                judge(kind, observed, in: scan, now: now, into: &actions)
            }
            if let counted = scan.counters?.timeWaitEvents {
                let first = previous.map { counted.overflow < $0.last.overflow ? counted : $0.first } ?? counted
                events[name] = EventCounters(last: counted, first: first)
            }
        }
        if events.count > names.count { events = events.filter { names.contains($0.key) } }
        return actions
    }

    /// Ends the alerts of the namespaces not in `names` (`namespaceGone`) and forgets every
    /// tracker of those namespaces.
    private mutating func clearGoneNamespaces(keeping names: Set<String>, now: Moment, into actions: inout [AlertAction]) {
        let gone = tracked.filter { !names.contains($0.key.netns) }
        guard !gone.isEmpty else { return }
        for (key, entry) in gone.sorted(by: { ($0.key.kind, $0.key.netns, $0.key.subject) < ($1.key.kind, $1.key.netns, $1.key.subject) }) {
            tracked[key] = nil
            guard entry.tracker.isActive else { continue }
            actions.append(AlertAction(.cleared, alert(key, entry), reason: .namespaceGone))
        }
    }

    /// Feeds the observations of one kind in one namespace to their trackers; a tracked subject
    /// the scan did not show (its sockets are gone) counts as zero.
    private mutating func judge(_ kind: AlertKind, _ observed: [AlertObservation], in scan: ScanFindings, now: Moment, into actions: inout [AlertAction]) {
        let netns = scan.netns
        var bySubject: [AlertSubject: AlertObservation] = [:]
        for observation in observed { bySubject[observation.subject] = observation }
        for (key, entry) in tracked where key.kind == kind && key.netns == netns.name && bySubject[key.subject] == nil {
            bySubject[key.subject] = AlertObservation(subject: key.subject, count: 0, mayRaise: false, figures: entry.figures.gone)
        }
        let repeatInterval = configuration.alert.repeatInterval
        for subject in bySubject.keys.sorted() {
            let observation = bySubject[subject]!
            let key = Key(kind: kind, netns: netns.name, subject: subject)
            guard let limits = kind.rules.limits(for: subject, in: netns, configuration: configuration, counters: scan.counters) else {
                // Ignored or switched off (by a reload): an active alert ends at once.
                if var entry = tracked.removeValue(forKey: key), entry.tracker.isActive {
                    let before = entry
                    entry.count = observation.count
                    if entry.tracker.reset() == .cleared {
                        actions.append(AlertAction(.cleared, alert(key, Tracked(tracker: before.tracker, count: observation.count, limits: before.limits, figures: observation.figures, netns: netns))))
                    }
                }
                continue
            }
            guard observation.count > 0 || tracked[key] != nil else { continue }
            var entry = tracked[key] ?? Tracked(limits: limits, figures: observation.figures, netns: netns)
            let before = entry.tracker
            entry.netns = netns
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
              figures: entry.figures, netns: entry.netns)
    }
}

/// What one scan found in one network namespace, as the alert policy reads it.
public struct ScanFindings: Sendable {
    /// The namespace.
    public var netns: NetworkNamespace
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
        clientTuples: [ClientTupleCount] = [], peers: [UInt16: [PeerCount]] = [:], netns: NetworkNamespace = .ownHost
    ) {
        self.netns = netns
        self.table = table
        self.counters = counters
        self.closeWait = closeWait
        self.clientTuples = clientTuples
        self.peers = peers
    }
}
