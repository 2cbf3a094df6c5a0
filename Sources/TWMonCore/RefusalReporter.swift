/// Decides when a refused control connection is worth a log line: the first refusal of a UID
/// at once, then at most one line per UID per `interval`, carrying how many were refused since
/// the last line. A flood of refusals costs a few lines, not one per connection.
public struct RefusalReporter: Sendable {
    /// What to log.
    public struct Report: Sendable, Equatable {
        /// The peer refused (a UID, or a remote address).
        public var peer: ConnectionPeer
        /// Connections of that UID refused since its previous report, this one included.
        public var refused: Int

        public init(peer: ConnectionPeer, refused: Int) {
            self.peer = peer
            self.refused = refused
        }
    }

    private struct Offender {
        var reportedAt: Double
        var unreported = 0
    }

    /// Seconds between two reports about one UID.
    public let interval: Double
    /// UIDs remembered at most; beyond, those not reported for `interval` are forgotten.
    static let rememberedUsers = 1_024
    private var offenders: [ConnectionPeer: Offender] = [:]

    public init(interval: Double) {
        self.interval = interval
    }

    /// Records a refusal of `user` at monotonic time `now`; returns the report to log, if due.
    public mutating func refused(_ user: ConnectionPeer, now: Double) -> Report? {
        guard var offender = offenders[user] else {
            if offenders.count >= Self.rememberedUsers {
                offenders = offenders.filter { now - $0.value.reportedAt < interval }
            }
            offenders[user] = Offender(reportedAt: now)
            return Report(peer: user, refused: 1)
        }
        offender.unreported += 1
        if now - offender.reportedAt >= interval {
            offenders[user] = Offender(reportedAt: now)
            return Report(peer: user, refused: offender.unreported)
        }
        offenders[user] = offender
        return nil
    }
}
