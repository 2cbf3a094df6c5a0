import TWMonCore

/// Something that takes every scan's outcome: the journal and alert history (`AlertRecorder`),
/// the snapshot store (`SnapshotPublisher`), STATUS and readiness (`StatusReporter`), the
/// metrics (`MetricsPublisher`). `MonitorEngine` calls its sinks in order, on the scan thread,
/// one call at a time; a sink must not block.
public protocol ScanOutcomeSink: Sendable {
    /// A scan succeeded and was judged.
    func consume(_ outcome: ScanOutcome)
    /// A scan failed (there is no outcome); `problems` are those in force, the failure
    /// included. The default does nothing.
    func scanFailed(_ problems: EngineProblems)
    /// The configuration was reloaded; the default does nothing.
    func reloaded(_ configuration: Configuration)
}

extension ScanOutcomeSink {
    public func scanFailed(_ problems: EngineProblems) {}
    public func reloaded(_ configuration: Configuration) {}
}
