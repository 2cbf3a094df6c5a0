import Synchronization
import TWMonSystem

/// The one place `READY=1` is sent: once every condition of readiness holds (the first scan
/// succeeded and the control socket listens), and again after each reload, but only once the
/// daemon was ready — a reload during start-up must not announce readiness early.
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
    /// Sends `READY=1` when this was the last condition missing.
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

    /// A reload starts: sends `RELOADING=1` with `MONOTONIC_USEC`.
    public func reloading() {
        notifier.reloading()
    }

    /// A reload ended (applied or refused): sends `READY=1` when the daemon was ready before;
    /// during start-up sends nothing, and `satisfy` sends `READY=1` once the last condition holds.
    public func reloaded() {
        if isReady { notifier.send(["READY=1"]) }
    }

    /// True once READY=1 was sent.
    public var isReady: Bool { state.withLock { $0.sent } }
}
