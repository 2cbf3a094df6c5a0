import Synchronization
import TWMonCore
import TWMonSystem

/// A sink: sends every alert transition to the journal and keeps the latest `limit` of them,
/// oldest first, for `ListAlerts` (the snapshot carries them).
public final class AlertRecorder: ScanOutcomeSink {
    /// Transitions kept.
    public static let limit = 200

    private let journal: any JournalSink
    private let entries = Mutex<[AlertHistoryEntry]>([])

    public init(journal: any JournalSink) {
        self.journal = journal
    }

    /// The transitions kept, oldest first.
    public var history: [AlertHistoryEntry] {
        entries.withLock { $0 }
    }

    public func consume(_ outcome: ScanOutcome) {
        for action in outcome.actions {
            let peers = action.alert.kind == .timeWait ? action.alert.port.flatMap { outcome.topPeers[$0] } ?? [] : []
            journal.send(AlertJournal.entry(for: action, peers: peers, now: outcome.scannedAt))
        }
        entries.withLock { history in
            history.append(contentsOf: outcome.actions.map { AlertHistoryEntry($0, at: outcome.scannedAt) })
            if history.count > Self.limit { history.removeFirst(history.count - Self.limit) }
        }
    }
}
