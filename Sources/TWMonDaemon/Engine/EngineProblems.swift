/// The problems in force, kept in one place: a failing scan, a refused reload, unreadable
/// namespace counters, close events that could not be had. Each is set when it starts and cleared when it ends (the next
/// successful scan, the next applied reload, counters readable again); STATUS, the snapshot
/// and `GetStatus` show them together.
public struct EngineProblems: Sendable, Equatable {
    /// The latest scan failure, cleared by the next successful scan.
    public var scan: String?
    /// Why the latest reload was refused, cleared by the next one that applies.
    public var reload: String?
    /// Why the namespace's TIME_WAIT figures are unreadable, while they are.
    public var counters: String?
    /// Why the close events asked for (`[events] source = "ebpf"`) are off, while they are.
    public var events: String?

    public init() {}

    /// The problems in force as one line, nil when there are none.
    public var summary: String? {
        let problems = [scan, reload, counters, events].compactMap { $0 }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }

    /// The STATUS= text while there is no new table to show: `OK`, the summary, or, while scans
    /// fail, the summary after `Scan failing: `.
    public var statusText: String {
        let text = summary ?? "OK"
        return scan == nil ? text : "Scan failing: " + text
    }
}
