/// Active closes on a port in the last 10 and 60 seconds, counted exactly from the timers of its
/// TIME_WAIT sockets: a socket enters TIME_WAIT when its side closes first and stays there 60 s,
/// so its remaining time tells when it closed (`TimeWaitTimer`). No difference between scans is
/// involved, so the figures hold from the first scan on, whatever the scan interval.
public struct RecentCloses: Sendable, Hashable {
    /// TIME_WAIT sockets that closed in the last 10 s.
    public var last10Seconds: Int
    /// TIME_WAIT sockets that closed in the last 60 s (all of them, but those whose timer is
    /// already due).
    public var last60Seconds: Int
    /// Where the counts come from (`"closes_source"` in JSON).
    public var source: CloseRateSource

    public init(last10Seconds: Int = 0, last60Seconds: Int = 0, source: CloseRateSource = .timers) {
        self.last10Seconds = last10Seconds
        self.last60Seconds = last60Seconds
        self.source = source
    }

    /// Active closes per second over the last 10 s.
    public var perSecond10: Double { Double(last10Seconds) / 10 }
    /// Active closes per second over the last 60 s.
    public var perSecond60: Double { Double(last60Seconds) / 60 }

    /// From the per-second rates of a reply (`closes_per_second`), back to whole counts.
    public init(perSecond10: Double, perSecond60: Double, source: CloseRateSource = .timers) {
        self.init(last10Seconds: Self.count(perSecond10, over: 10), last60Seconds: Self.count(perSecond60, over: 60), source: source)
    }

    private static func count(_ rate: Double, over seconds: Double) -> Int {
        let value = (rate * seconds).rounded()
        return value.isFinite && value >= 0 && value < Double(Int32.max) ? Int(value) : 0
    }

    /// `6.7`, `0.3`, `100`: a rate as an operator reads it, one decimal below 10.
    public static func rateText(_ perSecond: Double) -> String {
        guard perSecond.isFinite, perSecond >= 0, perSecond < 1e12 else { return "?" }
        return DecimalText.fixed(perSecond, decimals: perSecond >= 10 ? 0 : 1) ?? "?"
    }
}

/// Where a port's close rates come from.
public enum CloseRateSource: String, Sendable, Hashable, Decodable {
    /// Estimated from the remaining time of the port's TIME_WAIT sockets (the table walk).
    case timers
    /// Counted exactly by the close-event source (`[events] source = "ebpf"`).
    case ebpf
}
