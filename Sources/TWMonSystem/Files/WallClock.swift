import Glibc
import TWMonCore

/// The real wall clock, for the daemon and twmonctl.
public enum WallClock {
    /// Seconds since the Unix epoch (CLOCK_REALTIME).
    public static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

extension Moment {
    /// Now on both real clocks: CLOCK_MONOTONIC for intervals and the wall clock for people
    /// (tests construct `Moment`s themselves).
    public static func now() -> Moment {
        var monotonic = timespec()
        clock_gettime(CLOCK_MONOTONIC, &monotonic)
        return Moment(
            monotonic: .seconds(Int64(monotonic.tv_sec)) + .nanoseconds(Int64(monotonic.tv_nsec)),
            wallClock: WallClock.now()
        )
    }
}
