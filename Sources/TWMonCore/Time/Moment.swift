/// A point in time as the alert policy sees it: monotonic for intervals, wall clock for what
/// people read. Injected, so tests drive the policy with a manual clock.
public struct Moment: Sendable, Equatable {
    /// Time on a monotonic clock (intervals, reminders).
    public var monotonic: Duration
    /// Seconds since the Unix epoch (when an alert started, for people).
    public var wallClock: Double

    public init(monotonic: Duration, wallClock: Double) {
        self.monotonic = monotonic
        self.wallClock = wallClock
    }

    /// The same moment `seconds` later on both clocks.
    public func advanced(bySeconds seconds: Double) -> Moment {
        Moment(monotonic: monotonic + .seconds(seconds), wallClock: wallClock + seconds)
    }
}
