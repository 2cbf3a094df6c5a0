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
    private let readiness: ReadinessGate
    /// Further consumers of each scan's outcome (metrics).
    private let sinks: [any ScanOutcomeSink]
    /// How long each CLOSE_WAIT socket has been in CLOSE_WAIT.
    private var closeWaitAges = CloseWaitAges()
    private var logger: Logger
    private let startedAt: Double
    private var scanCount = 0
    private var history: [AlertEventRecord] = []
    /// A reload that failed, shown in STATUS and GetStatus until a reload succeeds.
    private var reloadProblem: String?
    /// The latest scan failure, cleared by the next successful scan.
    private var scanProblem: String?
    /// Why the namespace's TIME_WAIT figures are unreadable, while they are.
    private var countersProblem: String?
    /// Active closes per server port since the daemon started.
    private var activeCloses = ActiveCloseCounter()
    /// Why server ports have no owner, as last logged (logged once when it appears or changes).
    private var loggedOwnersProblem: String?
    /// Whether a pass of the owner walk outlasting its budget has been logged (once, until a
    /// pass fits in one scan again).
    private var loggedWalkDeferred = false

    /// Transitions kept for `ListAlerts`.
    static let historyLimit = 200

    /// Makes a `Scanner` for a source kind and a proc root.
    public typealias ScannerFactory = @Sendable (ScanSourceKind, String) throws(ScanError) -> Scanner

    /// `makeScanner` is `Scanner.make` but for tests that need a scan of a given cost.
    public init(
        configuration: Configuration, source: ConfigurationSource, journal: any JournalSink,
        notifier: SystemdNotifier, store: SnapshotStore, readiness: ReadinessGate, logger: Logger,
        sinks: [any ScanOutcomeSink] = [],
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
        self.readiness = readiness
        self.sinks = sinks
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

    /// Scans once and hands the outcome to the sinks. Throws when the scan failed (logged,
    /// shown in STATUS); returns true otherwise.
    @discardableResult
    public func scanOnce() throws(ScanError) -> Bool {
        deliver(try scanStep())
        return true
    }

    /// The scan step: reads the namespace's counters and the socket table, ages the CLOSE_WAIT
    /// sockets, lets the policy judge, and returns what happened. Delivers nothing.
    public func scanStep() throws(ScanError) -> ScanOutcome {
        let moment = WallClock.moment()
        let counters = readNamespaceCounters()
        let range = counters?.ephemeralPorts
        let clock = ContinuousClock()
        let started = clock.now
        var table: PortTable
        do {
            table = try scanner.scan(
                watchingPeersOf: policy.portsNearAlert, topPeers: configuration.alert.topPeers,
                tallyingClientsIn: range, clientFloor: policy.clientTupleFloor(range))
        } catch {
            scanProblem = "scan failed: \(error)"
            for sink in sinks { sink.scanFailed() }
            logger.error("scan failed", metadata: ["source": "\(scanner.source.name)", "error": "\(error)"])
            publishProblem()
            throw error
        }
        let duration = clock.now - started
        scanProblem = nil
        scanCount += 1
        activeCloses.add(table)
        logOwnersProblem()
        logOwnerWalk()
        let closeWait = closeWaitAges.update(table.closeWaitSockets, now: moment, minAge: configuration.closeWait.minAge)
        table.closeWaitSockets = []
        let actions = policy.evaluate(ScanFindings(table: table, counters: counters, closeWait: closeWait), now: moment)
        return ScanOutcome(
            table: table, counters: counters, closeWait: closeWait, actions: actions,
            alerts: policy.activeAlerts, scannedAt: moment.wallClock, duration: duration, scanCount: scanCount,
            source: scanner.source.name, problem: problem, activeCloses: activeCloses.totals)
    }

    /// Hands one outcome to every sink: the journal (and the history kept for ListAlerts),
    /// the snapshot store, sd_notify STATUS, then the others.
    private func deliver(_ outcome: ScanOutcome) {
        for action in outcome.actions {
            journal.send(AlertJournal.entry(for: action, now: outcome.scannedAt))
            history.append(AlertEventRecord(action, at: outcome.scannedAt))
        }
        if history.count > Self.historyLimit { history.removeFirst(history.count - Self.historyLimit) }
        var snapshot = MonitorSnapshot(
            table: outcome.table, scannedAt: outcome.scannedAt, scanDuration: outcome.duration, source: outcome.source,
            scanCount: outcome.scanCount, alerts: outcome.alerts, namespace: outcome.counters,
            history: history, configuration: configuration, startedAt: startedAt, problem: outcome.problem
        )
        snapshot.activeCloses = outcome.activeCloses
        store.publish(snapshot)
        let status = StatusLine.render(table: outcome.table, alerts: outcome.alerts, scanMilliseconds: outcome.milliseconds, problem: outcome.problem)
        if readiness.isReady {
            notifier.status(status)
        } else {
            readiness.satisfy(.firstScan, status: status)
        }
        for sink in sinks { sink.consume(outcome) }
        logger.debug("scan done", metadata: [
            "sockets": "\(outcome.table.totals.total)", "time_wait": "\(outcome.table.totals[.timeWait])",
            "duration_ms": "\(outcome.milliseconds)", "alerts": "\(outcome.alerts.count)",
        ])
    }

    /// Says once, at notice level, why server ports have no owner (no sock_diag, no cgroup2):
    /// when the reason appears or changes, not at every scan. Never a failure.
    private func logOwnersProblem() {
        let problem = scanner.ownersUnavailable
        guard problem != loggedOwnersProblem else { return }
        loggedOwnersProblem = problem
        if let problem {
            logger.notice("server ports have no owner: \(problem)", metadata: ["source": "\(scanner.source.name)"])
        }
    }

    /// Logs how far the owner walk got when this scan walked (debug), and says once, at notice
    /// level, when a pass could not finish within one scan's budget (not again at every scan,
    /// nor for every such pass, until a pass fits in one scan again).
    private func logOwnerWalk() {
        guard let progress = scanner.owners?.walkProgress, progress.walkedThisScan else { return }
        let figures: Logger.Metadata = [
            "visited": "\(progress.visitedThisScan)", "pass_visited": "\(progress.passVisited)",
            "pass_scans": "\(progress.passScans)", "walk_ms": "\(progress.durationThisScan.inMilliseconds)",
        ]
        logger.debug("owner walk", metadata: figures)
        if progress.inProgress, !loggedWalkDeferred {
            loggedWalkDeferred = true
            logger.notice("the owner walk of the cgroup2 mount did not finish within its budget of \(scanner.owners?.walkBudget ?? 0) directories per scan: it goes on at the next scans, and server ports whose cgroup it has not reached yet show no owner until then", metadata: figures)
        } else if !progress.inProgress {
            if progress.passScans == 1 { loggedWalkDeferred = false }
            else { logger.info("owner walk finished", metadata: figures) }
        }
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

    /// The namespace's figures that could be read (nil when none could); a part that cannot be
    /// read is logged when its problem starts or changes and shown in `problem` until it ends.
    private func readNamespaceCounters() -> NamespaceCounters? {
        let (figures, problems) = namespaceReader.readEach()
        let text = problems.isEmpty ? nil : problems.map { "\($0)" }.joined(separator: "; ")
        if let text, text != countersProblem {
            logger.warning("namespace counters unreadable", metadata: ["error": "\(text)"])
        }
        countersProblem = text
        return figures == NamespaceCounters() && !problems.isEmpty ? nil : figures
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
            for sink in sinks { sink.reloaded(updated) }
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
