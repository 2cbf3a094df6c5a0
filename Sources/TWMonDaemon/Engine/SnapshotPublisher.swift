import Synchronization
import TWMonCore

/// A sink: makes each outcome the `SnapshotStore`'s latest snapshot, with the alert history,
/// the configuration in force and the start time. After a failed scan the latest snapshot keeps
/// its table and scan time (so its age grows) and shows the problems and the configuration.
public final class SnapshotPublisher: ScanOutcomeSink {
    private let store: SnapshotStore
    private let history: AlertRecorder
    private let startedAt: Double
    private let configuration: Mutex<Configuration>

    /// `startedAt`: when the daemon started (wall clock).
    public init(store: SnapshotStore, history: AlertRecorder, configuration: Configuration, startedAt: Double) {
        self.store = store
        self.history = history
        self.startedAt = startedAt
        self.configuration = Mutex(configuration)
    }

    public func consume(_ outcome: ScanOutcome) {
        store.publish(MonitorSnapshot(
            table: outcome.table, scannedAt: outcome.scannedAt, scanDuration: outcome.duration, source: outcome.source,
            scanCount: outcome.scanCount, alerts: outcome.alerts, namespace: outcome.counters,
            history: history.history, configuration: configuration.withLock { $0 }, startedAt: startedAt, problem: outcome.problem,
            ownNamespace: outcome.ownNamespace, otherNamespaces: outcome.otherNamespaces
        ))
    }

    public func scanFailed(_ problems: EngineProblems) {
        guard var snapshot = store.latest else { return }
        snapshot.problem = problems.summary
        snapshot.configuration = configuration.withLock { $0 }
        store.publish(snapshot)
    }

    public func reloaded(_ configuration: Configuration) {
        self.configuration.withLock { $0 = configuration }
    }
}
