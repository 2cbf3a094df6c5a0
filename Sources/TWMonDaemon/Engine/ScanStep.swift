import Logging
import TWMonCore
import TWMonSystem

/// One scan and what is judged from it, as one value owned by `MonitorEngine`: reads the
/// namespace's counters, scans the socket table, ages the CLOSE_WAIT sockets, counts active
/// closes, lets the alert policy judge, and returns the `ScanOutcome` the sinks consume. It
/// reports nothing itself; it logs only when the reason for missing owners or counters changes.
struct ScanStep {
    /// The socket table's scanner; replaced by a reload that changes the source or proc root.
    private(set) var scanner: Scanner
    private var namespaceReader: NamespaceCountersReader
    private var policy: AlertPolicy
    /// How long each CLOSE_WAIT socket has been in CLOSE_WAIT.
    private var closeWaitAges = CloseWaitAges()
    /// Active closes per server port since the daemon started.
    private var activeCloses = ActiveCloseCounter()
    private var scanCount = 0
    /// Why server ports have no owner, as last logged (logged once when it appears or changes).
    private var loggedOwnersProblem: String?

    init(configuration: Configuration, scanner: Scanner) {
        self.scanner = scanner
        namespaceReader = NamespaceCountersReader(procRoot: configuration.scan.procRoot)
        policy = AlertPolicy(configuration: configuration)
    }

    /// The configuration the step scans and judges by.
    var configuration: Configuration { policy.configuration }

    /// Takes a reloaded configuration; a `scanner` (given when the source or proc root changed)
    /// replaces the current one, and the counters are then read under the new proc root.
    mutating func reconfigure(_ configuration: Configuration, scanner: Scanner?) {
        if let scanner {
            self.scanner = scanner
            namespaceReader = NamespaceCountersReader(procRoot: configuration.scan.procRoot)
        }
        policy.configuration = configuration
    }

    /// Scans once and judges the result. Sets `problems.counters` (logging when it starts or
    /// changes) and, on success, clears `problems.scan`; the outcome's `problem` is the summary.
    /// Throws the scanner's error, leaving the policy and the counts as they were.
    mutating func run(problems: inout EngineProblems, logger: Logger) throws(ScanError) -> ScanOutcome {
        let moment = Moment.now()
        let counters = readNamespaceCounters(problems: &problems, logger: logger)
        let range = counters?.ephemeralPorts
        let clock = ContinuousClock()
        let started = clock.now
        let scan = try scanner.scan(
            watchingPeersOf: policy.portsNearAlert, topPeers: configuration.alert.topPeers,
            tallyingClientsIn: range, clientFloor: policy.clientTupleFloor(range))
        let duration = clock.now - started
        problems.scan = nil
        scanCount += 1
        activeCloses.add(scan)
        logOwnersProblem(logger: logger)
        let byproducts = scan.byproducts
        let closeWait = closeWaitAges.update(byproducts.closeWaitSockets, now: moment, minAge: configuration.closeWait.minAge)
        let actions = policy.evaluate(ScanFindings(
            table: scan.table, counters: counters, closeWait: closeWait, clientTuples: byproducts.clientTuples, peers: byproducts.topPeers
        ), now: moment)
        var topPeers = byproducts.topPeers
        // A port that jumped straight over its threshold had no peers tallied: tally them now.
        let missingPeers = Set(actions.compactMap { action -> UInt16? in
            guard action.alert.kind == .timeWait, action.event != .cleared, let port = action.alert.port, topPeers[port] == nil else { return nil }
            return port
        }).sorted()
        if !missingPeers.isEmpty, let peerScan = try? scanner.scan(watchingPeersOf: missingPeers, topPeers: configuration.alert.topPeers, countingNewCloses: false) {
            for port in missingPeers { topPeers[port] = peerScan.byproducts.topPeers[port] ?? [] }
        }
        return ScanOutcome(
            table: scan.table, topPeers: topPeers, counters: counters, actions: actions,
            alerts: policy.activeAlerts, scannedAt: moment.wallClock, duration: duration, scanCount: scanCount,
            source: scanner.source.name, problem: problems.summary, activeCloses: activeCloses.totals)
    }

    /// Says once, at notice level, why server ports have no owner (no sock_diag, no cgroup2):
    /// when the reason appears or changes, not at every scan. Never a failure.
    private mutating func logOwnersProblem(logger: Logger) {
        let problem = scanner.ownersUnavailable
        guard problem != loggedOwnersProblem else { return }
        loggedOwnersProblem = problem
        if let problem {
            logger.notice("server ports have no owner: \(problem)", metadata: ["source": "\(scanner.source.name)"])
        }
    }

    /// The namespace's figures that could be read (nil when none could); a part that cannot be
    /// read is logged when its problem starts or changes and kept in `problems.counters` until
    /// it ends.
    private func readNamespaceCounters(problems: inout EngineProblems, logger: Logger) -> NamespaceCounters? {
        let (figures, unreadable) = namespaceReader.readEach()
        let text = unreadable.isEmpty ? nil : unreadable.map { "\($0)" }.joined(separator: "; ")
        if let text, text != problems.counters {
            logger.warning("namespace counters unreadable", metadata: ["error": "\(text)"])
        }
        problems.counters = text
        return figures == NamespaceCounters() && !unreadable.isEmpty ? nil : figures
    }
}
