import Synchronization
import TWMonCore
import TWMonSystem

/// A sink: sends every alert transition to the journal and keeps the latest `limit` of them,
/// oldest first, for `ListAlerts` (the snapshot carries them).
public final class AlertRecorder: ScanOutcomeSink {
    /// Transitions kept.
    public static let limit = 200

    private let journal: any JournalSink
    private let entries = Mutex<[AlertEventRecord]>([])

    public init(journal: any JournalSink) {
        self.journal = journal
    }

    /// The transitions kept, oldest first.
    public var history: [AlertEventRecord] {
        entries.withLock { $0 }
    }

    public func consume(_ outcome: ScanOutcome) {
        for action in outcome.actions {
            journal.send(AlertJournal.entry(for: action, now: outcome.scannedAt))
        }
        entries.withLock { history in
            history.append(contentsOf: outcome.actions.map { AlertEventRecord($0, at: outcome.scannedAt) })
            if history.count > Self.limit { history.removeFirst(history.count - Self.limit) }
        }
    }
}
