import TWMonCore
import Synchronization

/// The one place the latest snapshot lives. The poll loop publishes; control-socket
/// connections read without waiting for a scan (a lock held only to copy a reference).
/// Every publication gets a new generation number, so replies encoded from one snapshot can
/// be shared until the next (`SharedReplies`).
public final class SnapshotStore: Sendable {
    private struct Latest {
        var snapshot: MonitorSnapshot?
        var generation: UInt64 = 0
    }

    private let latestSnapshot = Mutex(Latest())

    public init() {}

    /// The snapshot of the latest scan, nil before the first one.
    public var latest: MonitorSnapshot? {
        latestSnapshot.withLock { $0.snapshot }
    }

    /// The latest snapshot and its generation (0 before the first), read together.
    var current: (snapshot: MonitorSnapshot?, generation: UInt64) {
        latestSnapshot.withLock { ($0.snapshot, $0.generation) }
    }

    /// Makes `snapshot` the latest.
    public func publish(_ snapshot: MonitorSnapshot) {
        latestSnapshot.withLock {
            $0.snapshot = snapshot
            $0.generation += 1
        }
    }
}
