/// The timer of a TIME_WAIT socket, as the kernel reports it: the time left of the 60 s every
/// TIME_WAIT socket lasts (`TCP_TIMEWAIT_LEN`, fixed in the kernel). /proc/net/tcp shows timer
/// kind 3 with clock ticks left (`tm->when`, USER_HZ = 100 per second on Linux); sock_diag shows
/// milliseconds left (`idiag_expires`). The age follows: 60 s minus the time left.
public enum TimeWaitTimer {
    /// How long a socket stays in TIME_WAIT.
    public static let lifetimeMilliseconds = 60_000
    /// The `tr` column of a /proc/net/tcp row whose timer is the TIME_WAIT timer.
    public static let procTimerKind: UInt8 = 3
    /// Clock ticks per second in /proc (`USER_HZ`, the kernel's ABI constant `CLOCKS_PER_SEC`).
    public static let procTicksPerSecond = 100

    /// Milliseconds left from /proc's clock ticks, or nil when out of range (more than 60 s).
    @inlinable
    public static func millisecondsLeft(procTicks ticks: UInt32) -> Int? {
        let milliseconds = Int(ticks) * (1_000 / procTicksPerSecond)
        return milliseconds <= lifetimeMilliseconds ? milliseconds : nil
    }

    /// Milliseconds left from sock_diag's `idiag_expires`, or nil when out of range.
    @inlinable
    public static func millisecondsLeft(diagExpires expires: UInt32) -> Int? {
        Int(expires) <= lifetimeMilliseconds ? Int(expires) : nil
    }
}
