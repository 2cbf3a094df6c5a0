import CSystemd
import Glibc
import TWMonCore

/// Tells systemd about the daemon's state through `sd_notify` (libsystemd).
///
/// Without `NOTIFY_SOCKET` (not started by systemd) every call does nothing.
public struct SystemdNotifier: Sendable {
    /// Where messages go instead of `sd_notify`, if anywhere (a test's recorder).
    private let deliver: (@Sendable (String) -> Bool)?

    /// Sends through `sd_notify` to `$NOTIFY_SOCKET`.
    public init() {
        deliver = nil
    }

    /// Hands every message (its `KEY=VALUE` lines joined by newlines) to `deliver` instead of
    /// `sd_notify`, which returns whether it was taken: for tests that record what was sent.
    public init(delivering deliver: @escaping @Sendable (String) -> Bool) {
        self.deliver = deliver
    }

    /// Sends `KEY=VALUE` lines; returns false when systemd did not get them.
    @discardableResult
    public func send(_ assignments: [String]) -> Bool {
        let message = assignments.joined(separator: "\n")
        if let deliver { return deliver(message) }
        return sd_notify(0, message) > 0
    }

    /// `READY=1` with a status line.
    public func ready(status: String) {
        send(["READY=1", "STATUS=" + StatusLine.oneLine(status)])
    }

    /// `STATUS=…` (one line: a newline would inject fields).
    public func status(_ text: String) {
        send(["STATUS=" + StatusLine.oneLine(text)])
    }

    /// `WATCHDOG=1`.
    public func watchdog() {
        send(["WATCHDOG=1"])
    }

    /// `RELOADING=1` with `MONOTONIC_USEC`, as newer systemd requires.
    public func reloading() {
        send(["RELOADING=1", "MONOTONIC_USEC=\(Self.monotonicMicroseconds())", "STATUS=Reloading configuration"])
    }

    /// `STOPPING=1`.
    public func stopping() {
        send(["STOPPING=1", "STATUS=Stopping"])
    }

    /// Half the watchdog timeout when systemd expects `WATCHDOG=1` from this process.
    public static func watchdogPingInterval() -> Duration? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
        return .microseconds(Int64(microseconds / 2))
    }

    /// CLOCK_MONOTONIC in microseconds.
    public static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }
}
