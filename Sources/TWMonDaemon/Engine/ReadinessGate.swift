import Synchronization
import TWMonSystem

/// Sends `READY=1` once, when every condition of readiness holds: the first scan succeeded and
/// the control socket listens.
public final class ReadinessGate: Sendable {
    public enum Condition: Sendable, Hashable {
        case firstScan
        case controlSocket
    }

    private struct State {
        var missing: Set<Condition>
        var status = "Starting"
        var sent = false
    }

    private let state: Mutex<State>
    private let notifier: SystemdNotifier

    public init(requiring conditions: Set<Condition>, notifier: SystemdNotifier) {
        state = Mutex(State(missing: conditions))
        self.notifier = notifier
    }

    /// Marks a condition met; `status` (when given) is the STATUS= line sent with READY=1.
    public func satisfy(_ condition: Condition, status: String? = nil) {
        let readyStatus: String? = state.withLock { state in
            state.missing.remove(condition)
            if let status { state.status = status }
            guard state.missing.isEmpty, !state.sent else { return nil }
            state.sent = true
            return state.status
        }
        if let readyStatus { notifier.ready(status: readyStatus) }
    }

    /// True once READY=1 was sent.
    public var isReady: Bool { state.withLock { $0.sent } }
}
