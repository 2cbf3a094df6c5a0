import TWMonCore
import TWMonSystem

/// A sink: sends each outcome's one-line summary as sd_notify `STATUS=`; the first successful
/// scan instead meets the `ReadinessGate`'s `.firstScan` condition, whose `READY=1` carries it.
/// A failed scan shows the problems in force at once.
public struct StatusReporter: ScanOutcomeSink {
    private let notifier: SystemdNotifier
    private let readiness: ReadinessGate

    public init(notifier: SystemdNotifier, readiness: ReadinessGate) {
        self.notifier = notifier
        self.readiness = readiness
    }

    public func consume(_ outcome: ScanOutcome) {
        let status = StatusLine.render(table: outcome.table, alerts: outcome.alerts, scanMilliseconds: outcome.milliseconds, problem: outcome.problem)
        if readiness.isReady {
            notifier.status(status)
        } else {
            readiness.satisfy(.firstScan, status: status)
        }
    }

    public func scanFailed(_ problems: EngineProblems) {
        notifier.status(problems.statusText)
    }
}
