import Logging
import TWMonCore
import TWMonSystem

/// One scan and what is judged from it, as one value owned by `MonitorEngine`: reads the
/// namespace's counters, scans the socket table, reads the other network namespaces
/// (`scan.namespaces = "all"`), ages the CLOSE_WAIT sockets, counts active closes, lets the
/// alert policy judge every namespace, and returns the `ScanOutcome` the sinks consume. It
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
    /// twmond's own namespace, as the latest scan named it.
    private var ownNamespace = NetworkNamespace.ownHost
    /// The other namespaces, when watched: `scan.namespaces = "all"` with the real /proc.
    private var otherNamespaces: OtherNamespaces?
    /// CLOSE_WAIT ages and active closes of each other namespace, by name; a namespace that is
    /// gone is dropped at the next scan.
    private var others: [String: OtherNamespaceState] = [:]

    struct OtherNamespaceState {
        var closeWaitAges = CloseWaitAges()
        var activeCloses = ActiveCloseCounter()
    }
    /// The close-event source while `[events] source = "ebpf"` and it could be opened, with what
    /// turns its reads into figures and the key of twmond's own namespace.
    private var closeEvents: (source: CloseEventSource, join: CloseEventJoin, ownKey: UInt64)?
    /// Whether opening the source was tried since events were last switched on (tried once:
    /// a refusal is said once and stays in the problems until events are switched off).
    private var triedCloseEvents = false
    /// Why server ports have no owner, as last logged (logged once when it appears or changes).
    private var loggedOwnersProblem: String?
    /// Whether a pass of the owner walk outlasting its budget has been logged (once, until a
    /// pass fits in one scan again).
    private var loggedWalkDeferred = false

    init(configuration: Configuration, scanner: Scanner) {
        self.scanner = scanner
        namespaceReader = NamespaceCountersReader(procRoot: configuration.scan.procRoot)
        policy = AlertPolicy(configuration: configuration)
        watchNamespaces(configuration)
    }

    /// Starts or stops reading the other namespaces as `configuration` says.
    private mutating func watchNamespaces(_ configuration: Configuration) {
        let all = configuration.scan.namespaces == .all && configuration.scan.procRoot == Scanner.realProcRoot
        if all, otherNamespaces == nil { otherNamespaces = OtherNamespaces() }
        if !all {
            otherNamespaces = nil
            others = [:]
            ownNamespace = .ownHost
        }
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
        watchNamespaces(configuration)
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
            watchingPeersOf: policy.portsNearAlert(in: ownNamespace.name), topPeers: configuration.alert.topPeers,
            tallyingClientsIn: range, clientFloor: policy.clientTupleFloor(range))
        let duration = clock.now - started
        problems.scan = nil
        scanCount += 1
        activeCloses.add(scan)
        logOwnersProblem(logger: logger)
        logOwnerWalk(logger: logger)
        let byproducts = scan.byproducts
        var closeWait = closeWaitAges.update(byproducts.closeWaitSockets, now: moment, minAge: configuration.closeWait.minAge)
        let events = readCloseEvents(now: moment, problems: &problems, logger: logger)
        var table = scan.table
        var totals = activeCloses.totals
        if let events, let key = closeEvents?.ownKey {
            events.join(into: &table, activeCloses: &totals, namespaceKey: key)
            closeWait = CloseWaitFigures.larger(closeWait, events.closeWait(namespaceKey: key, minAge: configuration.closeWait.minAge))
        }
        let otherScans = readOtherNamespaces(now: moment, events: events, logger: logger)
        let actions = policy.evaluate([ScanFindings(
            table: table, counters: counters, closeWait: closeWait, clientTuples: byproducts.clientTuples, peers: byproducts.topPeers,
            netns: ownNamespace
        )] + otherScans.findings, now: moment)
        return ScanOutcome(
            table: table, counters: counters, actions: actions,
            alerts: policy.activeAlerts, scannedAt: moment.wallClock, duration: duration, scanCount: scanCount,
            source: scanner.source.name, problem: problems.summary, activeCloses: totals,
            ownNamespace: ownNamespace, otherNamespaces: otherScans.scans)
    }

    /// Reads the other namespaces (none unless watched) and judges nothing: their findings
    /// for the policy, their scans for the sinks. Names the own namespace as the pass found it.
    private mutating func readOtherNamespaces(now moment: Moment, events: CloseEventScan?, logger: Logger) -> (findings: [ScanFindings], scans: [NamespaceScan]) {
        guard let otherNamespaces else { return ([], []) }
        let pass = otherNamespaces.scan(watchingPeers: policy.portsNearAlertByNamespace, topPeers: configuration.alert.topPeers)
        ownNamespace = pass.own
        var findings: [ScanFindings] = []
        var scans: [NamespaceScan] = []
        var kept: [String: OtherNamespaceState] = [:]
        for read in pass.others {
            var state = others[read.netns.name] ?? OtherNamespaceState()
            state.activeCloses.add(read.result)
            var closeWait = state.closeWaitAges.update(read.result.byproducts.closeWaitSockets, now: moment, minAge: configuration.closeWait.minAge)
            kept[read.netns.name] = state
            var table = read.result.table
            var totals = state.activeCloses.totals
            if let events {
                events.join(into: &table, activeCloses: &totals, namespaceKey: read.netns.key)
                closeWait = CloseWaitFigures.larger(closeWait, events.closeWait(namespaceKey: read.netns.key, minAge: configuration.closeWait.minAge))
            }
            findings.append(ScanFindings(
                table: table, counters: read.counters, closeWait: closeWait, peers: read.result.byproducts.topPeers, netns: read.netns))
            scans.append(NamespaceScan(netns: read.netns, table: table, counters: read.counters,
                                       activeCloses: totals, readAt: read.readAt))
        }
        others = kept
        let figures = pass.figures
        logger.debug("other namespaces", metadata: [
            "discovered": "\(figures.discovered)", "read_in_full": "\(figures.readInFull)", "unchanged": "\(figures.unchanged)",
            "empty": "\(figures.empty)", "unreadable": "\(figures.unreadable)", "duration_ms": "\(figures.duration.inMilliseconds)",
        ])
        return (findings, scans)
    }

    /// Opens or closes the close-event source as `[events] source` says, and reads it once.
    /// A source that cannot be opened is said once, at warning level, and kept in
    /// `problems.events` until events are switched off; a failed read is logged when its text
    /// changes and that scan goes without events. Nil without events.
    private mutating func readCloseEvents(now moment: Moment, problems: inout EngineProblems, logger: Logger) -> CloseEventScan? {
        guard configuration.events.source == .ebpf else {
            if let closeEvents { closeEvents.source.close(); logger.info("close events switched off") }
            closeEvents = nil
            triedCloseEvents = false
            problems.events = nil
            return nil
        }
        if closeEvents == nil, !triedCloseEvents {
            triedCloseEvents = true
            do {
                let source = try CloseEventSource.open()
                closeEvents = (source, CloseEventJoin(openedAt: Moment.now().monotonic), CloseEventSource.ownNamespaceKey() ?? 0)
                problems.events = nil
                logger.info("close events on: counting every TCP close with the eBPF program")
            } catch {
                problems.events = error.description
                logger.warning("\(error.description); going on with the table walk", metadata: ["events_source": "ebpf"])
            }
        }
        guard var events = closeEvents else { return nil }
        do {
            let counts = CloseEventCounts(validating: try events.source.read())
            let scan = events.join.record(counts, at: moment.monotonic)
            closeEvents = events
            if problems.events != nil { logger.notice("close events readable again") }
            problems.events = nil
            return scan
        } catch {
            if problems.events != error.description { logger.warning("\(error.description)", metadata: ["events_source": "ebpf"]) }
            problems.events = error.description
            return nil
        }
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

    /// Logs how far the owner walk got when this scan walked (debug), and says once, at notice
    /// level, when a pass could not finish within one scan's budget (not again at every scan,
    /// nor for every such pass, until a pass fits in one scan again).
    private mutating func logOwnerWalk(logger: Logger) {
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
