import Glibc
import TWMonCore

/// The real clocks, for the daemon (tests construct `Moment`s themselves).
public enum WallClock {
    /// Seconds since the Unix epoch.
    public static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Now, on the monotonic and the wall clock.
    public static func moment() -> Moment {
        var monotonic = timespec()
        clock_gettime(CLOCK_MONOTONIC, &monotonic)
        return Moment(
            monotonic: .seconds(Int64(monotonic.tv_sec)) + .nanoseconds(Int64(monotonic.tv_nsec)),
            wallClock: now()
        )
    }
}
