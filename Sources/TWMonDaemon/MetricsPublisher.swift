import Logging
import NIOCore
import Synchronization
import TWMonCore
import TWMonSystem

/// Keeps what the Prometheus metrics count across scans (scans, failures, durations, alerts
/// raised per kind), renders the exposition after every scan — successful or failed — and
/// hands it out: to the textfile (`metrics.textfile`, written atomically) and to the metrics
/// endpoint, which serves the latest rendering without waiting for a scan. The engine calls it
/// from the scan thread; the endpoint reads `latest` from its event loops.
public final class MetricsPublisher: Sendable {
    /// One rendering, numbered so connections that ask for the same one share its buffer.
    public struct Exposition: Sendable {
        /// The exposition bytes.
        public var body: ByteBuffer
        /// Increases with every rendering.
        public var generation: UInt64
    }

    private struct State {
        var settings: Configuration.Metrics
        var input: MetricsInput?
        var scans = 0
        var failures = 0
        var durations = ScanDurationHistogram()
        var raised: [String: Int] = [:]
        var latest: Exposition?
        var textfileProblem: String?
    }

    private let state: Mutex<State>
    private let logger: Logger

    public init(settings: Configuration.Metrics, logger: Logger) {
        state = Mutex(State(settings: settings))
        self.logger = logger
    }

    /// The latest rendering; nil before the first scan.
    public var latest: Exposition? {
        state.withLock { $0.latest }
    }

    /// Applies a reloaded `[metrics]` section (the textfile path and `client_ports`; `listen`
    /// takes effect at the next start).
    public func configure(_ settings: Configuration.Metrics) {
        state.withLock { $0.settings = settings }
    }

    /// What one successful scan found and decided, in the exposition's terms.
    public struct ScanResult: Sendable {
        /// The scan's table.
        public var table: PortTable
        /// When the scan started (wall clock).
        public var scannedAt: Double
        /// How long it took.
        public var duration: Duration
        /// The source that scanned (`proc`, `netlink`).
        public var source: String
        /// The namespace's figures, when readable.
        public var namespace: NamespaceTimeWait?
        /// The alerts active after the scan.
        public var activeAlerts: [MetricsInput.ActiveAlert]
        /// The kinds of the alerts this scan raised (one entry per raise).
        public var raisedKinds: [String]

        public init(
            table: PortTable, scannedAt: Double, duration: Duration, source: String, namespace: NamespaceTimeWait?,
            activeAlerts: [MetricsInput.ActiveAlert], raisedKinds: [String]
        ) {
            self.table = table
            self.scannedAt = scannedAt
            self.duration = duration
            self.source = source
            self.namespace = namespace
            self.activeAlerts = activeAlerts
            self.raisedKinds = raisedKinds
        }
    }

    /// Counts a successful scan, renders and publishes.
    public func scanned(_ result: ScanResult) {
        publish { state in
            state.scans += 1
            state.durations.observe(Double(result.duration.components.seconds) + Double(result.duration.components.attoseconds) / 1e18)
            for kind in result.raisedKinds { state.raised[kind, default: 0] += 1 }
            var input = state.input ?? MetricsInput(table: result.table, source: result.source)
            input.table = result.table
            input.source = result.source
            input.lastScan = result.scannedAt
            input.activeAlerts = result.activeAlerts
            input.twBucketsMax = result.namespace?.maxBuckets
            return input
        }
    }

    /// Counts a failed scan; the exposition keeps the last good table and shows the failure.
    public func scanFailed() {
        publish { state in
            state.failures += 1
            return state.input
        }
    }

    /// Updates the counters with `change`, which returns the input (before the counters are
    /// copied in), then renders, keeps the rendering and writes the textfile.
    private func publish(_ change: (inout State) -> MetricsInput?) {
        let (rendering, path) = state.withLock { state -> ([UInt8]?, String) in
            guard var input = change(&state) else { return (nil, state.settings.textfile) }
            input.clientPorts = state.settings.clientPorts
            input.scans = state.scans
            input.scanFailures = state.failures
            input.scanDurations = state.durations
            input.alertsRaised = state.raised
            state.input = input
            return (MetricsRenderer.render(input), state.settings.textfile)
        }
        guard let rendering else { return }
        state.withLock { state in
            let generation = (state.latest?.generation ?? 0) + 1
            state.latest = Exposition(body: ByteBuffer(bytes: rendering), generation: generation)
        }
        guard !path.isEmpty else { return }
        let problem: String?
        do {
            try AtomicFileWriter.write(rendering, to: path)
            problem = nil
        } catch {
            problem = "\(error)"
        }
        let previous = state.withLock { state in
            defer { state.textfileProblem = problem }
            return state.textfileProblem
        }
        if let problem, previous == nil {
            logger.warning("cannot write the metrics textfile", metadata: ["metrics.textfile": "\(path)", "error": "\(problem)"])
        } else if problem == nil, previous != nil {
            logger.notice("metrics textfile written again", metadata: ["metrics.textfile": "\(path)"])
        }
    }
}
