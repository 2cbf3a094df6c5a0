import TWMonCore
import Synchronization

/// The one place the latest snapshot lives. The poll loop publishes; control-socket
/// connections read without waiting for a scan (a lock held only to copy a reference).
public final class SnapshotStore: Sendable {
    private let latestSnapshot = Mutex<MonitorSnapshot?>(nil)

    public init() {}

    /// The snapshot of the latest scan, nil before the first one.
    public var latest: MonitorSnapshot? {
        latestSnapshot.withLock { $0 }
    }

    public func publish(_ snapshot: MonitorSnapshot) {
        latestSnapshot.withLock { $0 = snapshot }
    }
}
