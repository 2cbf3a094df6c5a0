import Logging
import TWMonCore
import TWMonSystem

/// The daemon's work, one step at a time: scan, judge, report. An actor, so a reload (from
/// SIGHUP) runs between two scans, never during one. A scan blocks (it reads /proc or a netlink
/// dump, up to a quarter of a second on a large table), so the actor runs on a thread of its own
/// (`DedicatedThreadExecutor`), not on Swift's cooperative pool: the poller awaits it, and
/// timers, the control socket and every other task go on meanwhile. The control socket never
/// waits for a scan at all; it reads the `SnapshotStore`.
public actor MonitorEngine {
    /// Where this actor's jobs run: the scan thread.
    private nonisolated let executor: DedicatedThreadExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    /// Makes the scanner for a source and proc root (at start and at a reload that changes them).
    private let makeScanner: ScannerFactory
    private let source: ConfigurationSource
    private var configuration: Configuration
    private var policy: AlertPolicy
    private var scanner: Scanner
    private var namespaceReader: NamespaceCountersReader
    private let journal: any JournalSink
    private let notifier: SystemdNotifier
    private let store: SnapshotStore
    private let metrics: MetricsPublisher
    private let readiness: ReadinessGate
    private var logger: Logger
    private let startedAt: Double
    private var scanCount = 0
    private var history: [AlertHistoryEntry] = []
    /// A reload that failed, shown in STATUS and GetStatus until a reload succeeds.
    private var reloadProblem: String?
    /// The latest scan failure, cleared by the next successful scan.
    private var scanProblem: String?
    /// Why the namespace's TIME_WAIT figures are unreadable, while they are.
    private var countersProblem: String?

    /// Transitions kept for `ListAlerts`.
    static let historyLimit = 200

    /// Makes a `Scanner` for a source kind and a proc root.
    public typealias ScannerFactory = @Sendable (ScanSourceKind, String) throws(ScanError) -> Scanner

    /// `makeScanner` is `Scanner.make` but for tests that need a scan of a given cost.
    public init(
        configuration: Configuration, source: ConfigurationSource, journal: any JournalSink,
        notifier: SystemdNotifier, store: SnapshotStore, metrics: MetricsPublisher, readiness: ReadinessGate, logger: Logger,
        makeScanner: @escaping ScannerFactory = { kind, procRoot throws(ScanError) in try Scanner.make(kind: kind, procRoot: procRoot) }
    ) throws(ScanError) {
        self.executor = DedicatedThreadExecutor(name: "twmon-scan")
        self.makeScanner = makeScanner
        self.configuration = configuration
        self.source = source
        self.policy = AlertPolicy(configuration: configuration)
        self.scanner = try makeScanner(configuration.scan.source, configuration.scan.procRoot)
        self.namespaceReader = NamespaceCountersReader(procRoot: configuration.scan.procRoot)
        self.journal = journal
        self.notifier = notifier
        self.store = store
        self.metrics = metrics
        self.readiness = readiness
        self.logger = logger
        self.logger.logLevel = Self.level(configuration.log.level)
        self.startedAt = WallClock.now()
        Self.logSourceChoice(of: scanner, to: self.logger)
    }

    /// With `scan.source = "auto"`, says once per decision which source is used and why.
    private static func logSourceChoice(of scanner: Scanner, to logger: Logger) {
        guard let choice = scanner.autoChoice else { return }
        logger.notice("scan source: \(choice)", metadata: ["scan.source": "auto", "using": "\(scanner.source.name)"])
    }

    /// Seconds between scans, as configured now.
    public var interval: Duration { .milliseconds(Int64(configuration.scan.interval * 1_000)) }

    /// Scans once and reports. Returns false when the scan failed (logged, shown in STATUS).
    @discardableResult
    public func scanOnce() throws(ScanError) -> Bool {
        let moment = WallClock.moment()
        let clock = ContinuousClock()
        let started = clock.now
        var table: PortTable
        do {
            table = try scanner.scan(watchingPeersOf: policy.portsNearAlert, topPeers: configuration.alert.topPeers)
        } catch {
            scanProblem = "scan failed: \(error)"
            metrics.scanFailed()
            logger.error("scan failed", metadata: ["source": "\(scanner.source.name)", "error": "\(error)"])
            publishProblem()
            throw error
        }
        let duration = clock.now - started
        scanProblem = nil
        scanCount += 1
        let namespace = readNamespaceCounters()
        let actions = policy.evaluate(table, namespace: namespace, now: moment)
        // A port that jumped straight over its threshold had no peers tallied: tally them now.
        let missingPeers = actions.compactMap { action -> UInt16? in
            if case .portRaised(let alert) = action, table.topPeers[alert.port] == nil { return alert.port }
            if case .portReminder(let alert) = action, table.topPeers[alert.port] == nil { return alert.port }
            return nil
        }
        if !missingPeers.isEmpty, let peerScan = try? scanner.scan(watchingPeersOf: missingPeers, topPeers: configuration.alert.topPeers) {
            for port in missingPeers { table.topPeers[port] = peerScan.topPeers[port] ?? [] }
        }
        for action in actions { report(action, table: table, at: moment.wallClock) }

        let alerts = policy.activeAlerts(in: table)
        let namespaceAlert = policy.activeNamespaceAlert(namespace)
        metrics.scanned(MetricsPublisher.ScanResult(
            table: table, scannedAt: moment.wallClock, duration: duration, source: scanner.source.name, namespace: namespace,
            activeAlerts: MetricsAlertMapping.active(ports: alerts, namespace: namespaceAlert),
            raisedKinds: actions.compactMap(MetricsAlertMapping.raisedKind)
        ))
        let milliseconds = Int(duration.components.seconds * 1_000 + duration.components.attoseconds / 1_000_000_000_000_000)
        store.publish(MonitorSnapshot(
            table: table, scannedAt: moment.wallClock, scanDuration: duration, source: scanner.source.name,
            scanCount: scanCount, alerts: alerts, namespaceAlert: namespaceAlert, namespace: namespace,
            history: history, configuration: configuration, startedAt: startedAt, problem: problem
        ))
        let status = StatusLine.render(
            table: table, alerts: alerts, namespaceAlert: namespaceAlert, scanMilliseconds: milliseconds,
            problem: problem
        )
        if readiness.isReady {
            notifier.status(status)
        } else {
            readiness.satisfy(.firstScan, status: status)
        }
        logger.debug("scan done", metadata: [
            "sockets": "\(table.totals.total)", "time_wait": "\(table.totals[.timeWait])",
            "duration_ms": "\(milliseconds)", "alerts": "\(alerts.count)",
        ])
        return true
    }

    /// The problems in force (a failing scan, a refused reload, unreadable namespace counters),
    /// as one line.
    private var problem: String? {
        let problems = [scanProblem, reloadProblem, countersProblem].compactMap { $0 }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }

    /// Shows the problems at once, without a new table: in STATUS, and in the latest snapshot
    /// (its table and scan time stay those of the last successful scan, so its age grows).
    private func publishProblem() {
        let text = problem ?? "OK"
        notifier.status(StatusLine.oneLine(scanProblem == nil ? text : "Scan failing: " + text))
        if var snapshot = store.latest {
            snapshot.problem = problem
            snapshot.configuration = configuration
            store.publish(snapshot)
        }
    }

    /// The namespace's figures, or nil when they are missing or unreadable; a failure is logged
    /// when it starts and shown in `problem` until it ends.
    private func readNamespaceCounters() -> NamespaceTimeWait? {
        do {
            let figures = try namespaceReader.read()
            countersProblem = nil
            return figures
        } catch {
            if countersProblem == nil { logger.warning("namespace counters unreadable", metadata: ["error": "\(error)"]) }
            countersProblem = "\(error)"
            return nil
        }
    }

    private func report(_ action: AlertAction, table: PortTable, at now: Double) {
        var peers: [PeerCount] = []
        let entry: AlertHistoryEntry
        switch action {
        case .portRaised(let alert), .portReminder(let alert), .portCleared(let alert):
            peers = table.topPeers[alert.port] ?? []
            entry = AlertHistoryEntry(event: Self.event(action), port: alert.port, timeWait: alert.timeWait, threshold: alert.limits.threshold, at: now)
        case .namespaceRaised(let alert), .namespaceReminder(let alert), .namespaceCleared(let alert):
            entry = AlertHistoryEntry(event: Self.event(action), port: nil, timeWait: alert.timeWait, threshold: alert.threshold, at: now)
        }
        journal.send(AlertJournal.entry(for: action, peers: peers, now: now))
        history.append(entry)
        if history.count > Self.historyLimit { history.removeFirst(history.count - Self.historyLimit) }
    }

    private static func event(_ action: AlertAction) -> String {
        switch action {
        case .portRaised, .namespaceRaised: "raised"
        case .portReminder, .namespaceReminder: "reminder"
        case .portCleared, .namespaceCleared: "cleared"
        }
    }

    /// Re-reads the configuration (SIGHUP). A bad file keeps the running configuration, is
    /// logged at PRIORITY=3 and shown in STATUS until a reload succeeds.
    public func reload() {
        notifier.reloading()
        do {
            let updated = try source.load()
            // `auto` is decided again at every reload: netlink may have become usable, or not.
            if updated.scan.source != configuration.scan.source || updated.scan.procRoot != configuration.scan.procRoot
                || updated.scan.source == .auto
            {
                // Switch only to a source that can scan: a reload must not turn a working
                // daemon into one that fails every scan.
                let candidate: Scanner
                do {
                    candidate = try makeScanner(updated.scan.source, updated.scan.procRoot)
                    _ = try candidate.scan()
                } catch {
                    let key = updated.scan.source != configuration.scan.source ? "scan.source" : "scan.proc_root"
                    throw ConfigurationError(path: source.path, problems: [ConfigurationProblem(key: key, message: "cannot scan: \(error)")])
                }
                scanner = candidate
                Self.logSourceChoice(of: scanner, to: logger)
                namespaceReader = NamespaceCountersReader(procRoot: updated.scan.procRoot)
            }
            if updated.control.socket != configuration.control.socket {
                logger.warning("control.socket changed; it takes effect at the next restart", metadata: ["socket": "\(updated.control.socket)"])
            }
            if updated.metrics.listen != configuration.metrics.listen {
                logger.warning("metrics.listen changed; it takes effect at the next restart", metadata: ["listen": "\(updated.metrics.listen)"])
            }
            configuration = updated
            policy.configuration = updated
            metrics.configure(updated.metrics)
            logger.logLevel = Self.level(updated.log.level)
            reloadProblem = nil
            logger.notice("configuration reloaded", metadata: [
                "config": "\(source.path)", "time_wait_threshold": "\(updated.alert.timeWaitThreshold)",
                "interval": "\(updated.scan.interval)",
            ])
        } catch {
            reloadProblem = "reload failed, running previous configuration: \(error)"
            journal.send(AlertJournal.reloadFailed(path: source.path, error: "\(error)"))
        }
        // Publish the configuration now in force, then rescan so STATUS and the control
        // socket reflect it at once.
        do {
            try scanOnce()
        } catch {
            // Already logged and shown in STATUS by scanOnce.
        }
        notifier.send(["READY=1"])
    }

    /// The swift-log level named by `log.level` (`info` for a name it does not know).
    public static func level(_ name: String) -> Logger.Level {
        Logger.Level(rawValue: name) ?? .info
    }
}
