import Logging
import TWMonCore
import TWMonSystem

/// The daemon's work, one step at a time: a `ScanStep` scans and judges, and each outcome goes
/// to the sinks in order — `AlertRecorder` (journal and alert history), `SnapshotPublisher`,
/// `StatusReporter` (STATUS and readiness), then the extra sinks (metrics). A reload
/// (`ConfigurationReload`) runs between two scans, never during one, because this is an actor.
///
/// A scan blocks (it reads /proc or a netlink dump), so the actor runs on a thread of its own
/// (`ScanThread`, a one-thread NIO event loop, ended with the engine), not on Swift's
/// cooperative pool: the poller awaits it, and timers, the control socket and every other task
/// go on meanwhile. The control socket never waits for a scan at all; it reads the
/// `SnapshotStore`.
public actor MonitorEngine {
    /// Where this actor's jobs run: the scan thread.
    private nonisolated let thread: ScanThread
    public nonisolated var unownedExecutor: UnownedSerialExecutor { thread.executor }
    private var step: ScanStep
    private let reloader: ConfigurationReload
    /// The problems in force; the sinks show them.
    private var problems = EngineProblems()
    private let readiness: ReadinessGate
    /// Every consumer of each scan's outcome, in the order they get it.
    private let sinks: [any ScanOutcomeSink]
    private var logger: Logger

    /// Makes a `Scanner` for a source kind and a proc root.
    public typealias ScannerFactory = @Sendable (ScanSourceKind, String) throws(ScanError) -> Scanner

    /// `sinks` come after the journal, the snapshot store and STATUS. `makeScanner` is
    /// `Scanner.make` but for tests that need a scan of a given cost. Throws when the configured
    /// source cannot be opened.
    public init(
        configuration: Configuration, source: ConfigurationSource, journal: any JournalSink,
        notifier: SystemdNotifier, store: SnapshotStore, readiness: ReadinessGate, logger: Logger,
        sinks: [any ScanOutcomeSink] = [],
        makeScanner: @escaping ScannerFactory = { kind, procRoot throws(ScanError) in try Scanner.make(kind: kind, procRoot: procRoot) }
    ) throws(ScanError) {
        self.thread = ScanThread()
        self.step = ScanStep(configuration: configuration, scanner: try makeScanner(configuration.scan.source, configuration.scan.procRoot))
        self.reloader = ConfigurationReload(source: source, makeScanner: makeScanner, journal: journal)
        self.readiness = readiness
        let recorder = AlertRecorder(journal: journal)
        self.sinks = [
            recorder,
            SnapshotPublisher(store: store, history: recorder, configuration: configuration, startedAt: WallClock.now()),
            StatusReporter(notifier: notifier, readiness: readiness),
        ] + sinks
        self.logger = logger
        self.logger.logLevel = Self.level(configuration.log.level)
        Self.logSourceChoice(of: step.scanner, to: self.logger)
    }

    /// With `scan.source = "auto"`, says once per decision which source is used and why.
    private static func logSourceChoice(of scanner: Scanner, to logger: Logger) {
        guard let choice = scanner.autoChoice else { return }
        logger.notice("scan source: \(choice)", metadata: ["scan.source": "auto", "using": "\(scanner.source.name)"])
    }

    /// The time between scans, as configured now.
    public var interval: Duration { .seconds(step.configuration.scan.interval) }

    /// Scans once and hands the outcome to the sinks. Throws the scanner's error when the scan
    /// failed, after logging it and handing the problems in force to the sinks.
    public func scanOnce() throws(ScanError) {
        let outcome: ScanOutcome
        do {
            outcome = try step.run(problems: &problems, logger: logger)
        } catch {
            problems.scan = "scan failed: \(error)"
            logger.error("scan failed", metadata: ["source": "\(step.scanner.source.name)", "error": "\(error)"])
            for sink in sinks { sink.scanFailed(problems) }
            throw error
        }
        for sink in sinks { sink.consume(outcome) }
        logger.debug("scan done", metadata: [
            "sockets": "\(outcome.table.totals.total)", "time_wait": "\(outcome.table.totals[.timeWait])",
            "duration_ms": "\(outcome.milliseconds)", "alerts": "\(outcome.alerts.count)",
        ])
    }

    /// Re-reads the configuration (SIGHUP), between RELOADING=1 and READY=1 (`ReadinessGate`).
    /// A bad file keeps the running configuration and stays a problem (STATUS, GetStatus) until a
    /// reload succeeds. Then scans, so STATUS and the control socket reflect the configuration
    /// now in force at once.
    public func reload() {
        readiness.reloading()
        do {
            let change = try reloader.load(replacing: step.configuration, logger: logger)
            step.reconfigure(change.configuration, scanner: change.scanner)
            if let scanner = change.scanner { Self.logSourceChoice(of: scanner, to: logger) }
            for sink in sinks { sink.reloaded(change.configuration) }
            logger.logLevel = Self.level(change.configuration.log.level)
            problems.reload = nil
            logger.notice("configuration reloaded", metadata: [
                "config": "\(reloader.source.path)", "time_wait_threshold": "\(change.configuration.alert.timeWaitThreshold)",
                "interval": "\(change.configuration.scan.interval)",
            ])
        } catch {
            problems.reload = "reload failed, running previous configuration: \(error)"
        }
        do {
            try scanOnce()
        } catch {
            // Already logged and handed to the sinks by scanOnce.
        }
        readiness.reloaded()
    }

    /// The swift-log level named by `log.level` (`info` for a name it does not know).
    public static func level(_ name: String) -> Logger.Level {
        Logger.Level(rawValue: name) ?? .info
    }
}
