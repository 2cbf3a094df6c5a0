import TWMonCore

/// Something that takes every scan's outcome: the engine hands each one to its sinks after
/// the journal, STATUS and the snapshot store have it (a metrics exporter, for instance).
/// Called on the scan thread; a sink must not block.
public protocol ScanOutcomeSink: Sendable {
    func consume(_ outcome: ScanOutcome)
    /// A scan failed (there is no outcome); the default does nothing.
    func scanFailed()
    /// The configuration was reloaded; the default does nothing.
    func reloaded(_ configuration: Configuration)
}

extension ScanOutcomeSink {
    public func scanFailed() {}
    public func reloaded(_ configuration: Configuration) {}
}
