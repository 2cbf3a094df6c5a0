/// Decides when a refused (or evicted) connection is worth a log line: the first of an offender
/// (a peer — a UID, or a remote address — or all peers together) at once, then at most one line
/// per offender per `interval`, carrying how many there were since the last line. A flood costs
/// a few lines, not one per connection.
public struct RefusalReporter<Offender: Hashable & Sendable>: Sendable {
    /// What to log.
    public struct Report: Sendable, Equatable {
        /// Whose connection was refused.
        public var offender: Offender
        /// Connections of that offender refused since its previous report, this one included.
        public var refused: Int

        public init(offender: Offender, refused: Int) {
            self.offender = offender
            self.refused = refused
        }
    }

    private struct Record {
        var reportedAt: Double
        var unreported = 0
    }

    /// Seconds between two reports about one offender.
    public let interval: Double
    /// Offenders remembered at most; beyond, those not reported for `interval` are forgotten.
    static var rememberedOffenders: Int { 1_024 }
    private var offenders: [Offender: Record] = [:]

    public init(interval: Double) {
        self.interval = interval
    }

    /// Records a refusal of `offender` at monotonic time `now`; returns the report to log, if
    /// due.
    public mutating func refused(_ offender: Offender, now: Double) -> Report? {
        guard var record = offenders[offender] else {
            if offenders.count >= Self.rememberedOffenders {
                offenders = offenders.filter { now - $0.value.reportedAt < interval }
            }
            offenders[offender] = Record(reportedAt: now)
            return Report(offender: offender, refused: 1)
        }
        record.unreported += 1
        if now - record.reportedAt >= interval {
            offenders[offender] = Record(reportedAt: now)
            return Report(offender: offender, refused: record.unreported)
        }
        offenders[offender] = record
        return nil
    }
}
