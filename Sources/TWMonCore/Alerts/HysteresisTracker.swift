/// The raise/clear state of one alert: `sustain` consecutive observations at or above the
/// threshold raise it, `sustain` consecutive observations below the clear level clear it,
/// and while active it asks for a reminder at most once per repeat interval.
public struct HysteresisTracker: Sendable, Equatable {
    /// The alert is active.
    public private(set) var isActive = false
    /// When the alert was raised.
    public private(set) var since: Moment?
    /// Consecutive observations pointing to the other state.
    public private(set) var streak = 0
    /// The highest value seen while active.
    public private(set) var peak = 0
    private var lastNotice: Duration = .zero

    public init() {}

    /// True when the tracker holds nothing worth keeping (inactive, no streak).
    public var isIdle: Bool { !isActive && streak == 0 }

    /// Feeds one observation; returns the transition it made, if any. `mayRaise` is false for values that must never raise the alert
    /// (a port that is not listening), though they still count towards clearing it.
    public mutating func observe(
        _ value: Int, limits: AlertLimits, mayRaise: Bool = true, repeatInterval: Double, now: Moment
    ) -> AlertEvent? {
        if isActive {
            peak = max(peak, value)
            if value < limits.clearBelow {
                streak += 1
                if streak >= limits.scansToClear {
                    self = HysteresisTracker()
                    return .cleared
                }
                return nil
            }
            streak = 0
            if repeatInterval > 0, now.monotonic - lastNotice >= .seconds(repeatInterval) {
                lastNotice = now.monotonic
                return .reminder
            }
            return nil
        }
        guard mayRaise, value >= limits.threshold else {
            streak = 0
            return nil
        }
        streak += 1
        guard streak >= limits.sustain else { return nil }
        isActive = true
        streak = 0
        since = now
        peak = value
        lastNotice = now.monotonic
        return .raised
    }

    /// Ends an active alert at once (its port was set to be ignored).
    public mutating func reset() -> AlertEvent? {
        defer { self = HysteresisTracker() }
        return isActive ? .cleared : nil
    }
}
