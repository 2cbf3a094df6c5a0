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
///
/// Readers never wait for a rendering: the lock guards only the counters and a reference to
/// the latest rendering. The scan thread copies the input out under the lock, renders and
/// writes the textfile without it, then swaps the reference in.
public final class MetricsPublisher: ScanOutcomeSink {
    /// One rendering, numbered so connections that ask for the same one share its buffer.
    public struct Exposition: Sendable {
        /// The exposition bytes.
        public var body: ByteBuffer
        /// Increases with every rendering.
        public var generation: UInt64
    }

    private struct State {
        var settings: Configuration.Metrics
        var scanInterval: Double
        var input: MetricsInput?
        var scans = 0
        var failures = 0
        var durations = ScanDurationHistogram()
        var raised: [String: Int] = [:]
        var latest: Exposition?
        var textfileProblem: String?
        /// Idle server ports left out of the latest rendering.
        var omittedServerPorts = 0
    }

    private let state: Mutex<State>
    private let logger: Logger

    public init(configuration: Configuration, logger: Logger) {
        state = Mutex(State(settings: configuration.metrics, scanInterval: configuration.scan.interval))
        self.logger = logger
    }

    /// The latest rendering; nil before the first scan.
    public var latest: Exposition? {
        state.withLock { $0.latest }
    }

    /// Counts a successful scan, renders and publishes.
    public func consume(_ outcome: ScanOutcome) {
        publish { state in
            state.scans += 1
            state.durations.observe(outcome.duration.inSeconds)
            for action in outcome.actions where action.event == .raised {
                state.raised[action.alert.kind.rawValue, default: 0] += 1
            }
            var input = state.input ?? MetricsInput(table: outcome.table, source: outcome.source)
            input.own = MetricsInput.Namespace(
                name: outcome.ownNamespace.name, table: outcome.table, owners: MetricsInput.owners(of: outcome.table),
                activeCloses: outcome.activeCloses, timeWait: outcome.counters?.timeWait?.timeWait,
                twOverflowTotal: outcome.counters?.timeWaitEvents?.overflow
            )
            input.others = outcome.otherNamespaces.map(MetricsInput.Namespace.init)
            input.source = outcome.source
            input.lastScan = outcome.scannedAt
            input.activeAlerts = outcome.alerts.map(MetricsInput.ActiveAlert.init)
            input.twBucketsMax = outcome.counters?.timeWait?.maxBuckets
            input.ephemeralPortsUsable = outcome.counters?.ephemeralPorts?.usable
            return input
        }
    }

    /// Applies a reloaded configuration: the `[metrics]` section (the textfile path and
    /// `client_ports`; `listen` takes effect at the next start) and the scan interval.
    public func reloaded(_ configuration: Configuration) {
        state.withLock { state in
            state.settings = configuration.metrics
            state.scanInterval = configuration.scan.interval
        }
    }

    /// Counts a failed scan; the exposition keeps the last good table and shows the failure.
    public func scanFailed(_ problems: EngineProblems) {
        publish { state in
            state.failures += 1
            return state.input
        }
    }

    /// Updates the counters with `change`, which returns the input (before the counters are
    /// copied in), then renders, keeps the rendering and writes the textfile. Only the scan
    /// thread calls it, so renderings are published in order.
    private func publish(_ change: (inout State) -> MetricsInput?) {
        let prepared = state.withLock { state -> (input: MetricsInput, path: String)? in
            guard var input = change(&state) else { return nil }
            input.clientPorts = state.settings.clientPorts
            input.maxIdleServerPorts = state.settings.maxIdleServerPorts
            input.scanInterval = state.scanInterval
            input.scans = state.scans
            input.scanFailures = state.failures
            input.scanDurations = state.durations
            input.alertsRaised = state.raised
            state.input = input
            return (input, state.settings.textfile)
        }
        guard let (input, path) = prepared else { return }
        let exported = input.exportedPorts
        let omitted = exported.omittedServerPorts
        let rendering = MetricsRenderer.render(input, ports: exported)
        let body = ByteBuffer(bytes: rendering)
        let omittedBefore = state.withLock { state in
            let generation = (state.latest?.generation ?? 0) + 1
            state.latest = Exposition(body: body, generation: generation)
            defer { state.omittedServerPorts = omitted }
            return state.omittedServerPorts
        }
        if omitted > 0, omittedBefore == 0 {
            logger.warning("more idle server ports than metrics.max_idle_server_ports: the rest have no per-port metrics (twmon_server_ports_omitted)", metadata: [
                "omitted": "\(omitted)", "max_idle_server_ports": "\(input.maxIdleServerPorts)",
            ])
        } else if omitted == 0, omittedBefore > 0 {
            logger.notice("every server port has its per-port metrics again")
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
