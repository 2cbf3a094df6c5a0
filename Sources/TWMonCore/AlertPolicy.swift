/// Decides, scan after scan, which TIME_WAIT alerts to raise, remind of and clear.
///
/// A value-type state machine: `evaluate` takes a scan and the time, updates the per-port
/// trackers and returns actions; it performs no I/O, so it is tested with a manual clock.
/// Only listening (server) ports raise alerts; client-side TIME_WAIT is normal and never does.
public struct AlertPolicy: Sendable {
    /// The configuration the policy judges by; replaced on reload.
    public var configuration: Configuration
    private var trackers: [UInt16: HysteresisTracker] = [:]
    private var namespaceTracker = HysteresisTracker()

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// The alerts active now, by port.
    public func activeAlerts(in table: PortTable) -> [PortAlert] {
        trackers.keys.sorted().compactMap { port in
            guard let tracker = trackers[port], tracker.isActive, let limits = configuration.limits(for: port) else { return nil }
            return alert(port: port, tracker: tracker, limits: limits, table: table)
        }
    }

    /// The namespace alert, when active.
    public func activeNamespaceAlert(_ namespace: NamespaceTimeWait?) -> NamespaceAlert? {
        guard namespaceTracker.isActive, let namespace, let limits = namespaceLimits(namespace) else { return nil }
        return namespaceAlert(namespace, limits: limits, tracker: namespaceTracker)
    }

    /// Ports whose TIME_WAIT peers are worth tallying in the next scan: active alerts and ports
    /// on their way to one.
    public var portsNearAlert: [UInt16] {
        trackers.filter { !$0.value.isIdle }.keys.sorted()
    }

    /// Judges one scan.
    public mutating func evaluate(_ table: PortTable, namespace: NamespaceTimeWait? = nil, now: Moment) -> [AlertAction] {
        var actions: [AlertAction] = []
        let repeatInterval = configuration.alert.repeatInterval
        // Ports with a tracker that are gone from the table count as zero.
        var ports = Set(trackers.keys)
        for stats in table.ports where stats.listening && stats.timeWait > 0 { ports.insert(stats.port) }
        for port in ports.sorted() {
            guard let limits = configuration.limits(for: port) else {
                if var tracker = trackers.removeValue(forKey: port), tracker.isActive {
                    let alert = alert(port: port, tracker: tracker, limits: configuration.configuredLimits(for: port), table: table)
                    if tracker.reset() == .cleared { actions.append(.portCleared(alert)) }
                }
                continue
            }
            let stats = table[port: port]
            var tracker = trackers[port] ?? HysteresisTracker()
            let before = tracker
            let transition = tracker.observe(
                stats?.timeWait ?? 0, limits: limits, mayRaise: stats?.listening ?? false,
                repeatInterval: repeatInterval, now: now
            )
            switch transition {
            case .raised: actions.append(.portRaised(alert(port: port, tracker: tracker, limits: limits, table: table)))
            case .reminder: actions.append(.portReminder(alert(port: port, tracker: tracker, limits: limits, table: table)))
            case .cleared: actions.append(.portCleared(alert(port: port, tracker: before, limits: limits, table: table)))
            case nil: break
            }
            trackers[port] = tracker.isIdle ? nil : tracker
        }
        if let namespace, let limits = namespaceLimits(namespace) {
            let before = namespaceTracker
            switch namespaceTracker.observe(namespace.timeWait, limits: limits, repeatInterval: repeatInterval, now: now) {
            case .raised: actions.append(.namespaceRaised(namespaceAlert(namespace, limits: limits, tracker: namespaceTracker)))
            case .reminder: actions.append(.namespaceReminder(namespaceAlert(namespace, limits: limits, tracker: namespaceTracker)))
            case .cleared: actions.append(.namespaceCleared(namespaceAlert(namespace, limits: limits, tracker: before)))
            case nil: break
            }
        } else if namespaceTracker.isActive, let namespace {
            // The alert was switched off by a reload.
            let alert = NamespaceAlert(timeWait: namespace.timeWait, maxBuckets: namespace.maxBuckets, ratio: 0, threshold: 0, since: namespaceTracker.since?.wallClock ?? now.wallClock)
            if namespaceTracker.reset() == .cleared { actions.append(.namespaceCleared(alert)) }
        }
        return actions
    }

    private func alert(port: UInt16, tracker: HysteresisTracker, limits: AlertLimits, table: PortTable) -> PortAlert {
        let stats = table[port: port]
        var alert = PortAlert(
            port: port, timeWait: stats?.timeWait ?? 0, established: stats?.states[.established] ?? 0,
            limits: limits, since: tracker.since?.wallClock ?? 0, peak: tracker.peak
        )
        alert.owner = stats?.owner
        alert.recentCloses = stats?.recentCloses ?? RecentCloses()
        return alert
    }

    private func namespaceLimits(_ namespace: NamespaceTimeWait) -> AlertLimits? {
        let ratio = configuration.alert.twBucketsRatio
        guard ratio > 0, namespace.maxBuckets > 0 else { return nil }
        let threshold = max(1, wholeCeiling(namespace.maxBuckets, times: ratio))
        return AlertLimits(threshold: threshold, clearRatio: configuration.alert.clearRatio, sustain: configuration.alert.sustain)
    }

    private func namespaceAlert(_ namespace: NamespaceTimeWait, limits: AlertLimits, tracker: HysteresisTracker) -> NamespaceAlert {
        NamespaceAlert(
            timeWait: namespace.timeWait, maxBuckets: namespace.maxBuckets, ratio: configuration.alert.twBucketsRatio,
            threshold: limits.threshold, since: tracker.since?.wallClock ?? 0
        )
    }
}
