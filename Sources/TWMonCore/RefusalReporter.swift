/// Decides when a refused (or evicted) connection is worth a log line: the first of a peer (a
/// UID, or a remote address) at once, then at most one line per peer per `interval`, carrying
/// how many there were since the last line. A flood costs a few lines, not one per connection.
public struct RefusalReporter: Sendable {
    /// What to log.
    public struct Report: Sendable, Equatable {
        /// The peer refused (a UID, or a remote address).
        public var peer: ConnectionPeer
        /// Connections of that peer refused since its previous report, this one included.
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

    /// Seconds between two reports about one peer.
    public let interval: Double
    /// Peers remembered at most; beyond, those not reported for `interval` are forgotten.
    static let rememberedPeers = 1_024
    private var offenders: [ConnectionPeer: Offender] = [:]

    public init(interval: Double) {
        self.interval = interval
    }

    /// Records a refusal of `peer` at monotonic time `now`; returns the report to log, if due.
    public mutating func refused(_ peer: ConnectionPeer, now: Double) -> Report? {
        guard var offender = offenders[peer] else {
            if offenders.count >= Self.rememberedPeers {
                offenders = offenders.filter { now - $0.value.reportedAt < interval }
            }
            offenders[peer] = Offender(reportedAt: now)
            return Report(peer: peer, refused: 1)
        }
        offender.unreported += 1
        if now - offender.reportedAt >= interval {
            offenders[peer] = Offender(reportedAt: now)
            return Report(peer: peer, refused: offender.unreported)
        }
        offenders[peer] = offender
        return nil
    }
}
